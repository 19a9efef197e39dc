"""Suppliers answer purchase orders line by line: accept, reject with a reason, or propose a change.

Services take the session and the acting account and partner, check the partner owns the document,
flush, and never commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased, selectinload
from sqlalchemy.orm.exc import StaleDataError

from internal.models import (
    AuditEvent,
    Item,
    LineStatus,
    Partner,
    ProposalDecision,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderLineResponse,
    ResponseAction,
    StaffRole,
    utcnow,
)
from internal.models import PurchaseOrderStatus as PurchaseOrderStatus  # the console filters by it
from internal.quantities import quantity_problem

ANSWERABLE = (PurchaseOrderStatus.open, PurchaseOrderStatus.acknowledged)
#: Staff who decide suppliers' proposed changes to purchase-order lines.
DECIDING_ROLES = (StaffRole.buyer, StaffRole.policy_admin)


@dataclass(frozen=True)
class Announcement:
    """A purchase order its supplier has not been told about at its current revision."""

    number: str
    supplier_id: int
    #: "new" if never announced, "changed" if announced at an earlier revision.
    change: str


def unannounced(session: Session, limit: int = 200) -> list[Announcement]:
    """Orders new or changed since their supplier was last e-mailed, oldest change first."""
    rows = session.execute(
        select(PurchaseOrder.number, PurchaseOrder.supplier_id, PurchaseOrder.notified_revision)
        .where(PurchaseOrder.notified_revision < PurchaseOrder.revision)
        .order_by(PurchaseOrder.updated_at, PurchaseOrder.id)
        .limit(limit)
    ).all()
    return [Announcement(n, s, "new" if seen == 0 else "changed") for n, s, seen in rows]


def claim_announcement(session: Session, number: str) -> bool:
    """Mark the order announced at its current revision; False if another run claimed it first."""
    claimed = session.execute(
        update(PurchaseOrder)
        .where(PurchaseOrder.number == number, PurchaseOrder.notified_revision < PurchaseOrder.revision)
        .values(notified_revision=PurchaseOrder.revision)
    )
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


class DocumentNotFound(LookupError):
    """No such document for this partner; someone else's document does not exist for them."""


class AnswerRefused(ValueError):
    """The answer cannot be taken as given; the message says what to change."""


class LineChanged(Exception):
    """Someone else answered or the buyer changed the line since it was shown: reload and try again."""


def _line(session: Session, partner_id: int, po_number: str, line_no: int) -> PurchaseOrderLine:
    line = session.scalar(
        select(PurchaseOrderLine)
        .join(PurchaseOrder)
        .where(
            PurchaseOrder.number == po_number,
            PurchaseOrder.supplier_id == partner_id,
            PurchaseOrderLine.line_no == line_no,
        )
    )
    if line is None:
        raise DocumentNotFound(f"{po_number}/{line_no}")
    return line


def acknowledge_line(
    session: Session,
    *,
    account_id: int,
    partner_id: int,
    po_number: str,
    line_no: int,
    expected_version: int,
    action: str,
    reason: str = "",
    proposed_qty: Decimal | None = None,
    proposed_date: dt.date | None = None,
) -> PurchaseOrderLine:
    """Record the supplier's answer to one line, unless the line changed since ``expected_version``."""
    line = _line(session, partner_id, po_number, line_no)
    order = line.order
    if order.status not in ANSWERABLE:
        raise AnswerRefused(
            _l(
                "Purchase order %(po_number)s is %(value)s and takes no more answers.",
                po_number=po_number,
                value=order.status.value,
            )
        )
    if line.version != expected_version:
        raise LineChanged(f"{po_number}/{line_no}")
    kind = ResponseAction(action)
    reason = reason.strip()
    if kind is ResponseAction.reject and not reason:
        raise AnswerRefused(_l("Give a reason for rejecting the line."))
    if kind is ResponseAction.propose:
        if proposed_qty is None and proposed_date is None:
            raise AnswerRefused(_l("Propose a different quantity, a different date, or both."))
        if proposed_qty is not None and proposed_qty <= 0:
            raise AnswerRefused(_l("A proposed quantity must be above zero."))
        if proposed_qty is not None and (
            problem := quantity_problem(proposed_qty, str(_l("Proposed quantity")))
        ):
            raise AnswerRefused(problem)
        if proposed_qty == line.qty and proposed_date in (None, line.need_by):
            raise AnswerRefused(_l("The proposal is the same as the order: accept the line instead."))
    with session.no_autoflush:  # the one flush below is where a concurrent answer shows
        line.status = {
            ResponseAction.accept: LineStatus.accepted,
            ResponseAction.reject: LineStatus.rejected,
            ResponseAction.propose: LineStatus.change_proposed,
        }[kind]
        line.responses.append(
            PurchaseOrderLineResponse(
                account_id=account_id,
                action=kind,
                reason=reason,
                proposed_qty=proposed_qty,
                proposed_date=proposed_date,
            )
        )
    try:
        # The UPDATE carries "WHERE version = expected": a concurrent answer makes it match no row.
        session.flush()
    except StaleDataError as error:
        raise LineChanged(f"{po_number}/{line_no}") from error
    if (
        all(other.status is not LineStatus.open for other in order.lines)
        and order.status is PurchaseOrderStatus.open
    ):
        order.status = PurchaseOrderStatus.acknowledged
        session.flush()
    return line


def search_purchase_orders(
    session: Session, *, status: str, supplier: str, page: int, page_size: int
) -> tuple[list[PurchaseOrder], int]:
    """One page of purchase orders, newest first, with their supplier and lines: in ``status`` when it
    names one, of suppliers whose code or name contains ``supplier`` when given; and how many match.
    """
    query = select(PurchaseOrder).join(Partner, Partner.id == PurchaseOrder.supplier_id)
    if status in PurchaseOrderStatus.__members__:
        query = query.where(PurchaseOrder.status == PurchaseOrderStatus(status))
    if supplier:
        query = query.where(or_(Partner.code.ilike(f"%{supplier}%"), Partner.name.ilike(f"%{supplier}%")))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    orders = session.scalars(
        query.options(selectinload(PurchaseOrder.supplier), selectinload(PurchaseOrder.lines))
        .order_by(PurchaseOrder.order_date.desc(), PurchaseOrder.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    return list(orders), total


def purchase_order_for_staff(session: Session, number: str) -> PurchaseOrder | None:
    """One purchase order as the buyer sees it: supplier, site, every line with its item and the
    supplier's answers and who gave them; None when there is no such order.
    """
    return session.scalar(
        select(PurchaseOrder)
        .where(PurchaseOrder.number == number)
        .options(
            selectinload(PurchaseOrder.supplier),
            selectinload(PurchaseOrder.site),
            selectinload(PurchaseOrder.lines).selectinload(PurchaseOrderLine.item),
            selectinload(PurchaseOrder.lines)
            .selectinload(PurchaseOrderLine.responses)
            .selectinload(PurchaseOrderLineResponse.account),
        )
    )


def supplier_of(session: Session, number: str) -> int | None:
    """The id of the supplier a purchase order is placed with, or None when there is no such order."""
    order = session.scalar(select(PurchaseOrder).where(PurchaseOrder.number == number))
    return None if order is None else order.supplier_id


def count_open_orders(session: Session) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(PurchaseOrder)
            .where(PurchaseOrder.status == PurchaseOrderStatus.open)
        )
        or 0
    )


# -- the buyer decides the supplier's proposals ------------------------------------------------------


@dataclass(frozen=True)
class AwaitingProposal:
    """A supplier's proposed change to a purchase-order line that no buyer has decided yet."""

    po_number: str
    line_no: int
    supplier_code: str
    supplier_name: str
    sku: str
    item: str
    uom: str
    qty: Decimal
    need_by: dt.date
    proposed_qty: Decimal | None
    proposed_date: dt.date | None
    reason: str
    proposed_at: dt.datetime
    #: The line's version when read: a decision names it, so a newer answer is not decided blind.
    line_version: int


class DecisionRefused(ValueError):
    """The decision cannot be taken as given; the message says what to change."""


_later = aliased(PurchaseOrderLineResponse)


def _awaiting_decision() -> Any:
    """Lines whose supplier proposed a change no buyer has decided, on orders still being answered."""
    return (
        select(PurchaseOrderLine, PurchaseOrderLineResponse)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .join(PurchaseOrderLineResponse, PurchaseOrderLineResponse.line_id == PurchaseOrderLine.id)
        .where(
            PurchaseOrderLine.status == LineStatus.change_proposed,
            PurchaseOrder.status.in_(ANSWERABLE),
            PurchaseOrderLineResponse.action == ResponseAction.propose,
            PurchaseOrderLineResponse.decision.is_(None),
            # The line's latest answer: an earlier proposal the supplier has since replaced is not asked.
            ~exists().where(
                _later.line_id == PurchaseOrderLineResponse.line_id, _later.id > PurchaseOrderLineResponse.id
            ),
        )
    )


def count_awaiting_decision(session: Session) -> int:
    """How many proposals wait for a buyer's decision."""
    query = _awaiting_decision().with_only_columns(func.count(PurchaseOrderLine.id))
    return int(session.scalar(query) or 0)


def proposals_awaiting_decision(session: Session, limit: int = 50) -> list[AwaitingProposal]:
    """The proposals waiting for a buyer, oldest first (they have waited longest)."""
    rows = session.execute(
        _awaiting_decision()
        .with_only_columns(
            PurchaseOrder.number,
            PurchaseOrderLine.line_no,
            Partner.code,
            Partner.name,
            Item.sku,
            Item.name,
            Item.uom,
            PurchaseOrderLine.qty,
            PurchaseOrderLine.need_by,
            PurchaseOrderLineResponse.proposed_qty,
            PurchaseOrderLineResponse.proposed_date,
            PurchaseOrderLineResponse.reason,
            PurchaseOrderLineResponse.created_at,
            PurchaseOrderLine.version,
        )
        .join(Partner, Partner.id == PurchaseOrder.supplier_id)
        .join(Item, Item.id == PurchaseOrderLine.item_id)
        .order_by(PurchaseOrderLineResponse.created_at, PurchaseOrderLineResponse.id)
        .limit(limit)
    ).all()
    return [AwaitingProposal(*row) for row in rows]


def _proposal(
    session: Session, po_number: str, line_no: int, expected_version: int
) -> tuple[PurchaseOrderLine, PurchaseOrderLineResponse]:
    found = session.execute(
        _awaiting_decision().where(PurchaseOrder.number == po_number, PurchaseOrderLine.line_no == line_no)
    ).first()
    if found is None:
        line_id = session.scalar(
            select(PurchaseOrderLine.id)
            .join(PurchaseOrder)
            .where(PurchaseOrder.number == po_number, PurchaseOrderLine.line_no == line_no)
        )
        if line_id is None:
            raise DocumentNotFound(f"{po_number}/{line_no}")
        raise LineChanged(f"{po_number}/{line_no}")  # decided already, or the supplier answered again
    line, proposal = found
    if line.version != expected_version:
        raise LineChanged(f"{po_number}/{line_no}")
    return line, proposal


def _flush_decision(session: Session, po_number: str, line_no: int) -> None:
    try:
        # The line's UPDATE carries "WHERE version = expected": a concurrent answer makes it match no row.
        session.flush()
    except StaleDataError as error:
        raise LineChanged(f"{po_number}/{line_no}") from error


def accept_proposal(
    session: Session, *, account_id: int, po_number: str, line_no: int, expected_version: int
) -> PurchaseOrderLine:
    """The buyer takes the supplier's proposed quantity and/or date: the line changes to it and the order
    gets a new revision, so the supplier is told of the changed order as of any other change.
    """
    line, proposal = _proposal(session, po_number, line_no, expected_version)
    order = line.order
    if proposal.proposed_qty is not None and proposal.proposed_qty < line.shipped_qty:
        raise DecisionRefused(
            _l(
                "%(shipped)s were shipped on this line already: a quantity of %(qty)s cannot be accepted.",
                shipped=line.shipped_qty,
                qty=proposal.proposed_qty,
            )
        )
    before = {"qty": str(line.qty), "need_by": line.need_by.isoformat()}
    with session.no_autoflush:
        if proposal.proposed_qty is not None:
            line.qty = proposal.proposed_qty
        if proposal.proposed_date is not None:
            line.need_by = proposal.proposed_date
        line.status = LineStatus.accepted
        proposal.decision = ProposalDecision.accepted
        proposal.decided_by_id, proposal.decided_at = account_id, utcnow()
        order.revision += 1
    _flush_decision(session, po_number, line_no)
    if order.status is PurchaseOrderStatus.open and all(o.status is not LineStatus.open for o in order.lines):
        order.status = PurchaseOrderStatus.acknowledged
    session.add(
        AuditEvent(
            account_id=account_id,
            action="purchase_order.proposal_accepted",
            object_type="purchase_order_line",
            object_id=f"{po_number}/{line_no}",
            detail={"before": before, "after": {"qty": str(line.qty), "need_by": line.need_by.isoformat()}},
        )
    )
    session.flush()
    return line


def decline_proposal(
    session: Session, *, account_id: int, po_number: str, line_no: int, expected_version: int, reason: str
) -> PurchaseOrderLine:
    """The buyer keeps the line as ordered; the supplier reads why on its page and answers the line again."""
    reason = reason.strip()
    if not reason:
        raise DecisionRefused(_l("Give the supplier a reason for declining the proposal."))
    if len(reason) > 400:
        raise DecisionRefused(_l("Keep the reason to 400 characters."))
    line, proposal = _proposal(session, po_number, line_no, expected_version)
    order = line.order
    with session.no_autoflush:
        line.status = LineStatus.open
        proposal.decision = ProposalDecision.declined
        proposal.decision_reason = reason
        proposal.decided_by_id, proposal.decided_at = account_id, utcnow()
        if order.status is PurchaseOrderStatus.acknowledged:
            order.status = PurchaseOrderStatus.open  # a line waits for the supplier's answer again
    _flush_decision(session, po_number, line_no)
    session.add(
        AuditEvent(
            account_id=account_id,
            action="purchase_order.proposal_declined",
            object_type="purchase_order_line",
            object_id=f"{po_number}/{line_no}",
            detail={"reason": reason},
        )
    )
    session.flush()
    return line
