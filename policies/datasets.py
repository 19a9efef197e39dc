"""Datasets a partner can be shown, declared in code: fields with their types, key, row scopes and filters.

Everything here is SQL the database runs. A row scope is a named predicate built for the viewing
partner; the gate puts the scopes a policy grants, the scopes a policy forbids, the page's filters,
the horizon and the keyset cursor into one query, so no row outside them ever leaves the database.

Datasets with ``measures`` are grouped by the dimensions the viewer is shown: hiding a field (the
customer behind a forecast bucket, the site) sums over it instead of showing repeated rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    Integer,
    Numeric,
    Select,
    TypeDecorator,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    type_coerce,
    union,
)
from sqlalchemy.orm import QueryableAttribute, aliased

from internal.models import (
    ForecastBucket,
    ForecastCommit,
    ForecastPlan,
    InventoryPosition,
    Invoice,
    Item,
    ItemKind,
    LineStatus,
    Partner,
    PlanStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    SalesOrder,
    SalesOrderLine,
    ServiceRequest,
    Shipment,
    ShipNotice,
    ShipNoticeLine,
    Site,
    SourceListEntry,
)

#: A column, a mapped attribute or any SQL expression a dataset shows or filters on.
Expr = ColumnElement[Any] | QueryableAttribute[Any]
#: A row scope: the viewing partner's id to a SQL condition on the dataset's rows.
ScopeBuilder = Callable[[int], ColumnElement[bool]]

#: Field types the policy language checks transforms against.
FIELD_TYPES = ("number", "date", "datetime", "text", "site")


@dataclass(frozen=True)
class Scope:
    """A named, SQL-pushable set of rows, described for a business reader."""

    description: str
    where: ScopeBuilder


@dataclass(frozen=True)
class Dataset:
    name: str
    #: Which side of a partnership it is meant for: "supplier" or "customer" (documentation only:
    #: the policy decides who sees what).
    audience: str
    #: Field name to SQL expression; also the order of columns shown.
    fields: dict[str, Expr]
    #: The fields that identify a row (recorded in the ledger).
    key: tuple[str, ...]
    #: The FROM clause with its joins for the viewing partner id, selecting nothing yet.
    source: Callable[[int], Select[Any]]
    #: Sort order; also the keyset cursor's columns, with their Python types.
    order: tuple[tuple[Expr, type], ...]
    #: Filters a page may ask for: name to the expression compared with equality.
    filters: dict[str, Expr]
    #: The named row scopes a rule may use (share) or remove (forbid).
    scopes: dict[str, Scope]
    #: Documents list newest first; a document's lines read in their own order.
    newest_first: bool = True
    #: Fields holding site codes (generalize: region applies to them).
    site_fields: tuple[str, ...] = ()
    #: Summable fields and their SQL aggregate; a dataset with measures groups by the visible dimensions.
    measures: Mapping[str, Expr] = field(default_factory=dict)
    #: The weekly date field a horizon and an aggregate's grain apply to.
    time_field: str | None = None
    #: Fields that only mean something together with others (item name with its SKU).
    depends_on: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Who or what each row is about, for the ledger ("customer", "item"), read before any transform.
    subjects: Mapping[str, Expr] = field(default_factory=dict)
    #: Extra GROUP BY columns a visible field needs (its correlated subquery's keys).
    group_extra: Mapping[str, tuple[Expr, ...]] = field(default_factory=dict)
    #: Only rows with at least one current (not previous) contribution; for grouped datasets.
    having: Expr | None = None
    #: Fields whose SQL depends on who looks (the viewer's share of an item's demand).
    per_viewer: Mapping[str, Callable[[int], Any]] = field(default_factory=dict)
    #: One line for people choosing a dataset in a policy.
    description: str = ""

    def expression(self, name: str, pid: int) -> Any:
        """The SQL for field ``name`` as the partner ``pid`` sees it."""
        build = self.per_viewer.get(name)
        return build(pid) if build is not None else self.fields[name]

    def field_type(self, name: str) -> str:
        """number, date, datetime, text or site."""
        if name in self.site_fields:
            return "site"
        sql_type = self.fields[name].type
        if isinstance(sql_type, TypeDecorator):
            sql_type = sql_type.impl_instance
        if isinstance(sql_type, Boolean):
            return "text"
        if isinstance(sql_type, Integer | Numeric):
            return "number"
        if isinstance(sql_type, DateTime):
            return "datetime"
        if isinstance(sql_type, Date):
            return "date"
        return "text"

    @property
    def dimensions(self) -> tuple[str, ...]:
        return tuple(name for name in self.fields if name not in self.measures)


# -- row scopes shared by several datasets -----------------------------------------------------------


def _items_supplied_by(pid: int) -> Select[Any]:
    return select(SourceListEntry.item_id).where(SourceListEntry.supplier_id == pid)


def supplied_by(item_id: Expr, site_id: Expr) -> ScopeBuilder:
    """Rows of an item (at a site) on the viewer's approved source list."""

    def where(pid: int) -> ColumnElement[bool]:
        # The IN lets the database drive from the supplier's items; the EXISTS checks the site.
        return and_(
            item_id.in_(_items_supplied_by(pid)),
            exists().where(
                SourceListEntry.supplier_id == pid,
                SourceListEntry.item_id == item_id,
                or_(SourceListEntry.site_id.is_(None), SourceListEntry.site_id == site_id),
            ),
        )

    return where


def sites_served_by(site_id: Expr) -> ScopeBuilder:
    """Rows at a site the viewer delivers to: named on its source list, or a purchase order's ship-to."""

    def where(pid: int) -> ColumnElement[bool]:
        sites = union(
            select(SourceListEntry.site_id).where(
                SourceListEntry.supplier_id == pid, SourceListEntry.site_id.is_not(None)
            ),
            select(PurchaseOrder.site_id).where(PurchaseOrder.supplier_id == pid),
        )
        return site_id.in_(sites)

    return where


def owned_by(owner: Expr) -> ScopeBuilder:
    def where(pid: int) -> ColumnElement[bool]:
        return owner == pid

    return where


def _own(owner: Expr, what: str) -> dict[str, Scope]:
    return {"own_documents": Scope(f"the viewer's own {what}", owned_by(owner))}


# -- supplier side: purchase orders ------------------------------------------------------------------

_po_lines = (
    select(func.count())
    .where(PurchaseOrderLine.order_id == PurchaseOrder.id)
    .correlate(PurchaseOrder)
    .scalar_subquery()
)
_deliver_to = aliased(Site)

_purchase_orders = Dataset(
    name="purchase_orders",
    audience="supplier",
    description="Purchase orders the enterprise placed with the viewer.",
    fields={
        "number": PurchaseOrder.number,
        "order_date": PurchaseOrder.order_date,
        "status": PurchaseOrder.status,
        "deliver_to": _deliver_to.code,
        "revision": PurchaseOrder.revision,
        "lines": _po_lines,
        "currency": PurchaseOrder.currency,
    },
    key=("number",),
    source=lambda _pid: (
        select().select_from(PurchaseOrder).join(_deliver_to, _deliver_to.id == PurchaseOrder.site_id)
    ),
    order=((PurchaseOrder.order_date, dt.date), (PurchaseOrder.id, int)),
    filters={"number": PurchaseOrder.number, "status": PurchaseOrder.status},
    scopes={
        **_own(PurchaseOrder.supplier_id, "purchase orders"),
        "sites_served_by_viewer": Scope(
            "orders to sites the viewer serves", sites_served_by(PurchaseOrder.site_id)
        ),
    },
    site_fields=("deliver_to",),
)

#: Lines a ship notice can still cover: of an order still in progress, answered or not, not fully shipped.
_shippable = (
    PurchaseOrder.status.in_(
        [PurchaseOrderStatus.open, PurchaseOrderStatus.acknowledged, PurchaseOrderStatus.partially_shipped]
    )
    & PurchaseOrderLine.status.in_([LineStatus.open, LineStatus.accepted, LineStatus.change_proposed])
    & (PurchaseOrderLine.shipped_qty < PurchaseOrderLine.qty)
)

_purchase_order_lines = Dataset(
    name="purchase_order_lines",
    audience="supplier",
    description="Lines of the viewer's purchase orders.",
    fields={
        "order_number": PurchaseOrder.number,
        "line_no": PurchaseOrderLine.line_no,
        "sku": Item.sku,
        "item": Item.name,
        "qty": PurchaseOrderLine.qty,
        "uom": Item.uom,
        "unit_price": PurchaseOrderLine.unit_price,
        "need_by": PurchaseOrderLine.need_by,
        "status": PurchaseOrderLine.status,
        "shipped_qty": PurchaseOrderLine.shipped_qty,
        #: The line's version: an answer names the version it was given to, so a stale answer is caught.
        "version": PurchaseOrderLine.version,
    },
    key=("order_number", "line_no"),
    source=lambda _pid: (
        select()
        .select_from(PurchaseOrderLine)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .join(Item, Item.id == PurchaseOrderLine.item_id)
    ),
    order=((PurchaseOrder.id, int), (PurchaseOrderLine.line_no, int)),
    filters={"order_number": PurchaseOrder.number, "shippable": _shippable},
    scopes=_own(PurchaseOrder.supplier_id, "purchase orders"),
    newest_first=False,
    subjects={"item": Item.sku},
)

_notice_lines = (
    select(func.count())
    .where(ShipNoticeLine.notice_id == ShipNotice.id)
    .correlate(ShipNotice)
    .scalar_subquery()
)
_ship_notices = Dataset(
    name="ship_notices",
    audience="supplier",
    description="Advance ship notices the viewer sent.",
    fields={
        "number": ShipNotice.number,
        "ship_date": ShipNotice.ship_date,
        "expected_arrival": ShipNotice.expected_arrival,
        "carrier": ShipNotice.carrier,
        "tracking_number": ShipNotice.tracking_number,
        "status": ShipNotice.status,
        "lines": _notice_lines,
    },
    key=("number",),
    source=lambda _pid: select().select_from(ShipNotice),
    order=((ShipNotice.ship_date, dt.date), (ShipNotice.id, int)),
    filters={"number": ShipNotice.number},
    scopes=_own(ShipNotice.supplier_id, "ship notices"),
)

# -- supplier side: the published forecast -----------------------------------------------------------
#: The published plan, and the plan version before it (for the change since then), in one pass.
_published = aliased(ForecastPlan, name="published_plan")
_bucket_plan = aliased(ForecastPlan, name="bucket_plan")
_fc_customer = aliased(Partner, name="demand_customer")
_fc_site = aliased(Site, name="forecast_site")
_current = _bucket_plan.id == _published.id


def _share_pct_for(pid: int) -> Any:
    return (
        select(func.max(SourceListEntry.share_pct))
        .where(
            SourceListEntry.supplier_id == pid,
            SourceListEntry.item_id == ForecastBucket.item_id,
            or_(SourceListEntry.site_id.is_(None), SourceListEntry.site_id == ForecastBucket.site_id),
        )
        .correlate(ForecastBucket)
        .scalar_subquery()
    )


#: Stands in for the per-viewer subquery where only the type matters (validation, explain).
_SHARE_PCT = type_coerce(literal(None), Numeric(5, 2))


def _forecast_source(pid: int) -> Select[Any]:
    return (
        select()
        .select_from(ForecastBucket)
        .join(_bucket_plan, _bucket_plan.id == ForecastBucket.plan_id)
        .join(
            _published,
            and_(
                _published.status == PlanStatus.published,
                _published.name == _bucket_plan.name,
                _bucket_plan.version.in_([_published.version, _published.version - 1]),
            ),
        )
        .join(Item, Item.id == ForecastBucket.item_id)
        .join(_fc_site, _fc_site.id == ForecastBucket.site_id)
        .outerjoin(_fc_customer, _fc_customer.id == ForecastBucket.customer_id)
    )


_forecast = Dataset(
    name="forecast",
    audience="supplier",
    description="The published demand plan for the items the viewer supplies, by item, site and week.",
    fields={
        "sku": Item.sku,
        "item": Item.name,
        "uom": Item.uom,
        "site": _fc_site.code,
        "region": _fc_site.region,
        "week": ForecastBucket.week_start,
        #: Who drives the demand (a trade secret): the customer's code, where known.
        "customer": _fc_customer.code,
        "channel": ForecastBucket.channel,
        "qty": type_coerce(func.sum(case((_current, ForecastBucket.qty), else_=0)), Numeric(16, 3)),
        "previous_qty": type_coerce(
            func.sum(case((_current, 0), else_=ForecastBucket.qty)), Numeric(16, 3)
        ),
        "share_pct": _SHARE_PCT,
        "plan_version": _published.version,
        "published_at": _published.published_at,
        "frozen_until": _published.frozen_until,
    },
    key=("sku", "site", "week"),
    source=_forecast_source,
    order=((Item.sku, str), (_fc_site.code, str), (ForecastBucket.week_start, dt.date)),
    filters={"sku": Item.sku, "site": _fc_site.code},
    scopes={
        "supplied_by_viewer": Scope(
            "items the viewer supplies", supplied_by(ForecastBucket.item_id, ForecastBucket.site_id)
        ),
        "sites_served_by_viewer": Scope(
            "sites the viewer serves", sites_served_by(ForecastBucket.site_id)
        ),
        "key_account_demand": Scope(
            "demand driven by key-account customers",
            lambda _pid: func.coalesce(_fc_customer.is_key_account, false()) == true(),
        ),
    },
    newest_first=False,
    site_fields=("site",),
    measures={"qty": ForecastBucket.qty, "previous_qty": ForecastBucket.qty},
    time_field="week",
    depends_on={"item": ("sku",), "uom": ("sku",), "share_pct": ("sku", "site")},
    subjects={"item": Item.sku, "customer": _fc_customer.code},
    group_extra={"share_pct": (ForecastBucket.item_id, ForecastBucket.site_id)},
    per_viewer={"share_pct": _share_pct_for},
    having=func.count(case((_current, 1))) > 0,
)

#: Just which weeks the plan has for the viewer's items: what the home page counts, without the sums.
_forecast_weeks = Dataset(
    name="forecast_weeks",
    audience="supplier",
    description="The open (not frozen) weeks of the published plan for the viewer's items.",
    fields={
        "sku": Item.sku,
        "site": _fc_site.code,
        "week": ForecastBucket.week_start,
        "frozen_until": _published.frozen_until,
    },
    key=("sku", "site", "week"),
    source=lambda pid: (
        select()
        .select_from(ForecastBucket)
        .join(
            _published,
            and_(_published.id == ForecastBucket.plan_id, _published.status == PlanStatus.published),
        )
        .join(Item, Item.id == ForecastBucket.item_id)
        .join(_fc_site, _fc_site.id == ForecastBucket.site_id)
        .where(
            or_(_published.frozen_until.is_(None), ForecastBucket.week_start > _published.frozen_until)
        )
        .distinct()
    ),
    order=((Item.sku, str), (_fc_site.code, str), (ForecastBucket.week_start, dt.date)),
    filters={"sku": Item.sku},
    scopes={
        "supplied_by_viewer": Scope(
            "items the viewer supplies", supplied_by(ForecastBucket.item_id, ForecastBucket.site_id)
        ),
    },
    newest_first=False,
    site_fields=("site",),
    time_field="week",
)

# -- supplier side: stock and consumption ------------------------------------------------------------
_iv_site = aliased(Site, name="stock_site")
_days_of_supply = type_coerce(
    case(
        (
            InventoryPosition.daily_usage > 0,
            func.round(InventoryPosition.on_hand / InventoryPosition.daily_usage),
        ),
        else_=None,
    ),
    Numeric(12, 0),
)


def _stock_source(_pid: int) -> Select[Any]:
    return (
        select()
        .select_from(InventoryPosition)
        .join(Item, Item.id == InventoryPosition.item_id)
        .join(_iv_site, _iv_site.id == InventoryPosition.site_id)
    )


_stock_scopes = {
    "supplied_by_viewer": Scope(
        "items the viewer supplies", supplied_by(InventoryPosition.item_id, InventoryPosition.site_id)
    ),
    "sites_served_by_viewer": Scope("sites the viewer serves", sites_served_by(InventoryPosition.site_id)),
}

_inventory = Dataset(
    name="inventory",
    audience="supplier",
    description="Stock of the viewer's items at each site, as the ERP last reported it.",
    fields={
        "sku": Item.sku,
        "item": Item.name,
        "uom": Item.uom,
        "site": _iv_site.code,
        "on_hand": InventoryPosition.on_hand,
        "on_order": InventoryPosition.on_order,
        "safety_stock": InventoryPosition.safety_stock,
        "days_of_supply": _days_of_supply,
        "unit_cost": Item.standard_cost,
        "as_of": InventoryPosition.as_of,
    },
    key=("sku", "site"),
    source=_stock_source,
    order=((Item.sku, str), (_iv_site.code, str)),
    filters={"sku": Item.sku, "site": _iv_site.code},
    scopes=_stock_scopes,
    newest_first=False,
    site_fields=("site",),
    subjects={"item": Item.sku},
)

_consumption = Dataset(
    name="consumption",
    audience="supplier",
    description="How fast the viewer's items are used at each site (13-week average).",
    fields={
        "sku": Item.sku,
        "item": Item.name,
        "uom": Item.uom,
        "site": _iv_site.code,
        "region": _iv_site.region,
        "daily_usage": type_coerce(func.sum(InventoryPosition.daily_usage), Numeric(16, 3)),
        "weekly_usage": type_coerce(func.sum(InventoryPosition.daily_usage * 7), Numeric(16, 3)),
        "as_of": func.max(InventoryPosition.as_of),
    },
    key=("sku", "site"),
    source=_stock_source,
    order=((Item.sku, str), (_iv_site.code, str)),
    filters={"sku": Item.sku, "site": _iv_site.code},
    scopes=_stock_scopes,
    newest_first=False,
    site_fields=("site",),
    measures={
        "daily_usage": InventoryPosition.daily_usage,
        "weekly_usage": InventoryPosition.daily_usage,
        "as_of": InventoryPosition.as_of,
    },
    depends_on={"item": ("sku",), "uom": ("sku",)},
    subjects={"item": Item.sku},
)

_supplied_items = Dataset(
    name="supplied_items",
    audience="supplier",
    description="The items on the viewer's approved source list.",
    fields={
        "sku": Item.sku,
        "item": Item.name,
        "uom": Item.uom,
        "lead_time_days": SourceListEntry.lead_time_days,
        "share_pct": SourceListEntry.share_pct,
    },
    key=("sku",),
    source=lambda _pid: select().select_from(SourceListEntry).join(Item, Item.id == SourceListEntry.item_id),
    order=((Item.sku, str), (SourceListEntry.id, int)),
    filters={"sku": Item.sku},
    scopes={"supplied_by_viewer": Scope("items the viewer supplies", owned_by(SourceListEntry.supplier_id))},
    newest_first=False,
    subjects={"item": Item.sku},
)

_cm_site = aliased(Site, name="commit_site")
_commit_plan = aliased(ForecastPlan, name="commit_plan")
_forecast_commits = Dataset(
    name="forecast_commits",
    audience="supplier",
    description="The viewer's commitments against the published plan.",
    fields={
        "sku": Item.sku,
        "site": _cm_site.code,
        "week": ForecastCommit.week_start,
        "committed_qty": ForecastCommit.committed_qty,
        "forecast_qty": ForecastCommit.forecast_qty,
        "status": ForecastCommit.status,
        "comment": ForecastCommit.comment,
        "revision": ForecastCommit.revision,
    },
    key=("sku", "site", "week"),
    source=lambda _pid: (
        select()
        .select_from(ForecastCommit)
        .join(
            _commit_plan,
            and_(_commit_plan.id == ForecastCommit.plan_id, _commit_plan.status == PlanStatus.published),
        )
        .join(Item, Item.id == ForecastCommit.item_id)
        .join(_cm_site, _cm_site.id == ForecastCommit.site_id)
    ),
    order=((Item.sku, str), (_cm_site.code, str), (ForecastCommit.week_start, dt.date)),
    filters={"sku": Item.sku, "site": _cm_site.code, "status": ForecastCommit.status},
    scopes=_own(ForecastCommit.supplier_id, "forecast commits"),
    newest_first=False,
    site_fields=("site",),
    time_field="week",
    subjects={"item": Item.sku},
)

# -- customer side ------------------------------------------------------------------------------------
_ship_from = aliased(Site, name="ship_from_site")
_order_customer = aliased(Partner, name="order_customer")

_orders = Dataset(
    name="orders",
    audience="customer",
    description="The viewer's sales orders.",
    fields={
        "number": SalesOrder.number,
        "customer_reference": SalesOrder.customer_reference,
        "order_date": SalesOrder.order_date,
        "requested_date": SalesOrder.requested_date,
        "status": SalesOrder.status,
        "ship_from": _ship_from.code,
        "total_amount": SalesOrder.total_amount,
        "currency": SalesOrder.currency,
    },
    key=("number",),
    source=lambda _pid: (
        select()
        .select_from(SalesOrder)
        .join(_ship_from, _ship_from.id == SalesOrder.site_id)
        .join(_order_customer, _order_customer.id == SalesOrder.customer_id)
    ),
    order=((SalesOrder.order_date, dt.date), (SalesOrder.id, int)),
    filters={"number": SalesOrder.number, "status": SalesOrder.status},
    scopes=_own(SalesOrder.customer_id, "orders"),
    site_fields=("ship_from",),
    subjects={"customer": _order_customer.code},
)

_order_lines = Dataset(
    name="order_lines",
    audience="customer",
    description="Lines of the viewer's sales orders.",
    fields={
        "order_number": SalesOrder.number,
        "line_no": SalesOrderLine.line_no,
        "sku": Item.sku,
        "item": Item.name,
        "qty": SalesOrderLine.qty,
        "uom": Item.uom,
        "unit_price": SalesOrderLine.unit_price,
        "promised_date": SalesOrderLine.promised_date,
        "shipped_qty": SalesOrderLine.shipped_qty,
    },
    key=("order_number", "line_no"),
    source=lambda _pid: (
        select()
        .select_from(SalesOrderLine)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .join(Item, Item.id == SalesOrderLine.item_id)
        .join(_order_customer, _order_customer.id == SalesOrder.customer_id)
    ),
    order=((SalesOrder.id, int), (SalesOrderLine.line_no, int)),
    filters={"order_number": SalesOrder.number},
    scopes=_own(SalesOrder.customer_id, "orders"),
    newest_first=False,
    subjects={"customer": _order_customer.code, "item": Item.sku},
)

_shipment_order = aliased(SalesOrder, name="shipment_order")
_shipment_site = aliased(Site, name="shipment_site")
_shipment_customer = aliased(Partner, name="shipment_customer")
_shipments = Dataset(
    name="shipments",
    audience="customer",
    description="Shipments of the viewer's orders, with carrier, tracking and arrival.",
    fields={
        "number": Shipment.number,
        "order_number": _shipment_order.number,
        "ship_from": _shipment_site.code,
        "carrier": Shipment.carrier,
        "tracking_number": Shipment.tracking_number,
        "status": Shipment.status,
        "shipped_at": Shipment.shipped_at,
        "eta": Shipment.eta,
        "delivered_at": Shipment.delivered_at,
    },
    key=("number",),
    source=lambda _pid: (
        select()
        .select_from(Shipment)
        .join(_shipment_order, _shipment_order.id == Shipment.order_id)
        .join(_shipment_site, _shipment_site.id == Shipment.from_site_id)
        .join(_shipment_customer, _shipment_customer.id == Shipment.customer_id)
    ),
    order=((Shipment.id, int),),
    filters={"number": Shipment.number, "order_number": _shipment_order.number, "status": Shipment.status},
    scopes=_own(Shipment.customer_id, "shipments"),
    site_fields=("ship_from",),
    subjects={"customer": _shipment_customer.code},
)

_invoice_order = aliased(SalesOrder, name="invoice_order")
_invoice_customer = aliased(Partner, name="invoice_customer")
_invoices = Dataset(
    name="invoices",
    audience="customer",
    description="Invoices to the viewer.",
    fields={
        "number": Invoice.number,
        "order_number": _invoice_order.number,
        "issued_on": Invoice.issued_on,
        "due_on": Invoice.due_on,
        "amount": Invoice.amount,
        "currency": Invoice.currency,
        "status": Invoice.status,
        "paid_on": Invoice.paid_on,
    },
    key=("number",),
    source=lambda _pid: (
        select()
        .select_from(Invoice)
        .outerjoin(_invoice_order, _invoice_order.id == Invoice.order_id)
        .join(_invoice_customer, _invoice_customer.id == Invoice.customer_id)
    ),
    order=((Invoice.issued_on, dt.date), (Invoice.id, int)),
    filters={"number": Invoice.number, "status": Invoice.status, "order_number": _invoice_order.number},
    scopes=_own(Invoice.customer_id, "invoices"),
    subjects={"customer": _invoice_customer.code},
)

_request_order = aliased(SalesOrder, name="request_order")
_request_item = aliased(Item, name="request_item")
_request_customer = aliased(Partner, name="request_customer")
_service_requests = Dataset(
    name="service_requests",
    audience="customer",
    description="The viewer's service requests.",
    fields={
        "number": ServiceRequest.number,
        "subject": ServiceRequest.subject,
        "status": ServiceRequest.status,
        "priority": ServiceRequest.priority,
        "order_number": _request_order.number,
        "sku": _request_item.sku,
        "created_at": ServiceRequest.created_at,
        "updated_at": ServiceRequest.updated_at,
    },
    key=("number",),
    source=lambda _pid: (
        select()
        .select_from(ServiceRequest)
        .outerjoin(_request_order, _request_order.id == ServiceRequest.order_id)
        .outerjoin(_request_item, _request_item.id == ServiceRequest.item_id)
        .join(_request_customer, _request_customer.id == ServiceRequest.customer_id)
    ),
    order=((ServiceRequest.created_at, dt.datetime), (ServiceRequest.id, int)),
    filters={"number": ServiceRequest.number, "status": ServiceRequest.status},
    scopes=_own(ServiceRequest.customer_id, "service requests"),
    subjects={"customer": _request_customer.code, "item": _request_item.sku},
)


def _ordered_by(pid: int) -> ColumnElement[bool]:
    return InventoryPosition.item_id.in_(
        select(SalesOrderLine.item_id)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .where(SalesOrder.customer_id == pid)
    )


def _sites_serving(pid: int) -> ColumnElement[bool]:
    return InventoryPosition.site_id.in_(select(SalesOrder.site_id).where(SalesOrder.customer_id == pid))


_availability = Dataset(
    name="availability",
    audience="customer",
    description="Stock free to promise (on hand less allocated) of finished goods, by site.",
    fields={
        "sku": Item.sku,
        "item": Item.name,
        "uom": Item.uom,
        "site": _iv_site.code,
        "available": type_coerce(InventoryPosition.on_hand - InventoryPosition.allocated, Numeric(16, 3)),
        "on_order": InventoryPosition.on_order,
        "as_of": InventoryPosition.as_of,
    },
    key=("sku", "site"),
    source=lambda _pid: _stock_source(_pid).where(Item.kind == ItemKind.finished, Item.active.is_(True)),
    order=((Item.sku, str), (_iv_site.code, str)),
    filters={"sku": Item.sku, "site": _iv_site.code},
    scopes={
        "ordered_by_viewer": Scope("items the viewer has ordered", _ordered_by),
        "sites_serving_viewer": Scope("sites that ship the viewer's orders", _sites_serving),
        "catalogue": Scope("every active finished good", lambda _pid: true()),
    },
    newest_first=False,
    site_fields=("site",),
    subjects={"item": Item.sku},
)

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        _purchase_orders,
        _purchase_order_lines,
        _ship_notices,
        _forecast,
        _forecast_weeks,
        _inventory,
        _consumption,
        _supplied_items,
        _forecast_commits,
        _orders,
        _order_lines,
        _shipments,
        _invoices,
        _service_requests,
        _availability,
    )
}


