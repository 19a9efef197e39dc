"""Customer self-service: orders, shipments, invoices, service requests, availability."""

from portal.customer import service  # noqa: F401 - its pages register on the blueprint
from portal.customer.views import customer

__all__ = ["customer"]
