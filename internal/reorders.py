"""Reorders: a customer asks for the lines of a past order again; sales staff confirm the draft.

Functions take the session and the acting account, check the partner owns the order, flush and never
commit: the request boundary commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from internal.models import AuditEvent, OrderStatus, SalesOrder, SalesOrderEvent, SalesOrderLine, utcnow
from internal.numbering import number_from_id, provisional_number
from internal.purchasing import DocumentNotFound

CENT = Decimal("0.01")

__all__ = ["DocumentNotFound", "NotADraft", "ReorderRefused", "confirm_draft", "count_drafts", "reorder"]


@dataclass(frozen=True)
class UnsoldLine:
    line_no: int
    sku: str
    item: str


class ReorderRefused(ValueError):
    """Some lines' items are no longer sold: nothing was created."""

    def __init__(self, lines: list[UnsoldLine]) -> None:
        super().__init__(", ".join(f"line {ln.line_no}: {ln.sku}" for ln in lines))
        self.lines = lines


class NotADraft(ValueError):
    """The order is not a draft awaiting confirmation (someone confirmed it already)."""


def reorder(session: Session, *, account_id: int, partner_id: int, order_number: str) -> SalesOrder:
    """A draft order with the same items, quantities and prices as ``order_number``, for staff to confirm.

    Refused, creating nothing, when any line's item is no longer sold; the error names those lines.
    """
    source = session.scalar(
        select(SalesOrder)
        .where(SalesOrder.number == order_number, SalesOrder.customer_id == partner_id)
        .options(selectinload(SalesOrder.lines).selectinload(SalesOrderLine.item))
    )
    if source is None:
        raise DocumentNotFound(order_number)
    unsold = [UnsoldLine(ln.line_no, ln.item.sku, ln.item.name) for ln in source.lines if not ln.item.active]
    if unsold:
        raise ReorderRefused(unsold)
    now = utcnow()
    today = now.date()
    lead = max(source.requested_date - source.order_date, dt.timedelta(days=0))
    draft = SalesOrder(
        number=provisional_number(),
        customer_id=partner_id,
        customer_reference=f"Reorder of {source.number}"[:60],
        site_id=source.site_id,
        ship_to_id=source.ship_to_id,
        order_date=today,
        requested_date=today + lead,
        status=OrderStatus.received,
        draft=True,
        total_amount=sum((ln.qty * ln.unit_price for ln in source.lines), Decimal(0)).quantize(
            Decimal("0.01")
        ),
        currency=source.currency,
    )
    for line in source.lines:
        draft.lines.append(
            SalesOrderLine(
                line_no=line.line_no,
                item_id=line.item_id,
                qty=line.qty,
                unit_price=line.unit_price,
                promised_date=None,
                shipped_qty=Decimal(0),
            )
        )
    draft.events.append(
        SalesOrderEvent(
            status=OrderStatus.received,
            at=now,
            note=f"Reorder of {source.number}, awaiting confirmation",  # history is data, not UI text
        )
    )
    session.add(draft)
    number_from_id(session, draft, "SO", 7)
    session.add(
        AuditEvent(
            account_id=account_id,
            action="sales_order.reorder_requested",
            object_type="sales_order",
            object_id=draft.number,
            detail={"reorder_of": source.number},
        )
    )
    session.flush()
    return draft


def confirm_draft(session: Session, *, account_id: int, number: str) -> SalesOrder:
    """Sales staff confirm a customer's draft: it becomes an ordinary, confirmed order."""
    order = session.scalar(select(SalesOrder).where(SalesOrder.number == number))
    if order is None:
        raise DocumentNotFound(number)
    if not order.draft:
        raise NotADraft(number)
    order.draft = False
    order.status = OrderStatus.confirmed
    session.add(SalesOrderEvent(order_id=order.id, status=OrderStatus.confirmed, at=utcnow(), note=""))
    session.add(
        AuditEvent(
            account_id=account_id, action="sales_order.confirmed", object_type="sales_order", object_id=number
        )
    )
    session.flush()
    return order


def draft_orders(session: Session, *, limit: int = 200) -> list[SalesOrder]:
    """Draft orders (customers' reorders) waiting for sales staff, oldest first, with customer, ship-to
    and lines with their items.
    """
    return list(
        session.scalars(
            select(SalesOrder)
            .where(SalesOrder.draft.is_(True))
            .order_by(SalesOrder.created_at, SalesOrder.id)
            .options(
                selectinload(SalesOrder.customer),
                selectinload(SalesOrder.ship_to),
                selectinload(SalesOrder.lines).selectinload(SalesOrderLine.item),
            )
            .limit(limit)
        )
    )


def count_sales_orders(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(SalesOrder)) or 0


def count_drafts(session: Session) -> int:
    """How many customers' reorders wait as drafts for sales staff to confirm."""
    return int(
        session.scalar(select(func.count()).select_from(SalesOrder).where(SalesOrder.draft.is_(True))) or 0
    )
