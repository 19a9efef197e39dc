"""Service requests: customers open them and write to the service team, staff answer from the console.

Functions take the session and the acting account, check the partner owns the request, flush and
never commit: the request or task boundary commits.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session, selectinload

from internal.models import (
    Item,
    Partner,
    SalesOrder,
    ServiceRequest,
    ServiceRequestMessage,
    ServiceRequestStatus,
    utcnow,
)
from internal.numbering import number_from_id, provisional_number
from internal.purchasing import DocumentNotFound

__all__ = [
    "AWAITING_REPLY",
    "DocumentNotFound",
    "RequestRefused",
    "ServiceRequest",
    "ServiceRequestStatus",
    "count_awaiting_reply",
    "customer_message",
    "open_request",
    "request_with_messages",
    "staff_inbox",
    "staff_reply",
]


class RequestRefused(ValueError):
    """The request cannot be taken as given; the message says what to change, ``field`` names what to fix."""

    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


#: A customer writing again reopens a request that was waiting for it or thought resolved.
_REOPENED_BY_CUSTOMER = (ServiceRequestStatus.waiting_on_customer, ServiceRequestStatus.resolved)


def _text(body: str, missing: Any, field: str) -> str:
    body = body.strip()
    if not body:
        raise RequestRefused(missing, field)
    return body


def open_request(
    session: Session,
    *,
    account_id: int,
    partner_id: int,
    subject: str,
    body: str,
    order_number: str | None = None,
    sku: str | None = None,
    priority: str = "normal",
) -> ServiceRequest:
    """Open a request for the customer ``partner_id``, optionally about one of its orders or an item."""
    subject = _text(subject, _l("Say in a few words what it is about."), "subject")
    body = _text(body, _l("Write your message."), "body")
    order_id = item_id = None
    if order_number:
        order_id = session.scalar(
            select(SalesOrder.id).where(
                SalesOrder.number == order_number, SalesOrder.customer_id == partner_id
            )
        )
        if order_id is None:
            raise RequestRefused(_l("You have no order %(number)s.", number=order_number), "order_number")
    if sku:
        item_id = session.scalar(select(Item.id).where(Item.sku == sku.strip()))
        if item_id is None:
            raise RequestRefused(_l("There is no item %(sku)s: check the item code.", sku=sku.strip()), "sku")
    request = ServiceRequest(
        number=provisional_number(),
        customer_id=partner_id,
        order_id=order_id,
        item_id=item_id,
        subject=subject[:200],
        status=ServiceRequestStatus.open,
        priority=priority if priority in ("low", "normal", "high") else "normal",
        opened_by_id=account_id,
    )
    request.messages.append(ServiceRequestMessage(author_id=account_id, body=body))
    session.add(request)
    number_from_id(session, request, "SR", 6)
    return request


def _owned(session: Session, partner_id: int, number: str) -> ServiceRequest:
    request = session.scalar(
        select(ServiceRequest).where(
            ServiceRequest.number == number, ServiceRequest.customer_id == partner_id
        )
    )
    if request is None:
        raise DocumentNotFound(number)
    return request


def customer_message(
    session: Session, *, account_id: int, partner_id: int, number: str, body: str
) -> ServiceRequestMessage:
    """A customer's message on its own request; a closed request takes none (open a new one)."""
    request = _owned(session, partner_id, number)
    if request.status == ServiceRequestStatus.closed:
        raise RequestRefused(_l("This request is closed: open a new one."))
    message = ServiceRequestMessage(
        request_id=request.id, author_id=account_id, body=_text(body, _l("Write your message."), "body")
    )
    session.add(message)
    if request.status in _REOPENED_BY_CUSTOMER:
        request.status = ServiceRequestStatus.open
    request.updated_at = utcnow()
    session.flush()
    return message


def staff_reply(
    session: Session,
    *,
    account_id: int,
    number: str,
    body: str,
    status: ServiceRequestStatus | None = None,
    internal_only: bool = False,
) -> ServiceRequestMessage:
    """A staff member's answer (or an internal note the customer never sees) and the request's new status.

    An answer without a status puts the request in "waiting on customer".
    """
    request = session.scalar(select(ServiceRequest).where(ServiceRequest.number == number))
    if request is None:
        raise DocumentNotFound(number)
    message = ServiceRequestMessage(
        request_id=request.id,
        author_id=account_id,
        body=_text(body, _l("Write the reply."), "body"),
        internal_only=internal_only,
    )
    session.add(message)
    if status is not None:
        request.status = status
    elif not internal_only:
        request.status = ServiceRequestStatus.waiting_on_customer
    request.updated_at = utcnow()
    session.flush()
    return message


#: What the staff inbox shows first: requests waiting for the service team.
AWAITING_REPLY = (ServiceRequestStatus.open, ServiceRequestStatus.in_progress)


def staff_inbox(
    session: Session, *, status: str, page: int, page_size: int
) -> tuple[list[Row[ServiceRequest, str, str]], int]:
    """One page of requests with their customer's code and name, and how many match in all.

    ``status`` "awaiting": those awaiting a reply, the longest waiting first; a status's value: those
    in it, latest change first; anything else: every request, latest change first.
    """
    query = select(ServiceRequest, Partner.code, Partner.name).join(
        Partner, Partner.id == ServiceRequest.customer_id
    )
    if status == "awaiting":
        query = query.where(ServiceRequest.status.in_(AWAITING_REPLY)).order_by(ServiceRequest.updated_at)
    elif status in {s.value for s in ServiceRequestStatus}:
        query = query.where(ServiceRequest.status == status).order_by(ServiceRequest.updated_at.desc())
    else:
        query = query.order_by(ServiceRequest.updated_at.desc())
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.limit(page_size).offset((page - 1) * page_size)).all()
    return list(rows), total


def request_with_messages(session: Session, number: str) -> ServiceRequest | None:
    """The request with this number and its whole conversation (internal notes too), for staff."""
    return session.scalar(
        select(ServiceRequest)
        .where(ServiceRequest.number == number)
        .options(selectinload(ServiceRequest.messages).selectinload(ServiceRequestMessage.author))
    )


def count_awaiting_reply(session: Session) -> int:
    """How many customers' requests wait for a reply from the service team."""
    query = select(func.count()).select_from(ServiceRequest).where(ServiceRequest.status.in_(AWAITING_REPLY))
    return int(session.scalar(query) or 0)
