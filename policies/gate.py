"""The disclosure gate: the only way partner-facing code reads enterprise data.

The active policy version decides: its rules resolve (policies.resolve) to the rows and fields the
viewer may see and the transform of each; the row scope and filters run as one SQL query, the
transforms on the page of rows it returns. No active or valid policy: nothing is disclosed
(PolicyUnavailable). Every call writes one ledger record naming the version that decided.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from sqlalchemy import Select, and_, func, not_, or_, select
from sqlalchemy.orm import Session

from internal import config as settings
from internal.models import DisclosureRecord, PolicyVersion, Site, utcnow
from policies import versions
from policies.datasets import DATASETS, Dataset, time_bucket
from policies.language import PolicyInvalid
from policies.resolve import Resolution, explain, resolve
from policies.transforms import Aggregate, Context, column

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
    #: The dataset's fields this viewer is not shown, with why ("no rule shares it").
    hidden: tuple[tuple[str, str], ...] = ()


def disclose(
    session: Session,
    viewer: Viewer,
    dataset: str,
    *,
    channel: str = "web",
    filters: Mapping[str, Any] | None = None,
    page: Page | None = None,
    group: Aggregate | None = None,
) -> Disclosure:
    """The rows of ``dataset`` that ``viewer`` may see, one page of them, recorded in the ledger.

    ``group`` asks for rows summed (e.g. per month); the policy's own aggregate still holds, so the
    rows come out at least as coarse as both.
    """
    ds = DATASETS.get(dataset)
    if ds is None:
        raise UnknownDataset(dataset)
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    try:
        current = versions.active(session)
    except PolicyInvalid as invalid:
        raise PolicyUnavailable(f"the active sharing policy does not validate: {invalid}") from invalid
    if current is None:
        raise PolicyUnavailable("no sharing policy is active")
    version, doc = current
    page = page or Page()
    size = max(1, min(page.size, MAX_PAGE))
    resolution = resolve(doc, dataset, viewer.partner_code, viewer.partner_kind, viewer.groups)
    if group is not None and ds.measures:
        resolution = resolution.grouped(group)
    visible = [name for name in ds.fields if name in resolution.fields]
    if not visible or not resolution.row_scopes:
        return _record(session, viewer, ds, channel, (), (), None, version)

    query = ds.base()
    for scope in resolution.row_scopes:
        query = query.where(ds.scopes[scope](viewer.partner_id))
    for forbidden in resolution.forbidden_scopes:
        query = query.where(not_(and_(*(ds.scopes[scope](viewer.partner_id) for scope in forbidden))))
    for name, value in (filters or {}).items():
        if name in ds.conditions:
            unseen = [f for f in ds.condition_reads.get(name, ()) if f not in resolution.fields]
            if unseen:
                raise UnknownFilter(
                    f"{dataset} cannot be filtered by {name!r}: {', '.join(unseen)} not shared"
                )
            query = query.where(ds.conditions[name](value))
            continue
        if name not in ds.filters:
            known = ", ".join([*ds.filters, *ds.conditions])
            raise UnknownFilter(f"{dataset} cannot be filtered by {name!r}; use one of {known}")
        query = query.where(ds.filters[name] == value)
    if resolution.horizon_weeks is not None and "week" in ds.fields:
        today = dt.date.today()  # noqa: DTZ011 - a horizon counts calendar weeks from this week's Monday
        monday = today - dt.timedelta(days=today.weekday())
        query = query.where(ds.fields["week"] < monday + dt.timedelta(weeks=resolution.horizon_weeks))
    if resolution.aggregate is not None:
        return _disclose_groups(session, viewer, ds, channel, resolution, visible, query, page, size, version)
    if page.after:
        query = query.where(_after(ds, _decode_cursor(ds, page.after)))
    direction = "desc" if ds.newest_first else "asc"
    query = query.order_by(*(getattr(column_, direction)() for column_, _type in ds.order)).limit(size + 1)

    fetched = session.execute(query).mappings().all()
    more = len(fetched) > size
    fetched = fetched[:size]
    ctx = _context(session, viewer, resolution)
    rows = tuple(MappingProxyType(row) for row in _show(resolution, ctx, visible, fetched))
    keys = [[_plain(row[k]) for k in ds.key] for row in fetched]
    subjects = _subjects(ds, fetched)
    cursor = _encode_cursor(ds, dict(fetched[-1])) if more else None
    return _record(
        session, viewer, ds, channel, rows, _columns(ds, resolution, version), cursor, version, keys, subjects
    )


OTHER = "other"


def _disclose_groups(
    session: Session,
    viewer: Viewer,
    ds: Dataset,
    channel: str,
    resolution: Resolution,
    visible: list[str],
    query: Select[Any],
    page: Page,
    size: int,
    version: PolicyVersion,
) -> Disclosure:
    """Sum the scoped rows into groups in SQL; merge the small groups into remainders here."""
    aggregate = resolution.aggregate
    assert aggregate is not None
    inner = query.subquery()
    by = list(aggregate.by)
    behind = [f"_subject_{n}" for n in by if f"_subject_{n}" in inner.c]
    groups: list[Any] = [inner.c[n] for n in by] + [inner.c[n] for n in behind]
    time = ds.time_field if ds.time_field in resolution.fields else None
    if time is not None:
        groups.append(
            time_bucket(inner.c[time], aggregate.grain, session.get_bind().dialect.name).label(time)
        )
    measures = [m for m in ds.measures if m in resolution.fields]
    fetched = session.execute(
        select(*groups, *(func.sum(inner.c[m]).label(m) for m in measures), func.count().label("_rows"))
        .group_by(*groups)
        .order_by(*groups)
    ).mappings()

    # Groups too small to show merge into one remainder per time bucket and kept fields' values.
    ordered = [*by, *([time] if time else [])]
    merged_away = [n for n in by if n not in aggregate.keep]
    outputs: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in fetched:
        small = row["_rows"] < aggregate.min_group
        values = {n: None if small and n in merged_away else row[n] for n in ordered}
        out = outputs.get((small, *values.values()))
        if out is None:
            out = outputs[(small, *values.values())] = {
                **values,
                **dict.fromkeys(measures, 0),
                "_rows": 0,
                "_remainder": small,
                "_subjects": set(),
            }
        for m in measures:
            out[m] += row[m] or 0
        out["_rows"] += row["_rows"]
        out["_subjects"] |= _subjects(ds, [row])  # a merged group's subjects were disclosed about too
    merged = sorted(
        (o for o in outputs.values() if not o["_remainder"] or o["_rows"] >= aggregate.min_group),
        # Within the same kept values, a remainder comes after the named groups.
        key=lambda o: tuple((o[n] is None, "" if o[n] is None else o[n]) for n in ordered),
    )
    offset = _unpack_offset(page.after) if page.after else 0
    chunk = merged[offset : offset + size]
    ctx = _context(session, viewer, resolution)
    # A remainder's merged fields pass the transforms blank and read "other" after.
    shown = _show(resolution, ctx, visible, chunk)
    rows = tuple(
        MappingProxyType({**row, **dict.fromkeys(merged_away, OTHER)} if o["_remainder"] else row)
        for row, o in zip(shown, chunk, strict=True)
    )
    keys = [[OTHER if o["_remainder"] and n in merged_away else _plain(o[n]) for n in ordered] for o in chunk]
    subjects = set().union(*(o["_subjects"] for o in chunk))
    more = offset + size < len(merged)
    cursor = _pack({"offset": offset + size}) if more else None
    return _record(
        session, viewer, ds, channel, rows, _columns(ds, resolution, version), cursor, version, keys, subjects
    )


def _show(
    resolution: Resolution, ctx: Context, visible: list[str], records: Sequence[Mapping[Any, Any]]
) -> list[dict[str, Any]]:
    """The visible fields of ``records``, each column through its field's transform at once."""
    shown = {
        name: column(resolution.fields[name].transform, ctx)([record[name] for record in records])
        for name in visible
    }
    return [{name: shown[name][i] for name in visible} for i in range(len(records))]


def _unpack_offset(cursor: str) -> int:
    raw = _unpack(cursor)
    offset = raw.get("offset") if isinstance(raw, dict) else None
    if not isinstance(offset, int) or offset < 0:
        raise UnknownFilter(f"the page cursor {cursor!r} is not valid")
    return offset


def _subjects(ds: Dataset, rows: Sequence[Mapping[Any, Any]]) -> set[tuple[str, str]]:
    """The distinct subjects of the rows, (kind, identifier), of the subject fields the rows carry."""
    found: set[tuple[str, str]] = set()
    for name, (kind, behind) in ds.subjects.items():
        label = name if behind is None else f"_subject_{name}"
        found.update((kind, str(row[label])) for row in rows if label in row and row[label] is not None)
    return found


_secret: list[bytes] = []


def _context(session: Session, viewer: Viewer, resolution: Resolution) -> Context:
    kinds = {t.transform.kind for t in resolution.fields.values()}
    regions: dict[str, str] = {}
    if "generalize" in kinds:
        regions = dict(session.execute(select(Site.code, Site.region)).all())
    if "pseudonymize" in kinds and not _secret:
        _secret.append(str(settings.load()["SECRET_KEY"]).encode())
    return Context(
        viewer_partner_id=viewer.partner_id,
        secret=_secret[0] if _secret else b"",
        today=dt.date.today(),  # noqa: DTZ011 - delays count calendar days
        regions=regions,
    )


def _columns(ds: Dataset, resolution: Resolution, version: PolicyVersion) -> tuple[Column, ...]:
    sentences = dict(zip(ds.fields, explain(resolution, f"version {version.number}"), strict=False))
    return tuple(
        Column(name, _treatment(resolution, name), sentences.get(name, ""))
        for name in ds.fields
        if name in resolution.fields
    )


def _treatment(resolution: Resolution, name: str) -> str:
    transform = resolution.fields[name].transform
    return ":".join([transform.kind, *(str(p) for p in transform.params if not isinstance(p, tuple))])


def _after(ds: Dataset, values: list[Any]) -> Any:
    """Rows that sort after the cursor in the dataset's order: a row-value comparison spelled out."""
    clauses = []
    for n, (expr, _type) in enumerate(ds.order):
        equal = [c == v for (c, _t), v in zip(ds.order[:n], values[:n], strict=True)]
        beyond = expr < values[n] if ds.newest_first else expr > values[n]
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)


def _pack(value: Any) -> str:
    """A page cursor: JSON in URL-safe base64."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _unpack(cursor: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError as error:
        raise UnknownFilter(f"the page cursor {cursor!r} is not valid") from error


def _encode_cursor(ds: Dataset, row: Mapping[str, Any]) -> str:
    values = [row[f"_cursor{n}"] for n in range(len(ds.order))]
    return _pack([v.isoformat() if isinstance(v, dt.date) else v for v in values])


def _decode_cursor(ds: Dataset, cursor: str) -> list[Any]:
    raw = _unpack(cursor)
    try:
        if not isinstance(raw, list) or len(raw) != len(ds.order):
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
    version: PolicyVersion,
    keys: list[list[Any]] | None = None,
    subjects: set[tuple[str, str]] | None = None,
) -> Disclosure:
    """One ledger record per disclosure, whatever the number of rows: one insert (its subjects ride in it)."""
    session.add(
        DisclosureRecord(
            at=utcnow(),
            account_id=viewer.account_id,
            partner_id=viewer.partner_id,
            channel=channel,
            dataset=ds.name,
            policy_version_id=version.id,
            policy_hash=version.content_hash,
            row_keys=keys or [],
            fields={c.name: c.treatment for c in columns},
            row_count=len(rows),
            subjects=[list(pair) for pair in sorted(subjects or ())],
        )
    )
    session.flush()
    shown = {c.name for c in columns}
    hidden = tuple(
        (name, "not shared under your sharing agreement") for name in ds.fields if name not in shown
    )
    return Disclosure(ds.name, rows, columns, f"version {version.number}", cursor, hidden)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value
