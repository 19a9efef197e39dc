"""Customer self-service: orders, shipments, invoices, service requests, availability."""

from portal.customer.views import customer

__all__ = ["customer"]
