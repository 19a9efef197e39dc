"""What a customer can be shown: its orders with their lines and history, shipments, invoices, service
requests and their conversation, its ship-to sites, and the availability of what it buys. Each
dataset follows its fields and the SQL that reads them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    and_,
    exists,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import aliased

from internal.models import (
    Account,
    InventoryPosition,
    Invoice,
    InvoiceStatus,
    Item,
    ItemKind,
    OrderStatus,
    SalesOrder,
    SalesOrderEvent,
    SalesOrderLine,
    ServiceRequest,
    ServiceRequestMessage,
    ServiceRequestStatus,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    ShipToSite,
    Site,
)
from policies.datasets.base import (
    DOCUMENT,
    ITEM,
    SITE,
    Cents,
    Dataset,
    Expr,
    PartnerId,
    ValueCondition,
    in_cents,
    on_value,
    owned_by,
    select_columns,
)

# -- searches and the viewer's rows --------------------------------------------------------------------


def _contains(column: Expr, text: str) -> ColumnElement[bool]:
    """Case-insensitive substring match; % and _ typed by the user match themselves."""
    return func.lower(column).contains(text.lower(), autoescape=True)


def _delivered_to(order_ship_to: Expr) -> ValueCondition:
    """Documents of orders delivered to the customer's ship-to site with this code."""
    return lambda code: order_ship_to.in_(
        select(ShipToSite.id).where(ShipToSite.code == code).scalar_subquery()
    )


def _bought_by(viewer: PartnerId) -> ColumnElement[bool]:
    """Items the customer has ordered."""
    return Item.id.in_(
        select(SalesOrderLine.item_id)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .where(SalesOrder.customer_id == viewer)
        .scalar_subquery()
    )


def _customer_sites(viewer: PartnerId) -> ColumnElement[bool]:
    """The sites that ship to a customer: those its orders ship from."""
    return Site.id.in_(select(SalesOrder.site_id).where(SalesOrder.customer_id == viewer).scalar_subquery())


# -- orders, their lines and their history -------------------------------------------------------------


_order_lines_total = type_coerce(
    select(func.coalesce(func.sum(in_cents(SalesOrderLine.qty * SalesOrderLine.unit_price)), 0))
    .where(SalesOrderLine.order_id == SalesOrder.id)
    .correlate(SalesOrder)
    .scalar_subquery(),
    Cents(),
)
_order_fields: dict[str, Expr] = {
    "number": SalesOrder.number,
    "customer_reference": SalesOrder.customer_reference,
    "order_date": SalesOrder.order_date,
    "requested_date": SalesOrder.requested_date,
    "status": SalesOrder.status,
    "ship_from": Site.code,
    "total_amount": SalesOrder.total_amount,
    "currency": SalesOrder.currency,
    #: What the order's lines add up to (quantity times unit price); the total may differ by
    #: discount, tax or freight.
    "lines_total": _order_lines_total,
    #: The customer's own site the order is delivered to.
    "ship_to": ShipToSite.code,
    #: A reorder the customer asked for that sales staff have not confirmed yet.
    "draft": SalesOrder.draft,
    #: The latest date promised for any of its lines (None until the order is confirmed).
    "promised_by": type_coerce(
        select(func.max(SalesOrderLine.promised_date))
        .where(SalesOrderLine.order_id == SalesOrder.id)
        .correlate(SalesOrder)
        .scalar_subquery(),
        Date,
    ),
}
_order_sort = ((SalesOrder.order_date, dt.date), (SalesOrder.id, int))


def _order_search(text: str) -> ColumnElement[bool]:
    """An order whose number, the customer's own PO reference, or one of its items matches ``text``."""
    text = str(text).strip()
    line_item = (
        select(SalesOrderLine.id)
        .join(Item, Item.id == SalesOrderLine.item_id)
        .where(
            SalesOrderLine.order_id == SalesOrder.id,
            or_(_contains(Item.sku, text), _contains(Item.name, text)),
        )
        .correlate(SalesOrder)
    )
    return or_(
        _contains(SalesOrder.number, text),
        _contains(SalesOrder.customer_reference, text),
        exists(line_item),
    )


_order_conditions: dict[str, ValueCondition] = {
    "q": _order_search,
    "ship_to": _delivered_to(SalesOrder.ship_to_id),
    "ordered_from": lambda day: SalesOrder.order_date >= day,
    "ordered_to": lambda day: SalesOrder.order_date <= day,
    "open": lambda _yes: SalesOrder.status.not_in(
        [OrderStatus.delivered, OrderStatus.invoiced, OrderStatus.cancelled]
    ),
}


ORDERS = Dataset(
    name="orders",
    audience="customer",
    fields=_order_fields,
    key=("number",),
    base=lambda: (
        select_columns(_order_fields, _order_sort, {"ship_from": Site.code})
        .select_from(SalesOrder)
        .join(Site, Site.id == SalesOrder.site_id)
        .outerjoin(ShipToSite, ShipToSite.id == SalesOrder.ship_to_id)
    ),
    order=_order_sort,
    filters={"number": SalesOrder.number, "status": SalesOrder.status},
    scopes={"own_documents": owned_by(SalesOrder.customer_id)},
    subjects={"number": (DOCUMENT, None), "ship_from": (SITE, Site.code)},
    conditions=on_value(_order_conditions),
    condition_reads={
        "q": ("number", "customer_reference"),
        "ordered_from": ("order_date",),
        "ordered_to": ("order_date",),
        "open": ("status",),
        "ship_to": ("ship_to",),
    },
)


_order_line_amount = type_coerce(in_cents(SalesOrderLine.qty * SalesOrderLine.unit_price), Cents())
_order_line_fields: dict[str, Expr] = {
    "order_number": SalesOrder.number,
    "line_no": SalesOrderLine.line_no,
    "sku": Item.sku,
    "item": Item.name,
    "qty": SalesOrderLine.qty,
    "uom": Item.uom,
    "unit_price": SalesOrderLine.unit_price,
    "promised_date": SalesOrderLine.promised_date,
    "shipped_qty": SalesOrderLine.shipped_qty,
    #: Quantity times unit price, to the cent.
    "amount": _order_line_amount,
}
_order_line_sort = ((SalesOrder.id, int), (SalesOrderLine.line_no, int))


ORDER_LINES = Dataset(
    name="order_lines",
    audience="customer",
    fields=_order_line_fields,
    key=("order_number", "line_no"),
    base=lambda: (
        select_columns(_order_line_fields, _order_line_sort)
        .select_from(SalesOrderLine)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .join(Item, Item.id == SalesOrderLine.item_id)
    ),
    order=_order_line_sort,
    filters={"order_number": SalesOrder.number},
    scopes={"own_documents": owned_by(SalesOrder.customer_id)},
    newest_first=False,
    subjects={"order_number": (DOCUMENT, None), "sku": (ITEM, None)},
)


#: An order's status history: what its timeline is built from.
_order_event_fields: dict[str, Expr] = {
    "order_number": SalesOrder.number,
    "status": SalesOrderEvent.status,
    "at": SalesOrderEvent.at,
    "note": SalesOrderEvent.note,
}
_order_event_sort = ((SalesOrder.id, int), (SalesOrderEvent.id, int))


ORDER_EVENTS = Dataset(
    name="order_events",
    audience="customer",
    fields=_order_event_fields,
    key=("order_number", "status", "at"),
    base=lambda: (
        select_columns(_order_event_fields, _order_event_sort)
        .select_from(SalesOrderEvent)
        .join(SalesOrder, SalesOrder.id == SalesOrderEvent.order_id)
    ),
    order=_order_event_sort,
    filters={"order_number": SalesOrder.number},
    scopes={"own_documents": owned_by(SalesOrder.customer_id)},
    newest_first=False,
    subjects={"order_number": (DOCUMENT, None)},
)


# -- shipments -----------------------------------------------------------------------------------------
_shipment_line_count = (
    select(func.count()).where(ShipmentLine.shipment_id == Shipment.id).correlate(Shipment).scalar_subquery()
)
_shipment_fields: dict[str, Expr] = {
    "number": Shipment.number,
    "order_number": SalesOrder.number,
    "ship_from": Site.code,
    "carrier": Shipment.carrier,
    "tracking_number": Shipment.tracking_number,
    "status": Shipment.status,
    "shipped_at": Shipment.shipped_at,
    "eta": Shipment.eta,
    "delivered_at": Shipment.delivered_at,
    "lines": _shipment_line_count,
}
_shipment_sort = ((Shipment.id, int),)
_shipment_conditions: dict[str, ValueCondition] = {
    "q": lambda text: or_(
        _contains(Shipment.number, str(text).strip()),
        _contains(SalesOrder.number, str(text).strip()),
        _contains(Shipment.tracking_number, str(text).strip()),
    ),
    "arriving_from": lambda day: Shipment.eta >= day,
    "arriving_to": lambda day: Shipment.eta <= day,
    "on_the_way": lambda _yes: Shipment.status.in_([ShipmentStatus.planned, ShipmentStatus.in_transit]),
    "ship_to": _delivered_to(SalesOrder.ship_to_id),
}


SHIPMENTS = Dataset(
    name="shipments",
    audience="customer",
    fields=_shipment_fields,
    key=("number",),
    base=lambda: (
        select_columns(_shipment_fields, _shipment_sort, {"ship_from": Site.code})
        .select_from(Shipment)
        .join(SalesOrder, SalesOrder.id == Shipment.order_id)
        .join(Site, Site.id == Shipment.from_site_id)
    ),
    order=_shipment_sort,
    filters={"number": Shipment.number, "order_number": SalesOrder.number, "status": Shipment.status},
    scopes={"own_documents": owned_by(Shipment.customer_id)},
    subjects={"number": (DOCUMENT, None), "order_number": (DOCUMENT, None), "ship_from": (SITE, Site.code)},
    conditions=on_value(_shipment_conditions),
    condition_reads={
        "q": ("number", "order_number", "tracking_number"),
        "arriving_from": ("eta",),
        "arriving_to": ("eta",),
        "on_the_way": ("status",),
    },
)


# -- invoices ------------------------------------------------------------------------------------------


_invoice_order = aliased(SalesOrder)
_invoice_fields: dict[str, Expr] = {
    "number": Invoice.number,
    "order_number": _invoice_order.number,
    "issued_on": Invoice.issued_on,
    "due_on": Invoice.due_on,
    "amount": Invoice.amount,
    "currency": Invoice.currency,
    "status": Invoice.status,
    "paid_on": Invoice.paid_on,
}
_invoice_sort = ((Invoice.issued_on, dt.date), (Invoice.id, int))
_invoice_conditions: dict[str, ValueCondition] = {
    "q": lambda text: or_(
        _contains(Invoice.number, str(text).strip()), _contains(_invoice_order.number, str(text).strip())
    ),
    #: What the customer still owes: open, and open past its due date.
    "unpaid": lambda _yes: Invoice.status.in_([InvoiceStatus.open, InvoiceStatus.overdue]),
    "issued_from": lambda day: Invoice.issued_on >= day,
    "issued_to": lambda day: Invoice.issued_on <= day,
    "ship_to": _delivered_to(_invoice_order.ship_to_id),
}


INVOICES = Dataset(
    name="invoices",
    audience="customer",
    fields=_invoice_fields,
    key=("number",),
    base=lambda: (
        select_columns(_invoice_fields, _invoice_sort)
        .select_from(Invoice)
        .outerjoin(_invoice_order, _invoice_order.id == Invoice.order_id)
    ),
    order=_invoice_sort,
    filters={
        "number": Invoice.number,
        "status": Invoice.status,
        "order_number": _invoice_order.number,
    },
    scopes={"own_documents": owned_by(Invoice.customer_id)},
    subjects={"number": (DOCUMENT, None), "order_number": (DOCUMENT, None)},
    measures=("amount",),
    time_field="issued_on",
    conditions=on_value(_invoice_conditions),
    condition_reads={
        "q": ("number", "order_number"),
        "unpaid": ("status",),
        "issued_from": ("issued_on",),
        "issued_to": ("issued_on",),
    },
)


# -- service requests ----------------------------------------------------------------------------------


_service_request_order = aliased(SalesOrder)
_service_request_item = aliased(Item)
_service_request_fields: dict[str, Expr] = {
    "number": ServiceRequest.number,
    "subject": ServiceRequest.subject,
    "order_number": _service_request_order.number,
    "sku": _service_request_item.sku,
    "status": ServiceRequest.status,
    "priority": ServiceRequest.priority,
    "opened_at": ServiceRequest.created_at,
    "updated_at": ServiceRequest.updated_at,
}
_service_request_sort = ((ServiceRequest.id, int),)


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


_service_request_conditions: dict[str, ValueCondition] = {
    "open": lambda _yes: ServiceRequest.status.not_in(
        [ServiceRequestStatus.resolved, ServiceRequestStatus.closed]
    ),
    "ship_to": _delivered_to(_service_request_order.ship_to_id),
    "q": lambda text: or_(
        _contains(ServiceRequest.number, str(text).strip()),
        _contains(ServiceRequest.subject, str(text).strip()),
    ),
    "opened_from": lambda day: ServiceRequest.created_at >= _start_of(day),
    "opened_to": lambda day: ServiceRequest.created_at < _start_of(day + dt.timedelta(days=1)),
}


SERVICE_REQUESTS = Dataset(
    name="service_requests",
    audience="customer",
    fields=_service_request_fields,
    key=("number",),
    base=lambda: (
        select_columns(_service_request_fields, _service_request_sort)
        .select_from(ServiceRequest)
        .outerjoin(_service_request_order, _service_request_order.id == ServiceRequest.order_id)
        .outerjoin(_service_request_item, _service_request_item.id == ServiceRequest.item_id)
    ),
    order=_service_request_sort,
    filters={
        "number": ServiceRequest.number,
        "status": ServiceRequest.status,
        "order_number": _service_request_order.number,
    },
    scopes={"own_documents": owned_by(ServiceRequest.customer_id)},
    subjects={"number": (DOCUMENT, None), "order_number": (DOCUMENT, None), "sku": (ITEM, None)},
    conditions=on_value(_service_request_conditions),
    condition_reads={
        "q": ("number", "subject"),
        "open": ("status",),
        "opened_from": ("opened_at",),
        "opened_to": ("opened_at",),
    },
)


# -- the customer's ship-to sites ----------------------------------------------------------------------


_ship_to_site_fields: dict[str, Expr] = {
    "code": ShipToSite.code,
    "name": ShipToSite.name,
    "city": ShipToSite.city,
    "country": ShipToSite.country,
}
_ship_to_site_sort = ((ShipToSite.code, str),)


SHIP_TO_SITES = Dataset(
    name="ship_to_sites",
    audience="customer",
    fields=_ship_to_site_fields,
    key=("code",),
    base=lambda: select_columns(_ship_to_site_fields, _ship_to_site_sort).select_from(ShipToSite),
    order=_ship_to_site_sort,
    filters={"code": ShipToSite.code},
    scopes={"own_documents": owned_by(ShipToSite.customer_id)},
    newest_first=False,
)


# -- the conversation on a service request -------------------------------------------------------------


#: The conversation on a request, without the staff's internal notes (those never leave the building).
_message_author = aliased(Account)
_service_request_message_fields: dict[str, Expr] = {
    "request_number": ServiceRequest.number,
    "author": _message_author.name,
    "from_service_team": func.coalesce(_message_author.is_staff, True),
    "body": ServiceRequestMessage.body,
    "at": ServiceRequestMessage.created_at,
}
_service_request_message_sort = ((ServiceRequest.id, int), (ServiceRequestMessage.id, int))


def _service_request_messages_base() -> Select[Any]:
    return (
        select_columns(_service_request_message_fields, _service_request_message_sort)
        .select_from(ServiceRequestMessage)
        .join(ServiceRequest, ServiceRequest.id == ServiceRequestMessage.request_id)
        .outerjoin(_message_author, _message_author.id == ServiceRequestMessage.author_id)
        .where(ServiceRequestMessage.internal_only.is_(False))
    )


SERVICE_REQUEST_MESSAGES = Dataset(
    name="service_request_messages",
    audience="customer",
    fields=_service_request_message_fields,
    key=("request_number", "at"),
    base=_service_request_messages_base,
    order=_service_request_message_sort,
    filters={"request_number": ServiceRequest.number},
    scopes={"own_documents": owned_by(ServiceRequest.customer_id)},
    newest_first=False,
    subjects={"request_number": (DOCUMENT, None)},
)


# -- availability of the finished goods the viewer buys ------------------------------------------------


_availability_fields: dict[str, Expr] = {
    "sku": Item.sku,
    "item": Item.name,
    "uom": Item.uom,
    "site": Site.code,
    "available": InventoryPosition.on_hand - InventoryPosition.allocated,
    "as_of": InventoryPosition.as_of,
    #: The lead time sales quotes for the item, in days.
    "lead_time_days": Item.lead_time_days,
}
_availability_sort = ((Item.sku, str), (Site.code, str))


AVAILABILITY = Dataset(
    name="availability",
    audience="customer",
    fields=_availability_fields,
    key=("sku", "site"),
    base=lambda: (
        select_columns(_availability_fields, _availability_sort, {"site": Site.code})
        .select_from(InventoryPosition)
        .join(Item, and_(Item.id == InventoryPosition.item_id, Item.kind == ItemKind.finished))
        .join(Site, Site.id == InventoryPosition.site_id)
    ),
    order=_availability_sort,
    filters={"sku": Item.sku, "site": Site.code},
    scopes={"sites_viewer_serves": _customer_sites, "bought_by_viewer": _bought_by},
    newest_first=False,
    subjects={"sku": (ITEM, None), "site": (SITE, Site.code)},
)


#: In the order the console and the API list them.
CUSTOMER_DATASETS = (
    ORDERS,
    ORDER_LINES,
    ORDER_EVENTS,
    SHIPMENTS,
    INVOICES,
    SERVICE_REQUESTS,
    SHIP_TO_SITES,
    SERVICE_REQUEST_MESSAGES,
    AVAILABILITY,
)
