"""Datasets a partner can be shown: fields, key, owner column and ordering, as SQL the database runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

from internal.models import (
    Item,
    LineStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    SalesOrder,
    SalesOrderLine,
    ShipNotice,
    ShipNoticeLine,
    Site,
)


@dataclass(frozen=True)
class Dataset:
    name: str
    #: Which side of a partnership may be shown it: "supplier" or "customer".
    audience: str
    #: Field name to SQL expression; also the order of columns shown.
    fields: dict[str, ColumnElement[Any]]
    #: The fields that identify a row (recorded in the ledger).
    key: tuple[str, ...]
    #: Row scope "own documents": rows whose owner is the viewing partner.
    owner: ColumnElement[int]
    #: The FROM clause with its joins, selecting ``fields``.
    base: Callable[[], Select[Any]]
    #: Sort order; also the keyset cursor's columns, with their Python types.
    order: tuple[tuple[ColumnElement[Any], type], ...]
    #: Filters a page may ask for: name to the expression compared with equality.
    filters: dict[str, ColumnElement[Any]]
    #: Documents list newest first; a document's lines read in their own order.
    newest_first: bool = True


def _select(
    fields: dict[str, ColumnElement[Any]], order: tuple[tuple[ColumnElement[Any], type], ...]
) -> Select[Any]:
    cursor = [column.label(f"_cursor{n}") for n, (column, _type) in enumerate(order)]
    return select(*(expr.label(name) for name, expr in fields.items()), *cursor)


_po_lines = (
    select(func.count())
    .where(PurchaseOrderLine.order_id == PurchaseOrder.id)
    .correlate(PurchaseOrder)
    .scalar_subquery()
)
_po_fields: dict[str, ColumnElement[Any]] = {
    "number": PurchaseOrder.number,
    "order_date": PurchaseOrder.order_date,
    "status": PurchaseOrder.status,
    "deliver_to": Site.code,
    "revision": PurchaseOrder.revision,
    "lines": _po_lines,
    "currency": PurchaseOrder.currency,
}
_po_order = ((PurchaseOrder.order_date, dt.date), (PurchaseOrder.id, int))

_pol_fields: dict[str, ColumnElement[Any]] = {
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
_sn_fields: dict[str, ColumnElement[Any]] = {
    "number": ShipNotice.number,
    "ship_date": ShipNotice.ship_date,
    "expected_arrival": ShipNotice.expected_arrival,
    "carrier": ShipNotice.carrier,
    "tracking_number": ShipNotice.tracking_number,
    "status": ShipNotice.status,
    "lines": _notice_lines,
}
_sn_order = ((ShipNotice.ship_date, dt.date), (ShipNotice.id, int))

_so_fields: dict[str, ColumnElement[Any]] = {
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

_sol_fields: dict[str, ColumnElement[Any]] = {
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
