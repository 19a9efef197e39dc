"""The disclosure ledger's question: what has a partner seen about a subject, when, under which version.

A subject is any key value a dataset's rows carry (an item's SKU, an order or purchase-order number).
The partner and the dates narrow the records through the (partner_id, at) index; the subject is
matched in the stored row keys, in the same SQL query.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from internal.models import Account, DisclosureRecord, Partner, PolicyVersion


@dataclass(frozen=True)
class Seen:
    at: dt.datetime
    account: str | None
    channel: str
    dataset: str
    policy_version: int | None
    fields: dict[str, str]
    rows: int


def query(
    session: Session,
    *,
    partner_code: str,
    subject: str,
    since: dt.datetime,
    until: dt.datetime,
    limit: int = 1000,
) -> list[Seen]:
    """Every disclosure to ``partner_code`` between ``since`` and ``until`` whose rows include ``subject``."""
    needle = f"%{json.dumps(subject)}%"
    rows = session.execute(
        select(DisclosureRecord, Account.email, PolicyVersion.number)
        .join(Partner, Partner.id == DisclosureRecord.partner_id)
        .outerjoin(Account, Account.id == DisclosureRecord.account_id)
        .outerjoin(PolicyVersion, PolicyVersion.id == DisclosureRecord.policy_version_id)
        .where(
            Partner.code == partner_code,
            DisclosureRecord.at >= since,
            DisclosureRecord.at < until,
            cast(DisclosureRecord.row_keys, String).like(needle),
        )
        .order_by(DisclosureRecord.at)
        .limit(limit)
    ).all()
    return [
        Seen(r.at, email, r.channel, r.dataset, number, dict(r.fields), r.row_count)
        for r, email, number in rows
        if any(subject in key for key in r.row_keys)  # exact key match, not a substring of another key
    ]
