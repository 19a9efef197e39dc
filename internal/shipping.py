"""Advance ship notices from suppliers, covering lines of one or more of their open purchase orders."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from internal.models import (
    LineStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    ShipNotice,
    ShipNoticeLine,
)

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

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
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
    errors: list[str] = []
    carrier = carrier.strip()
    if not carrier:
        errors.append("Name the carrier.")
    if expected_arrival < ship_date:
        errors.append("The expected arrival cannot be before the ship date.")
    if not lines:
        errors.append("Add at least one purchase-order line to ship.")

    wanted: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for entry in lines:
        if entry.qty <= 0:
            errors.append(f"{entry.po_number} line {entry.line_no}: the quantity must be above zero.")
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
            errors.append(f"{number} line {line_no}: there is no such purchase-order line.")
        elif line.order.status not in SHIPPABLE_ORDERS or line.status not in SHIPPABLE_LINES:
            errors.append(f"{number} line {line_no}: the line is {line.status.value} and cannot be shipped.")
        elif qty > (still_open := open_quantity(line)):
            errors.append(
                f"{number} line {line_no}: {qty.normalize():f} is more than the "
                f"{still_open.normalize():f} {line.item.uom} still open."
            )
    if errors:
        raise ShipNoticeRefused(errors)

    sequence = (session.scalar(select(func.max(ShipNotice.id))) or 0) + 1
    notice = ShipNotice(
        number=f"ASN-{sequence:07d}",
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
    session.flush()
    return notice
