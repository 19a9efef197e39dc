"""Forms of the staff console."""

from internal.web.forms import InviteForm

__all__ = ["InviteForm"]
