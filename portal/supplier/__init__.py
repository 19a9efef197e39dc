"""The supplier workspace: what a supplier plans against and answers back to."""

from portal.supplier.views import supplier

__all__ = ["supplier"]
