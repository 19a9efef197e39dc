"""Advance ship notices from suppliers, covering lines of one or more of their open purchase orders."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from internal.models import (
    LineStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    ShipNotice,
    ShipNoticeLine,
)
from internal.numbering import number_from_id, provisional_number
from internal.partners import lock_partner_documents
from internal.quantities import quantity_problem

SHIPPABLE_ORDERS = (
    PurchaseOrderStatus.open,
    PurchaseOrderStatus.acknowledged,
    PurchaseOrderStatus.partially_shipped,
)
SHIPPABLE_LINES = (LineStatus.open, LineStatus.accepted, LineStatus.change_proposed)


@dataclass(frozen=True)
class NoticeLine:
    po_number: str
    line_no: int
    qty: Decimal


class ShipNoticeRefused(ValueError):
    """The notice was not created; ``errors`` lists every problem, each saying what to fix."""

    def __init__(self, errors: list[Any]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


def open_quantity(line: PurchaseOrderLine) -> Decimal:
    return max(line.qty - line.shipped_qty, Decimal(0))


def create_ship_notice(
    session: Session,
    *,
    account_id: int,
    partner_id: int,
    ship_date: dt.date,
    expected_arrival: dt.date,
    carrier: str,
    tracking_number: str,
    lines: list[NoticeLine],
) -> ShipNotice:
    """Create a ship notice and count its quantities as shipped; all or nothing."""
    lock_partner_documents(session, partner_id)  # its lines' shipped quantities are read, then raised
    errors: list[Any] = []
    carrier = carrier.strip()
    if not carrier:
        errors.append(_l("Name the carrier."))
    if expected_arrival < ship_date:
        errors.append(_l("The expected arrival cannot be before the ship date."))
    if not lines:
        errors.append(_l("Add at least one purchase-order line to ship."))

    wanted: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for entry in lines:
        field = str(_l("%(po_number)s line %(line_no)s", po_number=entry.po_number, line_no=entry.line_no))
        if problem := quantity_problem(entry.qty, field, allow_zero=False):
            errors.append(problem)
            continue
        wanted[(entry.po_number, entry.line_no)] += entry.qty
    found = (
        {
            (line.order.number, line.line_no): line
            for line in session.scalars(
                select(PurchaseOrderLine)
                .join(PurchaseOrder)
                .where(
                    PurchaseOrder.supplier_id == partner_id,
                    tuple_(PurchaseOrder.number, PurchaseOrderLine.line_no).in_(list(wanted)),
                )
            )
        }
        if wanted
        else {}
    )
    for (number, line_no), qty in wanted.items():
        line = found.get((number, line_no))
        if line is None:
            # Someone else's order reads exactly like a missing one.
            errors.append(
                _l(
                    "%(number)s line %(line_no)s: there is no such purchase-order line.",
                    number=number,
                    line_no=line_no,
                )
            )
        elif line.order.status not in SHIPPABLE_ORDERS or line.status not in SHIPPABLE_LINES:
            errors.append(
                _l(
                    "%(number)s line %(line_no)s: the line is %(value)s and cannot be shipped.",
                    number=number,
                    line_no=line_no,
                    value=line.status.value,
                )
            )
        elif qty > (still_open := open_quantity(line)):
            errors.append(
                _l(
                    "%(number)s line %(line_no)s: %(qty)s is more than the %(open)s %(uom)s still open.",
                    number=number,
                    line_no=line_no,
                    qty=f"{qty.normalize():f}",
                    open=f"{still_open.normalize():f}",
                    uom=line.item.uom,
                )
            )
    if errors:
        raise ShipNoticeRefused(errors)

    notice = ShipNotice(
        number=provisional_number(),
        supplier_id=partner_id,
        ship_date=ship_date,
        expected_arrival=expected_arrival,
        carrier=carrier,
        tracking_number=tracking_number.strip(),
        created_by_id=account_id,
    )
    for key, qty in wanted.items():
        line = found[key]
        notice.lines.append(ShipNoticeLine(po_line_id=line.id, qty=qty))
        line.shipped_qty += qty
        line.order.status = PurchaseOrderStatus.partially_shipped
    session.add(notice)
    number_from_id(session, notice, "ASN", 7)
    return notice
