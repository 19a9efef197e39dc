"""The disclosure ledger's question: what has a partner seen about a subject, when, under which version.

A subject is what a disclosed row was about: an item (its SKU), a customer (its partner code, even
when the partner was shown only a pseudonym or a sum) or a document (an order, purchase-order,
invoice or shipment number). Each disclosure's record carries its distinct subjects, and a trigger
copies them into disclosure_subject as the record is inserted; the (partner, subject, time) index
answers the question without reading the records' row keys.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from internal.models import Account, DisclosureRecord, DisclosureSubject, Partner, PolicyVersion


@dataclass(frozen=True)
class Seen:
    at: dt.datetime
    account: str | None
    channel: str
    dataset: str
    policy_version: int | None
    fields: dict[str, str]
    rows: int
    #: item, customer or document.
    subject_kind: str


def query(
    session: Session,
    *,
    partner_code: str,
    subject: str,
    since: dt.datetime,
    until: dt.datetime,
    limit: int = 1000,
) -> list[Seen]:
    """Every disclosure to ``partner_code`` between ``since`` and ``until`` about ``subject``."""
    partner_id = session.scalar(select(Partner.id).where(Partner.code == partner_code))
    if partner_id is None:
        return []
    rows = session.execute(
        select(DisclosureRecord, DisclosureSubject.kind, Account.email, PolicyVersion.number)
        .select_from(DisclosureSubject)
        .join(DisclosureRecord, DisclosureRecord.id == DisclosureSubject.record_id)
        .outerjoin(Account, Account.id == DisclosureRecord.account_id)
        .outerjoin(PolicyVersion, PolicyVersion.id == DisclosureRecord.policy_version_id)
        .where(
            DisclosureSubject.partner_id == partner_id,
            DisclosureSubject.subject == subject,
            DisclosureSubject.at >= since,
            DisclosureSubject.at < until,
        )
        .order_by(DisclosureSubject.at)
        .limit(limit)
    ).all()
    return [
        Seen(r.at, email, r.channel, r.dataset, number, dict(r.fields), r.row_count, kind)
        for r, kind, email, number in rows
    ]
