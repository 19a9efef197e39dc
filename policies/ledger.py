"""The disclosure ledger's question: what has a partner seen about a subject, when, under which version.

A subject is what a disclosed row was about: an item (its SKU), a customer (its partner code, even
when the partner was shown only a pseudonym or a sum) or a document (an order, purchase-order,
invoice or shipment number). Each disclosure's record carries its distinct subjects, which reach
disclosure_subject by trigger (PostgreSQL) or in batches (SQLite, internal/disclosure_index.py); the
(partner, subject, time) index answers the question without reading the records' row keys, and on
SQLite the few records not yet in it are read directly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from internal import disclosure_index
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
    found = [
        (r.record_id, r.kind, r.at)
        for r in session.execute(
            select(DisclosureSubject.record_id, DisclosureSubject.kind, DisclosureSubject.at)
            .where(
                DisclosureSubject.partner_id == partner_id,
                DisclosureSubject.subject == subject,
                DisclosureSubject.at >= since,
                DisclosureSubject.at < until,
                *where,
            )
            .order_by(DisclosureSubject.at)
            .limit(limit)
        )
    ]
    # The newest records, on SQLite, may not be in the index yet (internal/disclosure_index.py).
    found += disclosure_index.unindexed_subjects(
        session.connection(), partner_id=partner_id, subject=subject, since=since, until=until
    )
    found = sorted((f for f in found if kind is None or f[1] == kind), key=lambda f: (f[2], f[0]))[:limit]
    records = {
        r.id: (r, email, number)
        for r, email, number in session.execute(
            select(DisclosureRecord, Account.email, PolicyVersion.number)
            .outerjoin(Account, Account.id == DisclosureRecord.account_id)
            .outerjoin(PolicyVersion, PolicyVersion.id == DisclosureRecord.policy_version_id)
            .where(DisclosureRecord.id.in_({record_id for record_id, _kind, _at in found}))
        )
    }
    seen = []
    for record_id, k, _at in found:
        r, email, number = records[record_id]
        seen.append(
            Seen(r.at, email, r.channel, r.dataset, number, dict(r.fields), r.row_count, k, r.policy_hash)
        )
    return seen


def partner_exists(session: Session, partner_code: str) -> bool:
    return session.scalar(select(Partner.id).where(Partner.code == partner_code)) is not None
