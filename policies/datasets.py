"""Datasets a partner can be shown: fields, key, owner column and ordering, as SQL the database runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Numeric,
    Select,
    String,
    TypeDecorator,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import QueryableAttribute, aliased

from internal.models import (
    Account,
    Consumption,
    ForecastBucket,
    ForecastCommit,
    ForecastPlan,
    InventoryPosition,
    Invoice,
    InvoiceStatus,
    Item,
    ItemKind,
    LineStatus,
    OrderStatus,
    Partner,
    PlanStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderLineResponse,
    PurchaseOrderStatus,
    SalesOrder,
    SalesOrderEvent,
    SalesOrderLine,
    ServiceRequest,
    ServiceRequestMessage,
    ServiceRequestStatus,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    ShipNotice,
    ShipNoticeLine,
    ShipToSite,
    Site,
    SourceListEntry,
)

#: A column, a mapped attribute or any SQL expression a dataset shows or filters on.
Expr = ColumnElement[Any] | QueryableAttribute[Any]
#: A row scope: the viewing partner's id to the SQL condition its rows meet.
#: The viewer's partner id as a statement sees it: a value, or the parameter a cached statement binds.
PartnerId = int | ColumnElement[int]
Scope = Callable[[PartnerId], ColumnElement[bool]]
Condition = Callable[[PartnerId, Any], ColumnElement[bool]]
#: A condition on the value asked for alone (a search, a date range), whoever the viewer.
ValueCondition = Callable[[Any], ColumnElement[bool]]


def on_value(conditions: dict[str, ValueCondition]) -> dict[str, Condition]:
    """Conditions that read only the value asked for, as the gate calls every condition."""

    def reading(make: ValueCondition) -> Condition:
        return lambda _viewer, value: make(value)

    return {name: reading(make) for name, make in conditions.items()}


@dataclass(frozen=True)
class Window:
    """The values of a dataset's leading field (an item's SKU) that a viewer can have rows for.

    Every row belongs to one value, and rows sort by it first, so a page needs only the rows of its
    first few values: the gate reads them a few values at a time instead of grouping and sorting every
    row the viewer may see (a strategic supplier's forecast: a thousand items' weeks). Used only when
    the rows are narrowed by ``scope``, which makes ``values`` a superset of the rows' values.
    """

    field: str
    scope: str
    values: Callable[[PartnerId], Select[Any]]


@dataclass(frozen=True)
class Dataset:
    name: str
    #: Which side of a partnership may be shown it: "supplier" or "customer".
    audience: str
    #: Field name to SQL expression; also the order of columns shown.
    fields: dict[str, Expr]
    #: The fields that identify a row (recorded in the ledger).
    key: tuple[str, ...]
    #: The FROM clause with its joins, selecting ``fields``.
    base: Callable[[], Select[Any]]
    #: Sort order; also the keyset cursor's columns, with their Python types.
    order: tuple[tuple[Expr, type], ...]
    #: Filters a page may ask for: name to the expression compared with equality.
    filters: dict[str, Expr]
    #: The named row scopes a policy rule may use: each a condition on the viewer's partner id.
    scopes: dict[str, Scope]
    #: Documents list newest first; a document's lines read in their own order.
    newest_first: bool = True
    #: Scopes that only pick rows out for a forbid (sharing them alone would reach other partners' rows).
    forbid_only: frozenset[str] = frozenset()
    #: What the rows are about, for the ledger: field to (subject kind, the subject's identifier
    #: when it is not the field's own value, e.g. a customer's code behind its name).
    subjects: dict[str, tuple[str, Expr | None]] = field(default_factory=dict)
    #: Fields an aggregate sums; the time field an aggregate buckets to a grain.
    measures: tuple[str, ...] = ()
    time_field: str | None = None
    #: Filters beyond equality (a search, a date range), or that depend on the viewer: name to a function
    #: of the viewer's partner id and the value asked for, giving the condition.
    conditions: dict[str, Condition] = field(default_factory=dict)
    #: Lets the gate read a page a few values of its leading field at a time (see Window).
    window: Window | None = None
    #: Field to the enterprise figure its values derive from ("forecast demand"): a figure shown in two
    #: datasets must be shown alike in both, or the finer one undoes the coarser (``policies.figures``).
    derived_from: dict[str, str] = field(default_factory=dict)
    #: The fields each condition reads: a condition is refused to a viewer not shown all of them, so a
    #: search cannot probe values the policy hides.
    condition_reads: dict[str, tuple[str, ...]] = field(default_factory=dict)


def time_bucket(expr: Any, grain: str, dialect: str) -> ColumnElement[dt.date]:
    """The first day of the week (Monday), month or quarter ``expr`` falls in, in the database's SQL."""
    if dialect == "postgresql":
        return cast(func.date_trunc(grain, expr), Date)
    if grain == "week":
        weekday = (cast(func.strftime("%w", expr), Integer) + 6) % 7
        day = func.date(expr, literal("-") + cast(weekday, String) + literal(" days"))
    elif grain == "month":
        day = func.date(expr, "start of month")
    else:
        months = (cast(func.strftime("%m", expr), Integer) - 1) % 3
        day = func.date(expr, "start of month", literal("-") + cast(months, String) + literal(" months"))
    return type_coerce(day, Date)  # SQLite's CAST AS DATE would make a number of it


def _sourced(item_id: Expr, site_id: Expr) -> ColumnElement[bool]:
    """Joins a source-list entry for the item, for every site or for this one."""
    return and_(
        SourceListEntry.item_id == item_id,
        or_(SourceListEntry.site_id.is_(None), SourceListEntry.site_id == site_id),
    )


def _select(
    fields: dict[str, Expr], order: tuple[tuple[Expr, type], ...], subjects: dict[str, Expr] | None = None
) -> Select[Any]:
    """The fields, the keyset cursor's columns, and any subject identifiers the ledger records."""
    cursor = [column.label(f"_cursor{n}") for n, (column, _type) in enumerate(order)]
    behind = [expr.label(f"_subject_{name}") for name, expr in (subjects or {}).items()]
    return select(*(expr.label(name) for name, expr in fields.items()), *cursor, *behind)


_po_lines = (
    select(func.count())
    .where(PurchaseOrderLine.order_id == PurchaseOrder.id)
    .correlate(PurchaseOrder)
    .scalar_subquery()
)
_po_fields: dict[str, Expr] = {
    "number": PurchaseOrder.number,
    "order_date": PurchaseOrder.order_date,
    "status": PurchaseOrder.status,
    "deliver_to": Site.code,
    "revision": PurchaseOrder.revision,
    "lines": _po_lines,
    "currency": PurchaseOrder.currency,
}
_po_order = ((PurchaseOrder.order_date, dt.date), (PurchaseOrder.id, int))


def _latest_answer(column: Expr) -> Any:
    """A column of the line's latest answer: a buyer's decision shows until the supplier answers again."""
    return (
        select(column)
        .where(PurchaseOrderLineResponse.line_id == PurchaseOrderLine.id)
        .order_by(PurchaseOrderLineResponse.id.desc())
        .limit(1)
        .correlate(PurchaseOrderLine)
        .scalar_subquery()
    )


_pol_fields: dict[str, Expr] = {
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
    #: The buyer's decision on the supplier's latest proposal (accepted, declined) and why it was declined.
    "decision": _latest_answer(PurchaseOrderLineResponse.decision),
    "decision_reason": _latest_answer(PurchaseOrderLineResponse.decision_reason),
}
_pol_order = ((PurchaseOrder.id, int), (PurchaseOrderLine.line_no, int))

#: Lines a ship notice can still cover: of an order still in progress, answered or not, not fully shipped.
_shippable = (
    PurchaseOrder.status.in_(
        [PurchaseOrderStatus.open, PurchaseOrderStatus.acknowledged, PurchaseOrderStatus.partially_shipped]
    )
    & PurchaseOrderLine.status.in_([LineStatus.open, LineStatus.accepted, LineStatus.change_proposed])
    & (PurchaseOrderLine.shipped_qty < PurchaseOrderLine.qty)
)


def _need_by_until(_viewer: PartnerId, day: dt.date) -> ColumnElement[bool]:
    return PurchaseOrderLine.need_by <= day


_notice_lines = (
    select(func.count())
    .where(ShipNoticeLine.notice_id == ShipNotice.id)
    .correlate(ShipNotice)
    .scalar_subquery()
)
_sn_fields: dict[str, Expr] = {
    "number": ShipNotice.number,
    "ship_date": ShipNotice.ship_date,
    "expected_arrival": ShipNotice.expected_arrival,
    "carrier": ShipNotice.carrier,
    "tracking_number": ShipNotice.tracking_number,
    "status": ShipNotice.status,
    "lines": _notice_lines,
}
_sn_order = ((ShipNotice.ship_date, dt.date), (ShipNotice.id, int))

# -- forecast: the published plan's demand for the items the viewer supplies, by item, site and week --
_previous_plan = aliased(ForecastPlan)
_previous_bucket = aliased(ForecastBucket)
#: The previous version's figure in the terms of the current one: where the current bucket is already
#: the supplier's own part (a derived plan), an earlier item total counts at the supplier's share.
_previous_part = case(
    (
        and_(ForecastBucket.supplier_id.is_not(None), _previous_bucket.supplier_id.is_(None)),
        _previous_bucket.qty * SourceListEntry.share_pct / 100,
    ),
    else_=_previous_bucket.qty,
)
_previous_qty = (
    select(func.coalesce(func.sum(_previous_part), 0))
    .join(_previous_plan, _previous_plan.id == _previous_bucket.plan_id)
    .where(
        _previous_plan.name == ForecastPlan.name,
        _previous_plan.version == ForecastPlan.version - 1,
        _previous_bucket.item_id == ForecastBucket.item_id,
        _previous_bucket.site_id == ForecastBucket.site_id,
        _previous_bucket.week_start == ForecastBucket.week_start,
        or_(
            _previous_bucket.supplier_id.is_(None),
            _previous_bucket.supplier_id == SourceListEntry.supplier_id,
        ),
    )
    .correlate(ForecastPlan, ForecastBucket, SourceListEntry)
    .scalar_subquery()
)
_fc_fields: dict[str, Expr] = {
    "sku": Item.sku,
    "item": Item.name,
    "uom": Item.uom,
    "site": Site.code,
    "week": ForecastBucket.week_start,
    "qty": func.sum(ForecastBucket.qty),
    "previous_qty": _previous_qty,
    # A bucket that is already the supplier's own part counts in full, not at the item's share again.
    "share_pct": case((ForecastBucket.supplier_id.is_(None), SourceListEntry.share_pct), else_=literal(100)),
    "plan_version": ForecastPlan.version,
    "published_at": ForecastPlan.published_at,
    "frozen_until": ForecastPlan.frozen_until,
}
_fc_order = ((Item.sku, str), (Site.code, str), (ForecastBucket.week_start, dt.date))


def _published_buckets(query: Select[Any]) -> Select[Any]:
    """The published plan's buckets for items on a source list, with their item and site."""
    return (
        query.select_from(ForecastBucket)
        .join(
            ForecastPlan,
            and_(ForecastPlan.id == ForecastBucket.plan_id, ForecastPlan.status == PlanStatus.published),
        )
        .join(
            SourceListEntry,
            and_(
                _sourced(ForecastBucket.item_id, ForecastBucket.site_id),
                # A derived plan's bucket is one supplier's part: only that supplier's entry joins it.
                or_(
                    ForecastBucket.supplier_id.is_(None),
                    ForecastBucket.supplier_id == SourceListEntry.supplier_id,
                ),
            ),
        )
        .join(Item, Item.id == ForecastBucket.item_id)
        .join(Site, Site.id == ForecastBucket.site_id)
    )


def _skus_supplied(viewer: PartnerId) -> Select[Any]:
    """The SKUs on the viewer's source list: every forecast row it may see is of one of them."""
    return (
        select(Item.sku)
        .join(SourceListEntry, SourceListEntry.item_id == Item.id)
        .where(SourceListEntry.supplier_id == viewer)
        .distinct()
    )


def _forecast_base() -> Select[Any]:
    return _published_buckets(_select(_fc_fields, _fc_order)).group_by(
        Item.sku,
        Item.name,
        Item.uom,
        Site.code,
        ForecastBucket.week_start,
        ForecastBucket.item_id,
        ForecastBucket.site_id,
        SourceListEntry.share_pct,
        SourceListEntry.supplier_id,
        ForecastBucket.supplier_id,
        ForecastPlan.id,
        ForecastPlan.name,
        ForecastPlan.version,
        ForecastPlan.published_at,
        ForecastPlan.frozen_until,
    )


#: Just which weeks the plan has for the viewer's items: what the home page counts, without the sums.
_fw_fields: dict[str, Expr] = {
    "sku": Item.sku,
    "site": Site.code,
    "week": ForecastBucket.week_start,
    "frozen_until": ForecastPlan.frozen_until,
}


def _not_committed_by(viewer: PartnerId, wanted: bool) -> ColumnElement[bool]:
    """Weeks the viewer has not committed to yet (``wanted`` True), or those it has (False)."""
    committed = exists().where(
        ForecastCommit.plan_id == ForecastBucket.plan_id,
        ForecastCommit.supplier_id == viewer,
        ForecastCommit.item_id == ForecastBucket.item_id,
        ForecastCommit.site_id == ForecastBucket.site_id,
        ForecastCommit.week_start == ForecastBucket.week_start,
    )
    return not_(committed) if wanted else committed


def _forecast_weeks_base() -> Select[Any]:
    return (
        _published_buckets(_select(_fw_fields, _fc_order))
        .where(
            or_(ForecastPlan.frozen_until.is_(None), ForecastBucket.week_start > ForecastPlan.frozen_until)
        )
        .distinct()
    )


# -- inventory: stock of the items the viewer supplies, at each site --
_iv_fields: dict[str, Expr] = {
    "sku": Item.sku,
    "item": Item.name,
    "uom": Item.uom,
    "site": Site.code,
    "on_hand": InventoryPosition.on_hand,
    "on_order": InventoryPosition.on_order,
    "safety_stock": InventoryPosition.safety_stock,
    "days_of_supply": type_coerce(
        case(
            (
                InventoryPosition.daily_usage > 0,
                func.round(InventoryPosition.on_hand / InventoryPosition.daily_usage),
            ),
            else_=None,
        ),
        Numeric(12, 0),
    ),
    "as_of": InventoryPosition.as_of,
}
_iv_order = ((Item.sku, str), (Site.code, str))


def _inventory_base() -> Select[Any]:
    return (
        _select(_iv_fields, _iv_order)
        .select_from(InventoryPosition)
        .join(SourceListEntry, _sourced(InventoryPosition.item_id, InventoryPosition.site_id))
        .join(Item, Item.id == InventoryPosition.item_id)
        .join(Site, Site.id == InventoryPosition.site_id)
    )


_si_fields: dict[str, Expr] = {
    "sku": Item.sku,
    "item": Item.name,
    "uom": Item.uom,
    "lead_time_days": SourceListEntry.lead_time_days,
    "share_pct": SourceListEntry.share_pct,
}
_si_order = ((Item.sku, str), (SourceListEntry.id, int))

_cm_fields: dict[str, Expr] = {
    "sku": Item.sku,
    "site": Site.code,
    "week": ForecastCommit.week_start,
    "committed_qty": ForecastCommit.committed_qty,
    "forecast_qty": ForecastCommit.forecast_qty,
    "status": ForecastCommit.status,
    "comment": ForecastCommit.comment,
    "revision": ForecastCommit.revision,
}
_cm_order = ((Item.sku, str), (Site.code, str), (ForecastCommit.week_start, dt.date))


class Cents(TypeDecorator[Decimal]):
    """A sum of money counted in whole cents in SQL, read back as an exact Decimal.

    SQLite keeps NUMERIC values as floating point: summing the amounts there would add floats, so each
    amount is rounded to an integer number of cents first, and integers add exactly on every database.
    """

    impl = Numeric(20, 0)
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(round(value)) / 100).quantize(CENT)


CENT = Decimal("0.01")


def in_cents(amount: Any) -> ColumnElement[Any]:
    """``amount`` rounded to whole cents, as an integer-valued SQL expression."""
    return func.round(amount * 100)


def _contains(column: Expr, text: str) -> ColumnElement[bool]:
    """Case-insensitive substring match; % and _ typed by the user match themselves."""
    return func.lower(column).contains(text.lower(), autoescape=True)


_line_amount = type_coerce(in_cents(SalesOrderLine.qty * SalesOrderLine.unit_price), Cents())
_so_lines_total = type_coerce(
    select(func.coalesce(func.sum(in_cents(SalesOrderLine.qty * SalesOrderLine.unit_price)), 0))
    .where(SalesOrderLine.order_id == SalesOrder.id)
    .correlate(SalesOrder)
    .scalar_subquery(),
    Cents(),
)
_so_fields: dict[str, Expr] = {
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
    "lines_total": _so_lines_total,
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
_so_order = ((SalesOrder.order_date, dt.date), (SalesOrder.id, int))


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


def _delivered_to(order_ship_to: Expr) -> ValueCondition:
    """Documents of orders delivered to the customer's ship-to site with this code."""
    return lambda code: order_ship_to.in_(
        select(ShipToSite.id).where(ShipToSite.code == code).scalar_subquery()
    )


_so_conditions: dict[str, ValueCondition] = {
    "q": _order_search,
    "ship_to": _delivered_to(SalesOrder.ship_to_id),
    "ordered_from": lambda day: SalesOrder.order_date >= day,
    "ordered_to": lambda day: SalesOrder.order_date <= day,
    "open": lambda _yes: SalesOrder.status.not_in(
        [OrderStatus.delivered, OrderStatus.invoiced, OrderStatus.cancelled]
    ),
}

_sol_fields: dict[str, Expr] = {
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
    "amount": _line_amount,
}
_sol_order = ((SalesOrder.id, int), (SalesOrderLine.line_no, int))

#: An order's status history: what its timeline is built from.
_soe_fields: dict[str, Expr] = {
    "order_number": SalesOrder.number,
    "status": SalesOrderEvent.status,
    "at": SalesOrderEvent.at,
    "note": SalesOrderEvent.note,
}
_soe_order = ((SalesOrder.id, int), (SalesOrderEvent.id, int))

# -- consumption: goods issues of the items the viewer supplies, and the customer each went to --
_cu_customer = aliased(Partner)
_cu_fields: dict[str, Expr] = {
    "sku": Item.sku,
    "item": Item.name,
    "uom": Item.uom,
    "site": Site.code,
    "issued_on": Consumption.issued_on,
    "qty": Consumption.qty,
    "customer": _cu_customer.name,
}
_cu_order = ((Item.sku, str), (Consumption.issued_on, dt.date), (Consumption.id, int))


def _consumption_base() -> Select[Any]:
    return (
        _select(_cu_fields, _cu_order, {"customer": _cu_customer.code})
        .select_from(Consumption)
        .join(SourceListEntry, _sourced(Consumption.item_id, Consumption.site_id))
        .join(Item, Item.id == Consumption.item_id)
        .join(Site, Site.id == Consumption.site_id)
        .outerjoin(_cu_customer, _cu_customer.id == Consumption.customer_id)
    )


def _key_account_demand(customer: Expr) -> Scope:
    key_account = aliased(Partner)
    return lambda _viewer: exists(
        select(key_account.id).where(key_account.id == customer, key_account.is_key_account)
    )


def _supplier_sites(site: Expr) -> Scope:
    """The sites a supplier delivers to: named on its source list or on its purchase orders."""
    return lambda viewer: and_(
        SourceListEntry.supplier_id == viewer,
        or_(
            site.in_(
                select(SourceListEntry.site_id)
                .where(SourceListEntry.supplier_id == viewer, SourceListEntry.site_id.is_not(None))
                .scalar_subquery()
            ),
            site.in_(
                select(PurchaseOrder.site_id).where(PurchaseOrder.supplier_id == viewer).scalar_subquery()
            ),
        ),
    )


def _supplied(viewer: PartnerId) -> ColumnElement[bool]:
    return SourceListEntry.supplier_id == viewer


def _own(owner: Expr) -> Scope:
    return lambda viewer: owner == viewer


# -- the customer side: shipments, invoices, service requests and availability --
_sh_lines = (
    select(func.count()).where(ShipmentLine.shipment_id == Shipment.id).correlate(Shipment).scalar_subquery()
)
_sh_fields: dict[str, Expr] = {
    "number": Shipment.number,
    "order_number": SalesOrder.number,
    "ship_from": Site.code,
    "carrier": Shipment.carrier,
    "tracking_number": Shipment.tracking_number,
    "status": Shipment.status,
    "shipped_at": Shipment.shipped_at,
    "eta": Shipment.eta,
    "delivered_at": Shipment.delivered_at,
    "lines": _sh_lines,
}
_sh_order = ((Shipment.id, int),)
_sh_conditions: dict[str, ValueCondition] = {
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

_in_order_number = aliased(SalesOrder)
_in_fields: dict[str, Expr] = {
    "number": Invoice.number,
    "order_number": _in_order_number.number,
    "issued_on": Invoice.issued_on,
    "due_on": Invoice.due_on,
    "amount": Invoice.amount,
    "currency": Invoice.currency,
    "status": Invoice.status,
    "paid_on": Invoice.paid_on,
}
_in_order = ((Invoice.issued_on, dt.date), (Invoice.id, int))
_in_conditions: dict[str, ValueCondition] = {
    "q": lambda text: or_(
        _contains(Invoice.number, str(text).strip()), _contains(_in_order_number.number, str(text).strip())
    ),
    #: What the customer still owes: open, and open past its due date.
    "unpaid": lambda _yes: Invoice.status.in_([InvoiceStatus.open, InvoiceStatus.overdue]),
    "issued_from": lambda day: Invoice.issued_on >= day,
    "issued_to": lambda day: Invoice.issued_on <= day,
    "ship_to": _delivered_to(_in_order_number.ship_to_id),
}

_sr_order_number = aliased(SalesOrder)
_sr_item = aliased(Item)
_sr_fields: dict[str, Expr] = {
    "number": ServiceRequest.number,
    "subject": ServiceRequest.subject,
    "order_number": _sr_order_number.number,
    "sku": _sr_item.sku,
    "status": ServiceRequest.status,
    "priority": ServiceRequest.priority,
    "opened_at": ServiceRequest.created_at,
    "updated_at": ServiceRequest.updated_at,
}
_sr_order = ((ServiceRequest.id, int),)


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


_sr_conditions: dict[str, ValueCondition] = {
    "open": lambda _yes: ServiceRequest.status.not_in(
        [ServiceRequestStatus.resolved, ServiceRequestStatus.closed]
    ),
    "ship_to": _delivered_to(_sr_order_number.ship_to_id),
    "q": lambda text: or_(
        _contains(ServiceRequest.number, str(text).strip()),
        _contains(ServiceRequest.subject, str(text).strip()),
    ),
    "opened_from": lambda day: ServiceRequest.created_at >= _start_of(day),
    "opened_to": lambda day: ServiceRequest.created_at < _start_of(day + dt.timedelta(days=1)),
}

_st_fields: dict[str, Expr] = {
    "code": ShipToSite.code,
    "name": ShipToSite.name,
    "city": ShipToSite.city,
    "country": ShipToSite.country,
}
_st_order = ((ShipToSite.code, str),)

#: The conversation on a request, without the staff's internal notes (those never leave the building).
_srm_author = aliased(Account)
_srm_fields: dict[str, Expr] = {
    "request_number": ServiceRequest.number,
    "author": _srm_author.name,
    "from_service_team": func.coalesce(_srm_author.is_staff, True),
    "body": ServiceRequestMessage.body,
    "at": ServiceRequestMessage.created_at,
}
_srm_order = ((ServiceRequest.id, int), (ServiceRequestMessage.id, int))


def _service_request_messages_base() -> Select[Any]:
    return (
        _select(_srm_fields, _srm_order)
        .select_from(ServiceRequestMessage)
        .join(ServiceRequest, ServiceRequest.id == ServiceRequestMessage.request_id)
        .outerjoin(_srm_author, _srm_author.id == ServiceRequestMessage.author_id)
        .where(ServiceRequestMessage.internal_only.is_(False))
    )


_av_fields: dict[str, Expr] = {
    "sku": Item.sku,
    "item": Item.name,
    "uom": Item.uom,
    "site": Site.code,
    "available": InventoryPosition.on_hand - InventoryPosition.allocated,
    "as_of": InventoryPosition.as_of,
    #: The lead time sales quotes for the item, in days.
    "lead_time_days": Item.lead_time_days,
}
_av_order = ((Item.sku, str), (Site.code, str))


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


ITEM = "item"
DOCUMENT = "document"
CUSTOMER = "customer"

#: Enterprise figures that more than one dataset shows, in whole or as a share of it.
DEMAND = "forecast demand"
PREVIOUS_DEMAND = "previous forecast demand"
SUPPLY_SHARE = "supply share"
STOCK_ON_HAND = "stock on hand"
CONSUMED = "consumption"

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            name="purchase_orders",
            audience="supplier",
            fields=_po_fields,
            key=("number",),
            base=lambda: (
                _select(_po_fields, _po_order)
                .select_from(PurchaseOrder)
                .join(Site, Site.id == PurchaseOrder.site_id)
            ),
            order=_po_order,
            filters={"number": PurchaseOrder.number, "status": PurchaseOrder.status},
            scopes={"own_documents": _own(PurchaseOrder.supplier_id)},
            subjects={"number": (DOCUMENT, None)},
        ),
        Dataset(
            name="purchase_order_lines",
            audience="supplier",
            fields=_pol_fields,
            key=("order_number", "line_no"),
            base=lambda: (
                _select(_pol_fields, _pol_order)
                .select_from(PurchaseOrderLine)
                .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
                .join(Item, Item.id == PurchaseOrderLine.item_id)
            ),
            order=_pol_order,
            filters={"order_number": PurchaseOrder.number, "shippable": _shippable},
            conditions={"need_by_until": _need_by_until},
            scopes={"own_documents": _own(PurchaseOrder.supplier_id)},
            newest_first=False,
            subjects={"order_number": (DOCUMENT, None), "sku": (ITEM, None)},
            measures=("qty", "shipped_qty"),
            time_field="need_by",
        ),
        Dataset(
            name="ship_notices",
            audience="supplier",
            fields=_sn_fields,
            key=("number",),
            base=lambda: _select(_sn_fields, _sn_order).select_from(ShipNotice),
            order=_sn_order,
            filters={"number": ShipNotice.number},
            scopes={"own_documents": _own(ShipNotice.supplier_id)},
            subjects={"number": (DOCUMENT, None)},
        ),
        Dataset(
            name="forecast",
            audience="supplier",
            fields=_fc_fields,
            key=("sku", "site", "week"),
            base=_forecast_base,
            order=_fc_order,
            filters={"sku": Item.sku, "site": Site.code},
            window=Window("sku", "supplied_by_viewer", _skus_supplied),
            scopes={"supplied_by_viewer": _supplied},
            newest_first=False,
            subjects={"sku": (ITEM, None)},
            measures=("qty", "previous_qty"),
            time_field="week",
            derived_from={"qty": DEMAND, "previous_qty": PREVIOUS_DEMAND, "share_pct": SUPPLY_SHARE},
        ),
        Dataset(
            name="forecast_weeks",
            audience="supplier",
            fields=_fw_fields,
            key=("sku", "site", "week"),
            base=_forecast_weeks_base,
            order=_fc_order,
            filters={"sku": Item.sku},
            conditions={"uncommitted": _not_committed_by},
            scopes={"supplied_by_viewer": _supplied},
            newest_first=False,
            subjects={"sku": (ITEM, None)},
        ),
        Dataset(
            name="inventory",
            audience="supplier",
            fields=_iv_fields,
            key=("sku", "site"),
            base=_inventory_base,
            order=_iv_order,
            filters={"sku": Item.sku, "site": Site.code},
            scopes={"supplied_by_viewer": _supplied, "sites_viewer_serves": _supplier_sites(Site.id)},
            newest_first=False,
            subjects={"sku": (ITEM, None)},
            derived_from={"on_hand": STOCK_ON_HAND},
        ),
        Dataset(
            name="consumption",
            audience="supplier",
            fields=_cu_fields,
            key=("sku", "site", "issued_on"),
            base=_consumption_base,
            order=_cu_order,
            filters={"sku": Item.sku, "site": Site.code},
            scopes={
                "supplied_by_viewer": _supplied,
                "sites_viewer_serves": _supplier_sites(Site.id),
                "key_account_demand": _key_account_demand(Consumption.customer_id),
            },
            forbid_only=frozenset({"key_account_demand"}),
            newest_first=False,
            window=Window("sku", "supplied_by_viewer", _skus_supplied),
            subjects={"sku": (ITEM, None), "customer": (CUSTOMER, _cu_customer.code)},
            measures=("qty",),
            time_field="issued_on",
            derived_from={"qty": CONSUMED},
        ),
        Dataset(
            name="supplied_items",
            audience="supplier",
            fields=_si_fields,
            key=("sku",),
            base=lambda: (
                _select(_si_fields, _si_order)
                .select_from(SourceListEntry)
                .join(Item, Item.id == SourceListEntry.item_id)
            ),
            order=_si_order,
            filters={"sku": Item.sku},
            scopes={"supplied_by_viewer": _supplied},
            newest_first=False,
            subjects={"sku": (ITEM, None)},
            derived_from={"share_pct": SUPPLY_SHARE},
        ),
        Dataset(
            name="forecast_commits",
            audience="supplier",
            fields=_cm_fields,
            key=("sku", "site", "week"),
            base=lambda: (
                _select(_cm_fields, _cm_order)
                .select_from(ForecastCommit)
                .join(
                    ForecastPlan,
                    and_(
                        ForecastPlan.id == ForecastCommit.plan_id, ForecastPlan.status == PlanStatus.published
                    ),
                )
                .join(Item, Item.id == ForecastCommit.item_id)
                .join(Site, Site.id == ForecastCommit.site_id)
            ),
            order=_cm_order,
            filters={"sku": Item.sku, "site": Site.code, "status": ForecastCommit.status},
            scopes={"own_documents": _own(ForecastCommit.supplier_id)},
            newest_first=False,
            subjects={"sku": (ITEM, None)},
            derived_from={"forecast_qty": DEMAND},
        ),
        Dataset(
            name="orders",
            audience="customer",
            fields=_so_fields,
            key=("number",),
            base=lambda: (
                _select(_so_fields, _so_order)
                .select_from(SalesOrder)
                .join(Site, Site.id == SalesOrder.site_id)
                .outerjoin(ShipToSite, ShipToSite.id == SalesOrder.ship_to_id)
            ),
            order=_so_order,
            filters={"number": SalesOrder.number, "status": SalesOrder.status},
            scopes={"own_documents": _own(SalesOrder.customer_id)},
            subjects={"number": (DOCUMENT, None)},
            conditions=on_value(_so_conditions),
            condition_reads={
                "q": ("number", "customer_reference"),
                "ordered_from": ("order_date",),
                "ordered_to": ("order_date",),
                "open": ("status",),
                "ship_to": ("ship_to",),
            },
        ),
        Dataset(
            name="order_lines",
            audience="customer",
            fields=_sol_fields,
            key=("order_number", "line_no"),
            base=lambda: (
                _select(_sol_fields, _sol_order)
                .select_from(SalesOrderLine)
                .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
                .join(Item, Item.id == SalesOrderLine.item_id)
            ),
            order=_sol_order,
            filters={"order_number": SalesOrder.number},
            scopes={"own_documents": _own(SalesOrder.customer_id)},
            newest_first=False,
            subjects={"order_number": (DOCUMENT, None), "sku": (ITEM, None)},
        ),
        Dataset(
            name="order_events",
            audience="customer",
            fields=_soe_fields,
            key=("order_number", "status", "at"),
            base=lambda: (
                _select(_soe_fields, _soe_order)
                .select_from(SalesOrderEvent)
                .join(SalesOrder, SalesOrder.id == SalesOrderEvent.order_id)
            ),
            order=_soe_order,
            filters={"order_number": SalesOrder.number},
            scopes={"own_documents": _own(SalesOrder.customer_id)},
            newest_first=False,
            subjects={"order_number": (DOCUMENT, None)},
        ),
        Dataset(
            name="shipments",
            audience="customer",
            fields=_sh_fields,
            key=("number",),
            base=lambda: (
                _select(_sh_fields, _sh_order)
                .select_from(Shipment)
                .join(SalesOrder, SalesOrder.id == Shipment.order_id)
                .join(Site, Site.id == Shipment.from_site_id)
            ),
            order=_sh_order,
            filters={"number": Shipment.number, "order_number": SalesOrder.number, "status": Shipment.status},
            scopes={"own_documents": _own(Shipment.customer_id)},
            subjects={"number": (DOCUMENT, None), "order_number": (DOCUMENT, None)},
            conditions=on_value(_sh_conditions),
            condition_reads={
                "q": ("number", "order_number", "tracking_number"),
                "arriving_from": ("eta",),
                "arriving_to": ("eta",),
                "on_the_way": ("status",),
            },
        ),
        Dataset(
            name="invoices",
            audience="customer",
            fields=_in_fields,
            key=("number",),
            base=lambda: (
                _select(_in_fields, _in_order)
                .select_from(Invoice)
                .outerjoin(_in_order_number, _in_order_number.id == Invoice.order_id)
            ),
            order=_in_order,
            filters={
                "number": Invoice.number,
                "status": Invoice.status,
                "order_number": _in_order_number.number,
            },
            scopes={"own_documents": _own(Invoice.customer_id)},
            subjects={"number": (DOCUMENT, None), "order_number": (DOCUMENT, None)},
            measures=("amount",),
            time_field="issued_on",
            conditions=on_value(_in_conditions),
            condition_reads={
                "q": ("number", "order_number"),
                "unpaid": ("status",),
                "issued_from": ("issued_on",),
                "issued_to": ("issued_on",),
            },
        ),
        Dataset(
            name="service_requests",
            audience="customer",
            fields=_sr_fields,
            key=("number",),
            base=lambda: (
                _select(_sr_fields, _sr_order)
                .select_from(ServiceRequest)
                .outerjoin(_sr_order_number, _sr_order_number.id == ServiceRequest.order_id)
                .outerjoin(_sr_item, _sr_item.id == ServiceRequest.item_id)
            ),
            order=_sr_order,
            filters={
                "number": ServiceRequest.number,
                "status": ServiceRequest.status,
                "order_number": _sr_order_number.number,
            },
            scopes={"own_documents": _own(ServiceRequest.customer_id)},
            subjects={"number": (DOCUMENT, None), "order_number": (DOCUMENT, None), "sku": (ITEM, None)},
            conditions=on_value(_sr_conditions),
            condition_reads={
                "q": ("number", "subject"),
                "open": ("status",),
                "opened_from": ("opened_at",),
                "opened_to": ("opened_at",),
            },
        ),
        Dataset(
            name="ship_to_sites",
            audience="customer",
            fields=_st_fields,
            key=("code",),
            base=lambda: _select(_st_fields, _st_order).select_from(ShipToSite),
            order=_st_order,
            filters={"code": ShipToSite.code},
            scopes={"own_documents": _own(ShipToSite.customer_id)},
            newest_first=False,
        ),
        Dataset(
            name="service_request_messages",
            audience="customer",
            fields=_srm_fields,
            key=("request_number", "at"),
            base=_service_request_messages_base,
            order=_srm_order,
            filters={"request_number": ServiceRequest.number},
            scopes={"own_documents": _own(ServiceRequest.customer_id)},
            newest_first=False,
            subjects={"request_number": (DOCUMENT, None)},
        ),
        Dataset(
            name="availability",
            audience="customer",
            fields=_av_fields,
            key=("sku", "site"),
            base=lambda: (
                _select(_av_fields, _av_order)
                .select_from(InventoryPosition)
                .join(Item, and_(Item.id == InventoryPosition.item_id, Item.kind == ItemKind.finished))
                .join(Site, Site.id == InventoryPosition.site_id)
            ),
            order=_av_order,
            filters={"sku": Item.sku, "site": Site.code},
            scopes={"sites_viewer_serves": _customer_sites, "bought_by_viewer": _bought_by},
            newest_first=False,
            subjects={"sku": (ITEM, None)},
        ),
    )
}
