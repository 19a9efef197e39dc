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
from policies.datasets import CUSTOMER, DOCUMENT, ITEM, SITE

#: The kinds of subject the ledger records, and the words people may use for them.
SUBJECT_KINDS = (ITEM, CUSTOMER, DOCUMENT)
KIND_WORDS = {ITEM: ITEM, "sku": ITEM, CUSTOMER: CUSTOMER, SITE: SITE, DOCUMENT: DOCUMENT, "order": DOCUMENT}


class LedgerQueryInvalid(ValueError):
    """The question cannot be asked as put; the message says what to change."""


def parse_subject(text: str) -> tuple[str, str]:
    """``KIND:KEY`` (``item:CP-100``, ``customer:CUS-001``, ``site:PLANT-1``, ``order:SO-2026-00012``) as
    (kind, key)."""
    kind, sep, key = text.strip().partition(":")
    if not sep or not key.strip():
        raise LedgerQueryInvalid(f"Write the subject as KIND:KEY, e.g. item:CP-100, not {text!r}.")
    found = KIND_WORDS.get(kind.strip().lower())
    if found is None:
        raise LedgerQueryInvalid(
            f"{kind!r} is not a kind of subject: use item, customer, site or document "
            "(order numbers are documents)."
        )
    return found, key.strip()


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
    #: The content hash of the version that decided (what the record trusts; the number is for people).
    policy_hash: str = ""


def query(
    session: Session,
    *,
    partner_code: str,
    subject: str,
    since: dt.datetime,
    until: dt.datetime,
    kind: str | None = None,
    limit: int = 1000,
) -> list[Seen]:
    """Every disclosure to ``partner_code`` between ``since`` and ``until`` about ``subject``, oldest first.

    ``kind`` narrows to one kind of subject (an item and a document could share a key).
    """
    partner_id = session.scalar(select(Partner.id).where(Partner.code == partner_code))
    if partner_id is None:
        return []
    where = [] if kind is None else [DisclosureSubject.kind == kind]
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
            *where,
        )
        .order_by(DisclosureSubject.at)
        .limit(limit)
    ).all()
    return [
        Seen(r.at, email, r.channel, r.dataset, number, dict(r.fields), r.row_count, k, r.policy_hash)
        for r, k, email, number in rows
    ]


def partner_exists(session: Session, partner_code: str) -> bool:
    return session.scalar(select(Partner.id).where(Partner.code == partner_code)) is not None
