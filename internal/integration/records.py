"""The record kinds each source system sends, declared as data: fields, keys, references and codes.

A record is one kind of row (an item, a sales-order line); its fields say what the file calls each
value, which column receives it, its type, and whether a mapping table translates it first. The
loader (``internal.integration.load``) validates and upserts any record from this description.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Table

from internal.models import (
    BomLine,
    CodeKind,
    ForecastBucket,
    InventoryPosition,
    Invoice,
    InvoiceStatus,
    Item,
    ItemKind,
    OrderStatus,
    Partner,
    PartnerContact,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    SalesOrder,
    SalesOrderEvent,
    SalesOrderLine,
    ServiceRequest,
    ServiceRequestStatus,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    Site,
    SiteKind,
    SourceListEntry,
    SourceSystem,
)


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


@dataclass(frozen=True)
class Ref:
    """A code in a file that names a row of another table (an item's SKU, a customer's code)."""

    #: What the code names, in messages ("item", "site", "customer").
    what: str
    table: Table
    #: The column holding the code.
    code: str
    #: The code's numbering is translated through this mapping kind first.
    mapped: CodeKind | None = None


REFS = {
    "item": Ref("item", _table(Item), "sku", CodeKind.item),
    "site": Ref("site", _table(Site), "code", CodeKind.site),
    "customer": Ref("customer", _table(Partner), "code", CodeKind.partner),
    "supplier": Ref("supplier", _table(Partner), "code", CodeKind.partner),
    "sales_order": Ref("sales order", _table(SalesOrder), "number"),
    "purchase_order": Ref("purchase order", _table(PurchaseOrder), "number"),
    "shipment": Ref("shipment", _table(Shipment), "number"),
}


@dataclass(frozen=True)
class LineOf:
    """A number in a nested row naming a line of the document its parent belongs to.

    A shipment line's ``order_line`` is the number of a line of the shipment's sales order: the line is
    found through the parent (the shipment) and the parent's document (its order), never by number alone.
    """

    #: The lines' table, its column holding a line's number and its column naming the document.
    table: Table
    number: str
    document: str
    #: The reference kind of the row's parent (a key of REFS), and the row's column naming the parent.
    parent: str
    parent_column: str
    #: The parent's column naming the document (a reference field of the parent's record).
    parent_document: str


#: Forecast rows name their plan; the loader writes them into that plan's draft, made if need be.
PLAN = "plan"


@dataclass(frozen=True)
class Field:
    #: What the file calls the value (a CSV column, a JSON key).
    name: str
    #: The column that receives it.
    column: str
    #: text, int, decimal, date, monday, datetime, bool, choice.
    kind: str = "text"
    required: bool = True
    default: Any = None
    #: For choices: the canonical values.
    choices: tuple[str, ...] = ()
    #: The value is translated through this mapping kind before it is checked.
    mapped: CodeKind | None = None
    #: The value is a code naming a row elsewhere (a key of REFS, or PLAN).
    ref: str | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    #: The value is the number of a line of the document the row's parent belongs to.
    line_of: LineOf | None = None


@dataclass(frozen=True)
class Record:
    #: As the file names it: a CSV file's stem, an XLSX sheet, a JSON key.
    name: str
    table: Table
    fields: tuple[Field, ...]
    #: The source system's key for a row, as columns of the table.
    key: tuple[str, ...]
    #: For rows that belong to a parent (an order's lines): rows no longer in the file are looked for
    #: only among the parents the file holds.
    scope: str | None = None
    #: The reference kind whose codes this record defines (so later records of the same file may use them).
    provides: str | None = None
    #: Columns set on new rows only (not compared, never overwritten).
    on_insert: dict[str, Any] = field(default_factory=dict)
    #: Integer columns counted up when a row changes (a revision, an optimistic-lock version).
    on_change: tuple[str, ...] = ()
    #: Nested records in JSON: (key in the parent object, child record, the child's field naming the parent).
    children: tuple[tuple[str, str, str], ...] = ()
    #: Which of the table's rows this record speaks for (customers are only some of the partners).
    among: Callable[[Table], ColumnElement[bool]] | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.column for f in self.fields)


def _statuses(enum_cls: Any) -> tuple[str, ...]:
    return tuple(m.value for m in enum_cls)


TEXT, QTY = "text", "decimal"
ZERO = Decimal(0)


def _qty(name: str, column: str | None = None, required: bool = True) -> Field:
    return Field(name, column or name, QTY, required=required, default=ZERO, minimum=ZERO)


# -- ERP: items, sites, bills of material, inventory positions, purchase orders -----------------------

SITES = Record(
    "sites",
    _table(Site),
    (
        Field("code", "code", mapped=CodeKind.site),
        Field("name", "name"),
        Field("kind", "kind", "choice", choices=_statuses(SiteKind), mapped=CodeKind.kind),
        Field("region", "region"),
        Field("country", "country", required=False, default=""),
    ),
    key=("code",),
    provides="site",
)
ITEMS = Record(
    "items",
    _table(Item),
    (
        Field("sku", "sku", mapped=CodeKind.item),
        Field("name", "name"),
        Field("kind", "kind", "choice", choices=_statuses(ItemKind), mapped=CodeKind.kind),
        Field("uom", "uom", mapped=CodeKind.unit),
        Field("standard_cost", "standard_cost", QTY, minimum=ZERO),
        Field("currency", "cost_currency", required=False, default="EUR"),
        Field("active", "active", "bool", required=False, default=True),
    ),
    key=("sku",),
    provides="item",
)
SUPPLIERS = Record(
    "suppliers",
    _table(Partner),
    (
        Field("code", "code", mapped=CodeKind.partner),
        Field("name", "name"),
        Field("country", "country", required=False, default=""),
    ),
    key=("code",),
    provides="supplier",
    on_insert={"kind": "supplier", "status": "active"},
    among=lambda t: t.c.kind.in_(("supplier", "both")),
)
BOM = Record(
    "bom",
    _table(BomLine),
    (
        Field("parent", "parent_item_id", ref="item"),
        Field("component", "component_item_id", ref="item"),
        Field("qty_per", "qty_per", QTY, minimum=Decimal("0.001")),
    ),
    key=("parent_item_id", "component_item_id"),
)
INVENTORY = Record(
    "inventory",
    _table(InventoryPosition),
    (
        Field("item", "item_id", ref="item"),
        Field("site", "site_id", ref="site"),
        _qty("on_hand"),
        _qty("allocated", required=False),
        _qty("on_order", required=False),
        _qty("safety_stock", required=False),
        _qty("daily_usage", required=False),
        Field("as_of", "as_of", "datetime"),
    ),
    key=("item_id", "site_id"),
)
PURCHASE_ORDERS = Record(
    "purchase_orders",
    _table(PurchaseOrder),
    (
        Field("number", "number"),
        Field("supplier", "supplier_id", ref="supplier"),
        Field("site", "site_id", ref="site"),
        Field("order_date", "order_date", "date"),
        Field(
            "status",
            "status",
            "choice",
            required=False,
            default="open",
            choices=_statuses(PurchaseOrderStatus),
            mapped=CodeKind.status,
        ),
        Field("currency", "currency", required=False, default="EUR"),
    ),
    key=("number",),
    provides="purchase_order",
    # A changed order is a new revision: the worker's sweep e-mails its supplier about it.
    on_change=("revision",),
)
PURCHASE_ORDER_LINES = Record(
    "purchase_order_lines",
    _table(PurchaseOrderLine),
    (
        Field("order", "order_id", ref="purchase_order"),
        Field("line_no", "line_no", "int", minimum=Decimal(1)),
        Field("item", "item_id", ref="item"),
        Field("qty", "qty", QTY, minimum=Decimal("0.001")),
        Field("unit_price", "unit_price", QTY, minimum=ZERO),
        Field("need_by", "need_by", "date"),
        _qty("shipped_qty", required=False),
        _qty("received_qty", required=False),
    ),
    key=("order_id", "line_no"),
    scope="order_id",
    # The supplier's answer (accepted, rejected...) is the portal's: an ERP export never resets it.
    on_insert={"status": "open"},
    on_change=("version",),
)

# -- CRM: customers and contacts, sales orders with lines and events, shipments, invoices, requests ---

CUSTOMER_CONTACTS = Record(
    "customer_contacts",
    _table(PartnerContact),
    (
        Field("customer", "partner_id", ref="customer"),
        Field("name", "name"),
        Field("email", "email"),
        Field("phone", "phone", required=False, default=""),
        Field("role", "role", required=False, default=""),
    ),
    key=("partner_id", "email"),
    scope="partner_id",
)
CUSTOMERS = Record(
    "customers",
    _table(Partner),
    (
        Field("code", "code", mapped=CodeKind.partner),
        Field("name", "name"),
        Field("country", "country", required=False, default=""),
        Field("key_account", "is_key_account", "bool", required=False, default=False),
    ),
    key=("code",),
    provides="customer",
    on_insert={"kind": "customer", "status": "active"},
    children=(("contacts", "customer_contacts", "customer"),),
    among=lambda t: t.c.kind.in_(("customer", "both")),
)
SALES_ORDER_LINES = Record(
    "sales_order_lines",
    _table(SalesOrderLine),
    (
        Field("order", "order_id", ref="sales_order"),
        Field("line_no", "line_no", "int", minimum=Decimal(1)),
        Field("item", "item_id", ref="item"),
        Field("qty", "qty", QTY, minimum=Decimal("0.001")),
        Field("unit_price", "unit_price", QTY, minimum=ZERO),
        Field("promised_date", "promised_date", "date", required=False),
        _qty("shipped_qty", required=False),
    ),
    key=("order_id", "line_no"),
    scope="order_id",
)
SALES_ORDER_EVENTS = Record(
    "sales_order_events",
    _table(SalesOrderEvent),
    (
        Field("order", "order_id", ref="sales_order"),
        Field("status", "status", "choice", choices=_statuses(OrderStatus), mapped=CodeKind.status),
        Field("at", "at", "datetime"),
        Field("note", "note", required=False, default=""),
    ),
    key=("order_id", "status", "at"),
    scope="order_id",
)
SALES_ORDERS = Record(
    "sales_orders",
    _table(SalesOrder),
    (
        Field("number", "number"),
        Field("customer", "customer_id", ref="customer"),
        Field("customer_reference", "customer_reference", required=False, default=""),
        Field("site", "site_id", ref="site"),
        Field("order_date", "order_date", "date"),
        Field("requested_date", "requested_date", "date"),
        Field("status", "status", "choice", choices=_statuses(OrderStatus), mapped=CodeKind.status),
        Field("total_amount", "total_amount", QTY),
        Field("currency", "currency", required=False, default="EUR"),
    ),
    key=("number",),
    provides="sales_order",
    children=(("lines", "sales_order_lines", "order"), ("events", "sales_order_events", "order")),
)
SHIPMENTS = Record(
    "shipments",
    _table(Shipment),
    (
        Field("number", "number"),
        Field("order", "order_id", ref="sales_order"),
        Field("customer", "customer_id", ref="customer"),
        Field("from_site", "from_site_id", ref="site"),
        Field("carrier", "carrier"),
        Field("tracking_number", "tracking_number", required=False, default=""),
        Field("status", "status", "choice", choices=_statuses(ShipmentStatus), mapped=CodeKind.status),
        Field("shipped_at", "shipped_at", "datetime", required=False),
        Field("eta", "eta", "date", required=False),
        Field("delivered_at", "delivered_at", "datetime", required=False),
    ),
    key=("number",),
    provides="shipment",
    children=(("lines", "shipment_lines", "shipment"),),
)
SHIPMENT_LINES = Record(
    "shipment_lines",
    _table(ShipmentLine),
    (
        Field("shipment", "shipment_id", ref="shipment"),
        Field(
            "order_line",
            "order_line_id",
            "int",
            minimum=Decimal(1),
            # The line of the shipment's order with this line_no.
            line_of=LineOf(
                _table(SalesOrderLine), "line_no", "order_id", "shipment", "shipment_id", "order_id"
            ),
        ),
        Field("qty", "qty", QTY, minimum=Decimal("0.001")),
    ),
    key=("shipment_id", "order_line_id"),
    scope="shipment_id",
)
INVOICES = Record(
    "invoices",
    _table(Invoice),
    (
        Field("number", "number"),
        Field("customer", "customer_id", ref="customer"),
        Field("order", "order_id", ref="sales_order", required=False),
        Field("issued_on", "issued_on", "date"),
        Field("due_on", "due_on", "date"),
        Field("amount", "amount", QTY),
        Field("currency", "currency", required=False, default="EUR"),
        Field("status", "status", "choice", choices=_statuses(InvoiceStatus), mapped=CodeKind.status),
        Field("paid_on", "paid_on", "date", required=False),
    ),
    key=("number",),
)
SERVICE_REQUESTS = Record(
    "service_requests",
    _table(ServiceRequest),
    (
        Field("number", "number"),
        Field("customer", "customer_id", ref="customer"),
        Field("order", "order_id", ref="sales_order", required=False),
        Field("item", "item_id", ref="item", required=False),
        Field("subject", "subject"),
        Field("status", "status", "choice", choices=_statuses(ServiceRequestStatus), mapped=CodeKind.status),
        Field(
            "priority",
            "priority",
            "choice",
            required=False,
            default="normal",
            choices=("low", "normal", "high"),
        ),
    ),
    key=("number",),
)

# -- SCM: the supplier source list (shares, lead times), forecast plans ------------------------------

SOURCE_LIST = Record(
    "source_list",
    _table(SourceListEntry),
    (
        Field("item", "item_id", ref="item"),
        Field("supplier", "supplier_id", ref="supplier"),
        Field("site", "site_id", ref="site", required=False),
        Field("lead_time_days", "lead_time_days", "int", minimum=ZERO, maximum=Decimal(730)),
        Field("share_pct", "share_pct", QTY, minimum=ZERO, maximum=Decimal(100)),
        Field("unit_price", "unit_price", QTY, minimum=ZERO),
        Field("currency", "price_currency", required=False, default="EUR"),
    ),
    key=("item_id", "supplier_id", "site_id"),
)
FORECAST = Record(
    "forecast",
    _table(ForecastBucket),
    (
        Field("plan", "plan_id", ref=PLAN),
        Field("item", "item_id", ref="item"),
        Field("site", "site_id", ref="site"),
        Field("week", "week_start", "monday"),
        Field("qty", "qty", QTY, minimum=ZERO),
        Field("customer", "customer_id", ref="customer", required=False),
        Field("channel", "channel", required=False, default=""),
    ),
    key=("plan_id", "item_id", "site_id", "week_start", "customer_id", "channel"),
    scope="plan_id",
)

#: Each system's records, in the order they are written (a record after the ones it refers to).
DIALECTS: dict[SourceSystem, tuple[Record, ...]] = {
    SourceSystem.erp: (SITES, ITEMS, SUPPLIERS, BOM, INVENTORY, PURCHASE_ORDERS, PURCHASE_ORDER_LINES),
    SourceSystem.crm: (
        CUSTOMERS,
        CUSTOMER_CONTACTS,
        SALES_ORDERS,
        SALES_ORDER_LINES,
        SALES_ORDER_EVENTS,
        SHIPMENTS,
        SHIPMENT_LINES,
        INVOICES,
        SERVICE_REQUESTS,
    ),
    SourceSystem.scm: (SOURCE_LIST, FORECAST),
}
