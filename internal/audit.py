"""The audit log: who did what that governance cares about, when (UTC) and from where.

Append-only and chained. Every new ``AuditEvent`` (made by ``record``, or added directly to a session
of ``internal.db``'s factories) is given, as the session flushes, the next sequence number and a hash:
SHA-256 over the previous event's hash and this event's canonical content. ``verify`` walks the chain
and names the first event whose content was edited, or that follows a deleted one. (Deleting the newest
events leaves no trace in the chain itself; the count ``verify`` reports is the check for that.)

Writers queue: on SQLite every write transaction already begins IMMEDIATE (``internal.db``), so the
flush reads the last hash under the write lock; on PostgreSQL the flush takes a transaction-scoped
advisory lock first. The unique ``seq`` refuses a fork whatever happens.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.orm.attributes import instance_state

from internal.db import is_reading
from internal.models import Account, AuditEvent, utcnow

#: The client address of the request being served; web apps set it per request, elsewhere it is local.
current_address: ContextVar[str] = ContextVar("audit_current_address", default="local")

#: The hash the first event chains to.
GENESIS = "0" * 64
#: Key of the PostgreSQL advisory lock that queues writers of the chain ("audit" in ASCII).
_PG_LOCK_KEY = 0x6175646974


def record(
    session: Session,
    action: str,
    *,
    actor_id: int | None = None,
    actor: str = "",
    object_type: str = "",
    object_id: str = "",
    address: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event; ``actor`` defaults to the account's e-mail, ``address`` to the request's.

    Flushes (which chains the event), never commits. In a page's read phase (a GET that only read so far)
    the event waits, like the page's ledger records, for the short write transaction at the boundary,
    and is chained there.
    """
    entry = AuditEvent(
        account_id=actor_id,
        actor=actor[:254],
        address=(address if address is not None else current_address.get())[:64],
        action=action,
        object_type=object_type,
        object_id=object_id[:60],
        detail=detail or {},
    )
    session.add(entry)
    if not is_reading(session):
        session.flush()
    return entry


def canonical(entry: AuditEvent) -> bytes:
    """The content an event's hash covers, as stable bytes (sorted keys, UTC to the microsecond)."""
    at = entry.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    content = {
        "seq": entry.seq,
        "at": at,
        "actor": entry.actor,
        "address": entry.address,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "detail": entry.detail,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(previous: str, entry: AuditEvent) -> str:
    return hashlib.sha256(previous.encode() + canonical(entry)).hexdigest()


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


def chain_new_events(session: Session, _context: UOWTransaction, _instances: Iterable[object] | None) -> None:
    """``before_flush`` hook of every session factory (``internal.db``): chain the new events in order."""
    new = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if not new:
        return
    _lock(session)
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.entry_hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, previous = (last.seq, last.entry_hash) if last is not None else (0, GENESIS)
    emails: dict[int, str] = {}
    missing = {e.account_id for e in new if not e.actor and e.account_id is not None}
    if missing:
        emails = dict(session.execute(select(Account.id, Account.email).where(Account.id.in_(missing))).all())
    for entry in sorted(new, key=lambda e: instance_state(e).insert_order or 0):
        seq += 1
        entry.seq = seq
        entry.at = entry.at or utcnow()
        entry.actor = entry.actor or emails.get(entry.account_id or 0, "")
        entry.address = entry.address if entry.address is not None else current_address.get()
        entry.detail = entry.detail if entry.detail is not None else {}
        entry.object_id = entry.object_id or ""
        entry.entry_hash = previous = chain_hash(previous, entry)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What ``verify`` found: how many events it checked and, if the chain is broken, where."""

    checked: int
    #: The first bad event (its seq and id), None when the chain is whole.
    bad_seq: int | None = None
    bad_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.bad_seq is None


def _walk(session: Session, batch: int = 1000) -> Iterator[AuditEvent]:
    after = 0
    while True:
        rows = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.seq > after)
            .order_by(AuditEvent.seq)
            .limit(batch)
            .execution_options(populate_existing=True)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq
        session.expunge_all()


def verify(session: Session) -> Verdict:
    """Walk the chain from the first event: the first one edited, or following a gap, is named."""
    previous, expected, checked = GENESIS, 1, 0
    for entry in _walk(session):
        if entry.seq != expected:
            missing = f"{expected}" if entry.seq == expected + 1 else f"{expected} to {entry.seq - 1}"
            return Verdict(checked, entry.seq, entry.id, f"the entries before it ({missing}) were deleted")
        if entry.entry_hash != chain_hash(previous, entry):
            return Verdict(checked, entry.seq, entry.id, "its content does not match its hash (edited)")
        previous, expected, checked = entry.entry_hash, expected + 1, checked + 1
    return Verdict(checked)


# -- reading ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditEntryView:
    seq: int
    at: dt.datetime
    actor: str
    address: str
    action: str
    object_type: str
    object_id: str
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: tuple[AuditEntryView, ...]
    total: int
    actions: tuple[str, ...]


def entries(
    session: Session,
    *,
    action: str = "",
    actor: str = "",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    page: int = 1,
    size: int = 50,
) -> AuditPage:
    """The log, newest first, filtered by action (exact, or a prefix ending in '.'), actor and time."""
    query = select(AuditEvent)
    if action:
        prefix = action.endswith(".")
        query = query.where(AuditEvent.action.startswith(action) if prefix else AuditEvent.action == action)
    if actor:
        query = query.where(AuditEvent.actor.ilike(f"%{actor}%"))
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if until is not None:
        query = query.where(AuditEvent.at < until)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AuditEvent.seq.desc()).limit(size).offset((page - 1) * size)).all()
    actions = session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all()
    return AuditPage(
        tuple(
            AuditEntryView(
                r.seq, r.at, r.actor, r.address, r.action, r.object_type, r.object_id, dict(r.detail or {})
            )
            for r in rows
        ),
        total,
        tuple(actions),
    )
