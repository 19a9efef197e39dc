"""The disclosure gate: the only way partner-facing code reads enterprise data.

This is the gate's interface with its first rule built in: a partner sees its own documents, field
for field, and nothing else. The sharing-policy engine (rules, transforms, versions) plugs in behind
``disclose`` without changing its callers. Every call writes one ledger record.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.orm import Session

from internal.models import DisclosureRecord, utcnow
from policies.datasets import DATASETS, Dataset

#: Names the built-in rule in the ledger until versioned policy sets are active.
BUILTIN_POLICY = "builtin:own-documents"
CHANNELS = ("web", "export", "api", "email")
MAX_PAGE = 500


class UnknownDataset(LookupError):
    """No dataset has that name."""


class UnknownFilter(ValueError):
    """The dataset cannot be filtered by that name."""


class PolicyUnavailable(RuntimeError):
    """No valid policy decides this disclosure; the gate discloses nothing (fails closed)."""


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking: an account acting for one partner."""

    account_id: int | None
    partner_id: int
    partner_code: str
    partner_kind: str
    groups: frozenset[str]

    def is_(self, audience: str) -> bool:
        return self.partner_kind in (audience, "both")


@dataclass(frozen=True, slots=True)
class Page:
    """Keyset pagination: ``after`` is the previous disclosure's ``next_page`` cursor."""

    after: str | None = None
    size: int = 50


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    treatment: str
    explanation: str


@dataclass(frozen=True, slots=True)
class Disclosure:
    dataset: str
    rows: tuple[Mapping[str, Any], ...]
    columns: tuple[Column, ...]
    version: str
    next_page: str | None


def disclose(
    session: Session,
    viewer: Viewer,
    dataset: str,
    *,
    channel: str = "web",
    filters: Mapping[str, Any] | None = None,
    page: Page | None = None,
) -> Disclosure:
    """The rows of ``dataset`` that ``viewer`` may see, one page of them, recorded in the ledger."""
    ds = DATASETS.get(dataset)
    if ds is None:
        raise UnknownDataset(dataset)
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    page = page or Page()
    size = max(1, min(page.size, MAX_PAGE))
    columns = _columns(ds, viewer)
    if not columns:
        return _record(session, viewer, ds, channel, (), (), None)

    query = ds.base().where(ds.owner == viewer.partner_id)
    for name, value in (filters or {}).items():
        if name not in ds.filters:
            raise UnknownFilter(
                f"{dataset} cannot be filtered by {name!r}; use one of {', '.join(ds.filters)}"
            )
        query = query.where(ds.filters[name] == value)
    if page.after:
        query = query.where(_after(ds, _decode_cursor(ds, page.after)))
    direction = "desc" if ds.newest_first else "asc"
    query = query.order_by(*(getattr(column, direction)() for column, _type in ds.order)).limit(size + 1)

    fetched = session.execute(query).mappings().all()
    more = len(fetched) > size
    fetched = fetched[:size]
    rows = tuple(MappingProxyType({c.name: row[c.name] for c in columns}) for row in fetched)
    cursor = _encode_cursor(ds, dict(fetched[-1])) if more else None
    return _record(session, viewer, ds, channel, rows, columns, cursor)


def _columns(ds: Dataset, viewer: Viewer) -> tuple[Column, ...]:
    if not viewer.is_(ds.audience):
        return ()
    note = "shown as recorded: it is your own document"
    return tuple(Column(name, "exact", note) for name in ds.fields)


def _after(ds: Dataset, values: list[Any]) -> Any:
    """Rows that sort after the cursor in the dataset's order: a row-value comparison spelled out."""
    clauses = []
    for n, (column, _type) in enumerate(ds.order):
        equal = [c == v for (c, _t), v in zip(ds.order[:n], values[:n], strict=True)]
        beyond = column < values[n] if ds.newest_first else column > values[n]
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)


def _encode_cursor(ds: Dataset, row: Mapping[str, Any]) -> str:
    values = [row[f"_cursor{n}"] for n in range(len(ds.order))]
    raw = json.dumps([v.isoformat() if isinstance(v, dt.date) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(ds: Dataset, cursor: str) -> list[Any]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if len(raw) != len(ds.order):
            raise ValueError("wrong length")
        return [
            dt.date.fromisoformat(v) if kind is dt.date else kind(v)
            for v, (_column, kind) in zip(raw, ds.order, strict=True)
        ]
    except (ValueError, TypeError) as error:
        raise UnknownFilter(f"the page cursor {cursor!r} is not valid") from error


def _record(
    session: Session,
    viewer: Viewer,
    ds: Dataset,
    channel: str,
    rows: tuple[Mapping[str, Any], ...],
    columns: tuple[Column, ...],
    cursor: str | None,
) -> Disclosure:
    """One ledger record per disclosure, whatever the number of rows."""
    session.add(
        DisclosureRecord(
            at=utcnow(),
            account_id=viewer.account_id,
            partner_id=viewer.partner_id,
            channel=channel,
            dataset=ds.name,
            policy_version_id=None,
            policy_hash=BUILTIN_POLICY,
            row_keys=[[_plain(row[k]) for k in ds.key] for row in rows],
            fields={c.name: c.treatment for c in columns},
            row_count=len(rows),
        )
    )
    session.flush()
    return Disclosure(ds.name, rows, columns, BUILTIN_POLICY, cursor)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value
