"""Partner-side account pages: switching the active partner, accepting an invitation."""

from portal.auth.views import partner_auth

__all__ = ["partner_auth"]
