"""Datasets a partner can be shown: fields, key, owner column and ordering, as SQL the database runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Numeric, Select, and_, case, func, or_, select, type_coerce
from sqlalchemy.orm import QueryableAttribute, aliased

from internal.models import (
    ForecastBucket,
    ForecastCommit,
    ForecastPlan,
    InventoryPosition,
    Item,
    LineStatus,
    PlanStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    SalesOrder,
    SalesOrderLine,
    ShipNotice,
    ShipNoticeLine,
    Site,
    SourceListEntry,
)

#: A column, a mapped attribute or any SQL expression a dataset shows or filters on.
Expr = ColumnElement[Any] | QueryableAttribute[Any]


@dataclass(frozen=True)
class Dataset:
    name: str
    #: Which side of a partnership may be shown it: "supplier" or "customer".
    audience: str
    #: Field name to SQL expression; also the order of columns shown.
    fields: dict[str, Expr]
    #: The fields that identify a row (recorded in the ledger).
    key: tuple[str, ...]
    #: Row scope "own documents": rows whose owner is the viewing partner.
    owner: Expr
    #: The FROM clause with its joins, selecting ``fields``.
    base: Callable[[], Select[Any]]
    #: Sort order; also the keyset cursor's columns, with their Python types.
    order: tuple[tuple[Expr, type], ...]
    #: Filters a page may ask for: name to the expression compared with equality.
    filters: dict[str, Expr]
    #: Documents list newest first; a document's lines read in their own order.
    newest_first: bool = True
    #: The named row scopes a policy rule may use for this dataset (the owner column decides them).
    scopes: tuple[str, ...] = ("own_documents",)


def _select(fields: dict[str, Expr], order: tuple[tuple[Expr, type], ...]) -> Select[Any]:
    cursor = [column.label(f"_cursor{n}") for n, (column, _type) in enumerate(order)]
    return select(*(expr.label(name) for name, expr in fields.items()), *cursor)


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
_previous_qty = (
    select(func.coalesce(func.sum(_previous_bucket.qty), 0))
    .join(_previous_plan, _previous_plan.id == _previous_bucket.plan_id)
    .where(
        _previous_plan.name == ForecastPlan.name,
        _previous_plan.version == ForecastPlan.version - 1,
        _previous_bucket.item_id == ForecastBucket.item_id,
        _previous_bucket.site_id == ForecastBucket.site_id,
        _previous_bucket.week_start == ForecastBucket.week_start,
    )
    .correlate(ForecastPlan, ForecastBucket)
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
    "share_pct": SourceListEntry.share_pct,
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
                SourceListEntry.item_id == ForecastBucket.item_id,
                or_(SourceListEntry.site_id.is_(None), SourceListEntry.site_id == ForecastBucket.site_id),
            ),
        )
        .join(Item, Item.id == ForecastBucket.item_id)
        .join(Site, Site.id == ForecastBucket.site_id)
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
        .join(
            SourceListEntry,
            and_(
                SourceListEntry.item_id == InventoryPosition.item_id,
                or_(SourceListEntry.site_id.is_(None), SourceListEntry.site_id == InventoryPosition.site_id),
            ),
        )
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

_so_fields: dict[str, Expr] = {
    "number": SalesOrder.number,
    "customer_reference": SalesOrder.customer_reference,
    "order_date": SalesOrder.order_date,
    "requested_date": SalesOrder.requested_date,
    "status": SalesOrder.status,
    "ship_from": Site.code,
    "total_amount": SalesOrder.total_amount,
    "currency": SalesOrder.currency,
}
_so_order = ((SalesOrder.order_date, dt.date), (SalesOrder.id, int))

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
}
_sol_order = ((SalesOrder.id, int), (SalesOrderLine.line_no, int))

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            name="purchase_orders",
            audience="supplier",
            fields=_po_fields,
            key=("number",),
            owner=PurchaseOrder.supplier_id,
            base=lambda: (
                _select(_po_fields, _po_order)
                .select_from(PurchaseOrder)
                .join(Site, Site.id == PurchaseOrder.site_id)
            ),
            order=_po_order,
            filters={"number": PurchaseOrder.number, "status": PurchaseOrder.status},
        ),
        Dataset(
            name="purchase_order_lines",
            audience="supplier",
            fields=_pol_fields,
            key=("order_number", "line_no"),
            owner=PurchaseOrder.supplier_id,
            base=lambda: (
                _select(_pol_fields, _pol_order)
                .select_from(PurchaseOrderLine)
                .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
                .join(Item, Item.id == PurchaseOrderLine.item_id)
            ),
            order=_pol_order,
            filters={"order_number": PurchaseOrder.number, "shippable": _shippable},
            newest_first=False,
        ),
        Dataset(
            name="ship_notices",
            audience="supplier",
            fields=_sn_fields,
            key=("number",),
            owner=ShipNotice.supplier_id,
            base=lambda: _select(_sn_fields, _sn_order).select_from(ShipNotice),
            order=_sn_order,
            filters={"number": ShipNotice.number},
        ),
        Dataset(
            name="forecast",
            audience="supplier",
            fields=_fc_fields,
            key=("sku", "site", "week"),
            owner=SourceListEntry.supplier_id,
            base=_forecast_base,
            order=_fc_order,
            filters={"sku": Item.sku, "site": Site.code},
            newest_first=False,
            scopes=("supplied_by_viewer",),
        ),
        Dataset(
            name="forecast_weeks",
            audience="supplier",
            fields=_fw_fields,
            key=("sku", "site", "week"),
            owner=SourceListEntry.supplier_id,
            base=_forecast_weeks_base,
            order=_fc_order,
            filters={"sku": Item.sku},
            newest_first=False,
            scopes=("supplied_by_viewer",),
        ),
        Dataset(
            name="inventory",
            audience="supplier",
            fields=_iv_fields,
            key=("sku", "site"),
            owner=SourceListEntry.supplier_id,
            base=_inventory_base,
            order=_iv_order,
            filters={"sku": Item.sku, "site": Site.code},
            newest_first=False,
            scopes=("supplied_by_viewer",),
        ),
        Dataset(
            name="supplied_items",
            audience="supplier",
            fields=_si_fields,
            key=("sku",),
            owner=SourceListEntry.supplier_id,
            base=lambda: (
                _select(_si_fields, _si_order)
                .select_from(SourceListEntry)
                .join(Item, Item.id == SourceListEntry.item_id)
            ),
            order=_si_order,
            filters={"sku": Item.sku},
            newest_first=False,
            scopes=("supplied_by_viewer",),
        ),
        Dataset(
            name="forecast_commits",
            audience="supplier",
            fields=_cm_fields,
            key=("sku", "site", "week"),
            owner=ForecastCommit.supplier_id,
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
            newest_first=False,
        ),
        Dataset(
            name="orders",
            audience="customer",
            fields=_so_fields,
            key=("number",),
            owner=SalesOrder.customer_id,
            base=lambda: (
                _select(_so_fields, _so_order)
                .select_from(SalesOrder)
                .join(Site, Site.id == SalesOrder.site_id)
            ),
            order=_so_order,
            filters={"number": SalesOrder.number, "status": SalesOrder.status},
        ),
        Dataset(
            name="order_lines",
            audience="customer",
            fields=_sol_fields,
            key=("order_number", "line_no"),
            owner=SalesOrder.customer_id,
            base=lambda: (
                _select(_sol_fields, _sol_order)
                .select_from(SalesOrderLine)
                .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
                .join(Item, Item.id == SalesOrderLine.item_id)
            ),
            order=_sol_order,
            filters={"order_number": SalesOrder.number},
            newest_first=False,
        ),
    )
}
