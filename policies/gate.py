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
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, cast

from sqlalchemy import Date, Integer, Select, Table, and_, bindparam, func, not_, or_, select, true
from sqlalchemy.orm import Session

from internal import config as settings
from internal.db import execute, insert_after_reads, read_memo
from internal.models import DisclosureRecord, Site, utcnow
from policies import versions
from policies.datasets import DATASETS, Dataset, time_bucket
from policies.explanations import Explanation, explanations
from policies.language import PolicyDocument, PolicyInvalid
from policies.resolve import Resolution, explain, resolve
from policies.transforms import Aggregate, Context, column
from policies.versions import ActiveVersion

#: The disclosure ledger's table: records are inserted as rows, not built as ORM objects.
LEDGER = cast(Table, DisclosureRecord.__table__)

CHANNELS = ("web", "export", "api", "email")
#: Staff looking at what a partner would see (a draft or the active version): no ledger record is
#: written, because nothing reached the partner. The console audits the look as a staff read.
PREVIEW = "preview"
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
class Under:
    """A policy document to decide instead of the active version, for a preview.

    ``label`` names it in explanations ("draft 3", "version 14"). A disclosure under it is written to
    no ledger: it is not shown to the partner.
    """

    document: PolicyDocument
    label: str


@dataclass(frozen=True, slots=True)
class Disclosure:
    dataset: str
    rows: tuple[Mapping[str, Any], ...]
    columns: tuple[Column, ...]
    version: str
    next_page: str | None
    #: The dataset's fields this viewer is not shown, with why ("no rule shares it").
    hidden: tuple[tuple[str, str], ...] = ()
    #: What the viewer's agreement does to these rows, as codes the web layer words (empty: nothing).
    notes: tuple[Explanation, ...] = ()


def disclose(
    session: Session,
    viewer: Viewer,
    dataset: str,
    *,
    channel: str = "web",
    filters: Mapping[str, Any] | None = None,
    page: Page | None = None,
    group: Aggregate | None = None,
    under: Under | None = None,
) -> Disclosure:
    """The rows of ``dataset`` that ``viewer`` may see, one page of them, recorded in the ledger.

    ``group`` asks for rows summed (e.g. per month); the policy's own aggregate still holds, so the
    rows come out at least as coarse as both. ``under``: a preview under that document, not recorded.
    """
    if under is not None:
        channel = PREVIEW
    ds, version, resolution = _resolution(session, viewer, dataset, channel, under)
    page = page or Page()
    size = max(1, min(page.size, MAX_PAGE))
    if group is not None and ds.measures:
        resolution = resolution.grouped(group)
    visible = [name for name in ds.fields if name in resolution.fields]
    if not visible or not resolution.row_scopes:
        return _record(session, viewer, ds, channel, (), (), None, version, notes=explanations(resolution))
    key, query, params = _scoped(ds, viewer, resolution, filters)
    if resolution.aggregate is not None:
        scoped = (key, query, params)
        return _disclose_groups(
            session, viewer, ds, channel, resolution, visible, scoped, page, size, version, filters
        )
    after = _decode_cursor(ds, page.after) if page.after else None

    def build() -> Select[Any]:
        ordered = query
        if after is not None:
            ordered = ordered.where(_after(ds, [bindparam(f"after_{n}") for n in range(len(ds.order))]))
        direction = "desc" if ds.newest_first else "asc"
        columns = (getattr(column_, direction)() for column_, _type in ds.order)
        return ordered.order_by(*columns).limit(bindparam("limit", type_=Integer))

    params["limit"] = size + 1
    if after is not None:
        params.update({f"after_{n}": value for n, value in enumerate(after)})
    if _windowed(ds, resolution, filters) and ds.order[0][0] is ds.fields[ds.window.field]:  # type: ignore[union-attr]
        fetched = _rows_by_window(session, ds, key, build, params, after, size)
    else:
        statement = _statement((*key, "rows", after is not None), build)
        fetched = list(execute(session, statement, params).mappings())
    more = len(fetched) > size
    fetched = fetched[:size]
    ctx = _context(session, viewer, resolution)
    rows = tuple(MappingProxyType(row) for row in _show(resolution, ctx, visible, fetched))
    keys = [[_plain(row[k]) for k in ds.key] for row in fetched]
    subjects = _subjects(ds, fetched)
    cursor = _encode_cursor(ds, dict(fetched[-1])) if more else None
    return _record(
        session,
        viewer,
        ds,
        channel,
        rows,
        _columns(ds, resolution, version),
        cursor,
        version,
        keys,
        subjects,
        notes=explanations(resolution),
    )


#: Leading values read at first for a page by window, per row of the page asked for (then four times more).
WINDOW_PER_ROW = 0.05


def _rows_by_window(
    session: Session,
    ds: Dataset,
    key: tuple[Any, ...],
    build: Callable[[], Select[Any]],
    params: dict[str, Any],
    after: list[Any] | None,
    size: int,
) -> list[Any]:
    """A page of ``ds`` read a few leading values (e.g. SKUs) at a time, in order.

    Every row of such a dataset belongs to one value of its leading order column, and the dataset names
    the values a viewer can have rows for. A page then needs only the rows of its first few values, so
    the database groups and sorts those instead of every row the viewer may see (a strategic supplier's
    52-week forecast: a thousand items' weeks grouped before the first 500 could be cut).
    """
    assert ds.window is not None
    lead = ds.fields[ds.window.field]
    rows = _statement(
        (*key, "rows", after is not None, "window"),
        lambda: build().where(lead.in_(bindparam("window", expanding=True))),
    )
    fetched: list[Any] = []
    for values, last in _windows(session, ds, params, size, after[0] if after is not None else None):
        fetched.extend(execute(session, rows, {**params, "window": values}).mappings())
        if len(fetched) > size or last:
            return fetched
    raise AssertionError("unreachable: the last window ends the loop")


def _windowed(ds: Dataset, resolution: Resolution, filters: Mapping[str, Any] | None) -> bool:
    """Whether a page of ``ds`` may be read by windows (see policies.datasets.Window)."""
    window = ds.window
    return (
        window is not None
        and window.scope in resolution.row_scopes
        and window.field not in (filters or {})
        and not ds.newest_first
    )


def _windows(
    session: Session, ds: Dataset, params: dict[str, Any], size: int, start: Any = None
) -> Iterator[tuple[list[Any], bool]]:
    """The leading field's values from ``start`` on, in consecutive windows each four times wider than
    the one before, each with whether it is the last. Rows of consecutive windows follow each other.
    """
    assert ds.window is not None
    window = ds.window
    lead = ds.fields[window.field]
    first = _statement(
        (ds.name, "window", start is not None),
        lambda: (
            window.values(VIEWER)
            .where(lead >= bindparam("window_start") if start is not None else true())
            .order_by(lead)
            .limit(bindparam("width", type_=Integer))
        ),
    )
    following = _statement(
        (ds.name, "window", "following"),
        lambda: (
            window.values(VIEWER)
            .where(lead > bindparam("window_start"))
            .order_by(lead)
            .limit(bindparam("width", type_=Integer))
        ),
    )
    width = max(2, int(size * WINDOW_PER_ROW))
    statement = first
    while True:
        values = list(
            execute(session, statement, {**params, "width": width, "window_start": start}).scalars()
        )
        yield values or [None], len(values) < width
        start, statement, width = (values[-1] if values else start), following, width * 4


def _active(session: Session) -> tuple[ActiveVersion, Any]:
    memo = read_memo(session)  # a page that asks the gate five times looks the version up once
    if memo is not None and "active_version" in memo:
        found: tuple[ActiveVersion, Any] = memo["active_version"]
        return found
    try:
        current = versions.active_version(session)
    except PolicyInvalid as invalid:
        raise PolicyUnavailable(f"the active sharing policy does not validate: {invalid}") from invalid
    if current is None:
        raise PolicyUnavailable("no sharing policy is active")
    if memo is not None:
        memo["active_version"] = current
    return current


#: The viewer's partner id in every cached statement: statements are built once per shape and reused.
VIEWER = bindparam("viewer", type_=Integer)
_statements: dict[tuple[Any, ...], Any] = {}
#: Enough for every shape the pages, exports and API ask for; past it the cache starts again.
_STATEMENTS_KEPT = 2000


def _statement(key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    """The statement for ``key``, built once. SQLAlchemy memoizes a statement object's cache key, so a
    reused statement skips both building and the cache-key walk: only its parameters change per call.
    """
    found = _statements.get(key)
    if found is None:
        if len(_statements) >= _STATEMENTS_KEPT:
            _statements.clear()
        found = _statements[key] = build()
    return found


def _scoped(
    ds: Dataset, viewer: Viewer, resolution: Resolution, filters: Mapping[str, Any] | None
) -> tuple[tuple[Any, ...], Select[Any], dict[str, Any]]:
    """The dataset's query narrowed to the rows the viewer may see (row scopes, forbids, filters,
    horizon), as a cached statement with its key and the parameters to run it with.
    """
    equal, conditions = [], []
    for name, value in sorted((filters or {}).items()):
        if name in ds.filters:
            equal.append(name)
        elif name in ds.conditions:
            unseen = [f for f in ds.condition_reads.get(name, ()) if f not in resolution.fields]
            if unseen:
                raise UnknownFilter(
                    f"{ds.name} cannot be filtered by {name!r}: {', '.join(unseen)} not shared"
                )
            conditions.append((name, value))
        else:
            known = ", ".join([*ds.filters, *ds.conditions])
            raise UnknownFilter(f"{ds.name} cannot be filtered by {name!r}; use one of {known}")
    horizon = resolution.horizon_weeks is not None and "week" in ds.fields
    key = (
        ds.name,
        resolution.row_scopes,
        resolution.forbidden_scopes,
        tuple(equal),
        tuple(conditions),
        horizon,
    )

    def build() -> Select[Any]:
        query = ds.base()
        for scope in sorted(resolution.row_scopes):
            query = query.where(ds.scopes[scope](VIEWER))
        for forbidden in resolution.forbidden_scopes:
            query = query.where(not_(and_(*(ds.scopes[scope](VIEWER) for scope in sorted(forbidden)))))
        for name in equal:
            query = query.where(ds.filters[name] == bindparam(f"filter_{name}"))
        for name, value in conditions:
            query = query.where(ds.conditions[name](VIEWER, value))
        if horizon:
            query = query.where(ds.fields["week"] < bindparam("horizon_end", type_=Date))
        return query

    params: dict[str, Any] = {"viewer": viewer.partner_id}
    params.update({f"filter_{name}": (filters or {})[name] for name in equal})
    if horizon:
        assert resolution.horizon_weeks is not None
        today = dt.date.today()  # noqa: DTZ011 - a horizon counts calendar weeks from this week's Monday
        monday = today - dt.timedelta(days=today.weekday())
        params["horizon_end"] = monday + dt.timedelta(weeks=resolution.horizon_weeks)
    return key, _statement(key, build), params


@dataclass(frozen=True, slots=True)
class Count:
    """How many rows of a dataset the viewer may see (a figure such as "12 orders to acknowledge")."""

    dataset: str
    rows: int
    version: str


def count(
    session: Session,
    viewer: Viewer,
    dataset: str,
    *,
    channel: str = "web",
    filters: Mapping[str, Any] | None = None,
) -> Count:
    """How many rows of ``dataset`` the viewer may see, under the same policy as ``disclose``, whatever
    their number. A dataset the policy does not share counts 0. Recorded in the ledger like any
    disclosure: the figure, with no rows. An aggregated dataset counts its groups.
    """
    ds, version, resolution = _resolution(session, viewer, dataset, channel)
    rows = _counted(session, ds, viewer, resolution, filters)
    _record(session, viewer, ds, channel, (), (), None, version, counted=rows)
    return Count(ds.name, rows, version.label)


def count_resolved(session: Session, viewer: Viewer, resolution: Resolution) -> int:
    """How many rows (or groups) ``resolution`` lets ``viewer`` see, written to no ledger: for weighing
    a policy change before anyone is shown anything (policies.impact).
    """
    return _counted(session, DATASETS[resolution.dataset], viewer, resolution, None)


def _counted(
    session: Session,
    ds: Dataset,
    viewer: Viewer,
    resolution: Resolution,
    filters: Mapping[str, Any] | None,
) -> int:
    """How many rows (or, aggregated, groups) of ``ds`` ``resolution`` lets ``viewer`` see; 0 when it
    shares none. Records nothing: ``count`` records the figure, ``count_resolved`` weighs a change.
    """
    if not resolution.row_scopes or not any(name in resolution.fields for name in ds.fields):
        return 0
    key, query, params = _scoped(ds, viewer, resolution, filters)
    if resolution.aggregate is not None:
        return len(_groups(session, ds, resolution, (key, query, params)))
    statement = _statement((*key, "count"), lambda: select(func.count()).select_from(query.subquery()))
    return int(execute(session, statement, params).scalar() or 0)


def keys_resolved(session: Session, viewer: Viewer, resolution: Resolution) -> set[tuple[Any, ...]]:
    """The keys of the rows ``resolution`` lets ``viewer`` see, written to no ledger: which rows a policy
    change adds or takes away (policies.impact). An aggregated resolution's groups have no key: use
    ``count_resolved``.
    """
    ds = DATASETS[resolution.dataset]
    if not resolution.row_scopes or not any(name in resolution.fields for name in ds.fields):
        return set()
    _key, query, params = _scoped(ds, viewer, resolution, None)
    scoped = query.subquery()
    statement = select(*(scoped.c[k] for k in ds.key))
    return {tuple(row) for row in execute(session, statement, params)}


def _resolution(
    session: Session, viewer: Viewer, dataset: str, channel: str = "web", under: Under | None = None
) -> tuple[Dataset, ActiveVersion, Resolution]:
    """The dataset, the deciding version and what it lets ``viewer`` see of the dataset."""
    ds = DATASETS.get(dataset)
    if ds is None:
        raise UnknownDataset(dataset)
    if channel not in CHANNELS and not (channel == PREVIEW and under is not None):
        raise ValueError(f"unknown channel {channel!r}")
    if under is not None:
        doc = under.document
        version = ActiveVersion(0, 0, doc.content_hash, under.label)
    else:
        version, doc = _active(session)
    return ds, version, resolve(doc, dataset, viewer.partner_code, viewer.partner_kind, viewer.groups)


def horizon_weeks(session: Session, viewer: Viewer, dataset: str) -> int | None:
    """How many weeks ahead ``viewer`` may see ``dataset`` under the active policy: None for no limit,
    0 when nothing of it is shared. Writes that answer the data (forecast commits) keep within it.
    """
    _ds, _version, resolution = _resolution(session, viewer, dataset)
    if not resolution.row_scopes or not resolution.fields:
        return 0
    return resolution.horizon_weeks


def as_shown(session: Session, viewer: Viewer, dataset: str, field: str) -> Callable[[Any], Any]:
    """A function giving a value of ``dataset.field`` as ``viewer`` is shown it (None when hidden).

    A write that answers with a flag (a commit's shortfall) compares against this, so the flag tells
    no more than the figure shown beside it.
    """
    _ds, _version, resolution = _resolution(session, viewer, dataset)
    treatment = resolution.fields.get(field) if resolution.row_scopes else None
    if treatment is None:
        return lambda _value: None
    transform = column(treatment.transform, Context(viewer_partner_id=viewer.partner_id))
    return lambda value: transform([value])[0]


OTHER = "other"


def _disclose_groups(
    session: Session,
    viewer: Viewer,
    ds: Dataset,
    channel: str,
    resolution: Resolution,
    visible: list[str],
    scoped: tuple[tuple[Any, ...], Select[Any], dict[str, Any]],
    page: Page,
    size: int,
    version: ActiveVersion,
    filters: Mapping[str, Any] | None = None,
) -> Disclosure:
    """Sum the scoped rows into groups in SQL; merge the small groups into remainders here."""
    aggregate = resolution.aggregate
    assert aggregate is not None
    time = ds.time_field if ds.time_field in resolution.fields else None
    ordered = [*aggregate.by, *([time] if time else [])]
    merged_away = [n for n in aggregate.by if n not in aggregate.keep]
    offset = _unpack_offset(page.after) if page.after else 0
    window = ds.window
    if (
        window is not None
        and _windowed(ds, resolution, filters)
        and aggregate.by[:1] == (window.field,)
        and window.field in aggregate.keep
    ):
        # Groups of one value never merge with another's and sort by it first: read values until the
        # page (and what came before it) is whole. The cursor stays an offset, so it reveals no values.
        merged = []
        for values, last in _windows(session, ds, scoped[2], offset + size):
            merged.extend(_groups(session, ds, resolution, scoped, values))
            if len(merged) > offset + size or last:
                break
    else:
        merged = _groups(session, ds, resolution, scoped)
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
        session,
        viewer,
        ds,
        channel,
        rows,
        _columns(ds, resolution, version),
        cursor,
        version,
        keys,
        subjects,
        notes=explanations(resolution),
    )


def _groups(
    session: Session,
    ds: Dataset,
    resolution: Resolution,
    scoped: tuple[tuple[Any, ...], Select[Any], dict[str, Any]],
    window: list[Any] | None = None,
) -> list[dict[str, Any]]:
    """The groups the viewer is shown, in order: summed in SQL, the small ones merged into remainders.
    ``window``: only the rows of these values of the dataset's window field.
    """
    aggregate = resolution.aggregate
    assert aggregate is not None
    key, query, params = scoped
    if window is not None:
        assert ds.window is not None
        lead = ds.fields[ds.window.field]
        key = (*key, "window")
        query = query.where(lead.in_(bindparam("window", expanding=True)))
        params = {**params, "window": window}
    by = list(aggregate.by)
    time = ds.time_field if ds.time_field in resolution.fields else None
    measures = [m for m in ds.measures if m in resolution.fields]
    dialect = session.get_bind().dialect.name

    def build() -> Select[Any]:
        inner = query.subquery()
        behind = [f"_subject_{n}" for n in by if f"_subject_{n}" in inner.c]
        groups: list[Any] = [inner.c[n] for n in by] + [inner.c[n] for n in behind]
        if time is not None:
            groups.append(time_bucket(inner.c[time], aggregate.grain, dialect).label(time))
        return (
            select(*groups, *(func.sum(inner.c[m]).label(m) for m in measures), func.count().label("_rows"))
            .group_by(*groups)
            .order_by(*groups)
        )

    statement = _statement((*key, "groups", aggregate, time, tuple(measures), dialect), build)
    fetched = execute(session, statement, params).mappings()
    # The subject columns this result carries, looked up once rather than per row.
    present = set(fetched.keys())
    subject_columns = [
        (kind, label)
        for name, (kind, behind) in ds.subjects.items()
        if (label := name if behind is None else f"_subject_{name}") in present
    ]
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
        # A merged group's subjects were disclosed about too.
        out["_subjects"].update(
            (kind, str(row[label])) for kind, label in subject_columns if row[label] is not None
        )
    merged = sorted(
        (o for o in outputs.values() if not o["_remainder"] or o["_rows"] >= aggregate.min_group),
        # Within the same kept values, a remainder comes after the named groups.
        key=lambda o: tuple((o[n] is None, "" if o[n] is None else o[n]) for n in ordered),
    )
    return merged


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
    if type(offset) is not int or not 0 <= offset <= _MAX_CURSOR_INT:
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
_REGIONS = select(Site.code, Site.region)


def _context(session: Session, viewer: Viewer, resolution: Resolution) -> Context:
    kinds = {t.transform.kind for t in resolution.fields.values()}
    regions: dict[str, str] = {}
    if "generalize" in kinds:
        memo = read_memo(session)
        if memo is not None and "regions" in memo:
            regions = memo["regions"]
        else:
            regions = {str(row.code): str(row.region) for row in execute(session, _REGIONS)}
            if memo is not None:
                memo["regions"] = regions
    if "pseudonymize" in kinds and not _secret:
        _secret.append(str(settings.load()["SECRET_KEY"]).encode())
    return Context(
        viewer_partner_id=viewer.partner_id,
        secret=_secret[0] if _secret else b"",
        today=dt.date.today(),  # noqa: DTZ011 - delays count calendar days
        regions=regions,
    )


def _columns(ds: Dataset, resolution: Resolution, version: ActiveVersion) -> tuple[Column, ...]:
    sentences = dict(zip(ds.fields, explain(resolution, version.label), strict=False))
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
        return [_cursor_value(v, kind) for v, (_column, kind) in zip(raw, ds.order, strict=True)]
    except (ValueError, TypeError) as error:
        raise UnknownFilter(f"the page cursor {cursor!r} is not valid") from error


#: Cursor ids are database integers: a larger number (or 1e400) is a cursor this site never made.
_MAX_CURSOR_INT = 2**31 - 1


def _cursor_value(value: Any, kind: type) -> Any:
    """One cursor value of the type its column sorts by; anything else is a ValueError."""
    if kind is dt.date and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if kind is int and type(value) is int and abs(value) <= _MAX_CURSOR_INT:
        return value
    if kind is str and isinstance(value, str) and len(value) <= 400:
        return value
    raise ValueError(f"{value!r} is not a {kind.__name__}")


def _record(
    session: Session,
    viewer: Viewer,
    ds: Dataset,
    channel: str,
    rows: tuple[Mapping[str, Any], ...],
    columns: tuple[Column, ...],
    cursor: str | None,
    version: ActiveVersion,
    keys: list[list[Any]] | None = None,
    subjects: set[tuple[str, str]] | None = None,
    counted: int | None = None,
    notes: tuple[Explanation, ...] = (),
) -> Disclosure:
    """One ledger record per disclosure, whatever the number of rows: one insert (its subjects ride in it).
    A preview is recorded in no ledger: the partner was shown nothing.
    """
    if channel != PREVIEW:
        insert_after_reads(
            session,
            LEDGER,
            {
                "at": utcnow(),
                "account_id": viewer.account_id,
                "partner_id": viewer.partner_id,
                "channel": channel,
                "dataset": ds.name,
                "policy_version_id": version.id,
                "policy_hash": version.content_hash,
                "row_keys": keys or [],
                # A count disclosed a figure, not rows: it is recorded as such.
                "fields": {"*": "count"} if counted is not None else {c.name: c.treatment for c in columns},
                "row_count": len(rows) if counted is None else counted,
                "subjects": [list(pair) for pair in sorted(subjects or ())],
            },
        )
    # In a page's read phase the record is written at its end, after its reads (internal/db.py).
    shown = {c.name for c in columns}
    hidden = tuple(
        (name, "not shared under your sharing agreement") for name in ds.fields if name not in shown
    )
    return Disclosure(ds.name, rows, columns, version.label, cursor, hidden, notes)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value
