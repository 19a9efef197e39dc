"""Load source files safely: check every row of a file first, then upsert on the source system's keys.

A file with any error writes nothing. A valid file adds new rows, updates changed ones and leaves the
rest alone, counting each; rows of the database the file no longer holds are counted as missing and
removed only when asked. Statements are bulk Core inserts and updates; comparisons happen in Python
against the existing rows read once per record kind, never row by row through the ORM.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from pathlib import PurePath
from typing import Any

from sqlalchemy import Numeric, String, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from internal.integration.problems import ImportRefused, Problem
from internal.integration.readers import RawRows, read_file
from internal.integration.records import DIALECTS, PLAN, REFS, Field, LineOf, Record
from internal.models import CodeKind, CodeMapping, ForecastPlan, PlanStatus, SourceSystem

#: Rows written between two progress reports (and, in a job, two commits).
CHUNK = 20_000
#: Rows named when a file no longer holds them (the rest are counted).
EXAMPLES = 10
#: Problems listed per file before the rest are only counted.
MAX_PROBLEMS = 200

Progress = Callable[[int, int], None]


@dataclass
class Counts:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    #: In the database (and within the parents the file holds) but not in the file.
    missing: int = 0
    removed: int = 0

    def add(self, other: Counts) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class LoadResult:
    counts: dict[str, Counts] = field(default_factory=dict)
    #: Not errors of the file: missing rows that could not be removed, for instance.
    warnings: list[Problem] = field(default_factory=list)


@dataclass
class CheckedRows:
    """One record kind of one file, every value converted and every code known to exist."""

    record: Record
    #: Values by column; reference columns still hold codes, resolved to ids when written.
    rows: list[dict[str, Any]]


class _Bad(Exception):
    def __init__(self, key: str, **params: Any) -> None:
        self.key, self.params = key, params


def mappings(session: Session, system: SourceSystem) -> dict[tuple[str, str], str]:
    """(code kind, source code) to canonical code, for one source system."""
    return {
        (str(kind), source): canonical
        for kind, source, canonical in session.execute(
            select(CodeMapping.kind, CodeMapping.source_code, CodeMapping.canonical_code).where(
                CodeMapping.source_system == system
            )
        )
    }


def check_file(
    session: Session, system: SourceSystem, name: str, content: bytes, mapping: dict[tuple[str, str], str]
) -> list[CheckedRows]:
    """Every row of the file converted and checked; ImportRefused lists all that is wrong."""
    raw = read_file(system, name, content)
    problems: list[Problem] = []
    checked = [_convert_rows(name, part, mapping, problems) for part in raw]
    _check_references(session, name, raw, checked, problems)
    _check_lines(session, name, raw, checked, problems)
    _check_keys(name, raw, checked, problems)
    if not problems:
        _check_shares(name, raw, checked, problems)
    if problems:
        raise ImportRefused(problems[:MAX_PROBLEMS])
    return checked


def load_files(
    session: Session,
    system: SourceSystem,
    files: list[tuple[str, bytes]],
    *,
    remove_missing: bool = False,
    progress: Progress | None = None,
    after_file: Callable[[str, LoadResult], None] | None = None,
) -> LoadResult:
    """Check and write each file in turn; the first file with errors raises ImportRefused unwritten.

    Flushes, never commits; ``progress(done, total)`` is called every CHUNK rows written, where the
    caller may commit (a job does, so staff see how far it is).
    """
    mapping = mappings(session, system)
    result = LoadResult()
    # Millions of new, long-lived rows would make the cycle collector rescan them over and over.
    collecting = gc.isenabled()
    gc.disable()
    try:
        _load(session, system, files, mapping, result, remove_missing, progress, after_file)
    finally:
        if collecting:
            gc.enable()
    return result


def _load(
    session: Session,
    system: SourceSystem,
    files: list[tuple[str, bytes]],
    mapping: dict[tuple[str, str], str],
    result: LoadResult,
    remove_missing: bool,
    progress: Progress | None,
    after_file: Callable[[str, LoadResult], None] | None,
) -> None:
    tally = {"done": 0, "total": 0}

    def step(n: int) -> None:
        tally["done"] += n
        if progress:
            progress(tally["done"], tally["total"])

    for name, content in sorted(files, key=lambda f: _write_order(system, f[0])):
        checked = check_file(session, system, name, content, mapping)
        tally["total"] += sum(len(c.rows) for c in checked)
        step(0)
        file_result = LoadResult()
        _Writer(session, file_result, remove_missing, step).write(name, checked)
        for kind, counts in file_result.counts.items():
            result.counts.setdefault(kind, Counts()).add(counts)
        result.warnings += file_result.warnings
        if after_file:
            after_file(name, file_result)


def _write_order(system: SourceSystem, name: str) -> int:
    """A CSV file's place among its system's records (items before bills of material); others first."""
    stem = PurePath(name).stem.lower()
    names = [r.name for r in DIALECTS[system]]
    return names.index(stem) if stem in names else -1


# -- checking ----------------------------------------------------------------------------------------


def _convert_rows(
    file: str, raw: RawRows, mapping: dict[tuple[str, str], str], problems: list[Problem]
) -> CheckedRows:
    record = raw.record
    known = {f.name for f in record.fields}
    expected = ", ".join(f.name for f in record.fields)
    if raw.columns is not None:
        # A table's header: unknown or missing columns are said once, not on every row.
        before = len(problems)
        for column in raw.columns:
            if column not in known:
                problems.append(Problem(file, record.name, column, "unknown_column", {"columns": expected}))
        for f in record.fields:
            if f.required and f.name not in raw.columns:
                required = ", ".join(x.name for x in record.fields if x.required)
                problems.append(Problem(file, record.name, f.name, "missing_column", {"columns": required}))
        if len(problems) > before:
            return CheckedRows(record, [])
    converters = [(f.name, f.column, _converter(record, f, mapping)) for f in record.fields]
    rows = []
    for where, values in raw.rows:
        get = values.get
        try:
            row = {column: convert(get(name)) for name, column, convert in converters}
        except _Bad:
            # Said field by field, so every wrong value of the row is listed, not only the first.
            row = {}
            for name, column, convert in converters:
                try:
                    row[column] = convert(get(name))
                except _Bad as bad:
                    problems.append(Problem(file, where, name, bad.key, bad.params))
        if raw.columns is None:
            for extra in sorted(set(values) - known):
                problems.append(Problem(file, where, extra, "unknown_column", {"columns": expected}))
        rows.append(row)
        if len(problems) > MAX_PROBLEMS:
            break
    return CheckedRows(record, rows)


def _converter(record: Record, f: Field, mapping: dict[tuple[str, str], str]) -> Callable[[Any], Any]:
    """A function from what the file holds to the column's value, raising _Bad with what was expected."""
    column_type = record.table.c[f.column].type
    length = column_type.length if isinstance(column_type, String) else None
    places = column_type.scale if isinstance(column_type, Numeric) else None
    mapped = f.mapped or (REFS[f.ref].mapped if f.ref in REFS else None)
    translations = (
        {src: canon for (kind, src), canon in mapping.items() if kind == str(mapped)} if mapped else {}
    )
    required, default, minimum, maximum = f.required, f.default, f.minimum, f.maximum

    def bounded(number: Decimal) -> Decimal:
        if minimum is not None and number < minimum:
            raise _Bad("below_minimum", minimum=minimum, value=str(number))
        if maximum is not None and number > maximum:
            raise _Bad("above_maximum", maximum=maximum, value=str(number))
        return number

    def text(value: Any) -> str:
        written = value if type(value) is str else str(value)
        if length and len(written) > length:
            raise _Bad("too_long", length=length, got=len(written))
        return written

    def choice(value: Any) -> str:
        written = str(value)
        if written not in f.choices:
            raise _Bad("not_choice", value=written, choices=", ".join(f.choices), kind=str(mapped or ""))
        return written

    def integer(value: Any) -> int:
        if type(value) is int:
            return int(bounded(Decimal(value)))
        try:
            number = Decimal(str(value)) if type(value) is not bool else None
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or number != number.to_integral_value():
            raise _Bad("not_integer", value=str(value))
        return int(bounded(number))

    def decimal(value: Any) -> Decimal:
        kind = type(value)
        if kind is int:
            return bounded(Decimal(value))
        try:
            number = value if kind is Decimal else Decimal(value if kind is str else str(value))
        except InvalidOperation:
            raise _Bad("not_number", value=str(value)) from None
        if kind is bool or not number.is_finite():
            raise _Bad("not_number", value=str(value))
        if places is not None:
            # Cheap on the usual "12.50": only a long or exponent-written number is looked at closely.
            written = value if kind is str else str(value)
            dot = written.find(".")
            if (dot >= 0 and len(written) - dot - 1 > places) or "e" in written or "E" in written:
                exponent = number.normalize().as_tuple().exponent
                if isinstance(exponent, int) and -exponent > places:
                    raise _Bad("too_many_decimals", places=places, value=str(value))
        return bounded(number)

    def monday(value: Any) -> dt.date:
        day = _date(value)
        if day.weekday() != 0:
            raise _Bad("not_monday", value=str(value))
        return day

    def boolean(value: Any) -> bool:
        if type(value) is bool:
            return value
        written = str(value).lower()
        if written in ("true", "1", "yes", "y"):
            return True
        if written in ("false", "0", "no", "n"):
            return False
        raise _Bad("not_bool", value=str(value))

    convert: Callable[[Any], Any] = {
        "text": text,
        "choice": choice,
        "int": integer,
        "decimal": decimal,
        "date": _date,
        "monday": monday,
        "datetime": _datetime,
        "bool": boolean,
    }[f.kind]
    if f.kind in ("date", "monday", "datetime"):
        convert = _remembered(convert)

    def parse(value: Any) -> Any:
        if type(value) is str:
            value = value.strip()
            if not value:
                value = None
            elif translations:
                value = translations.get(value, value)
        elif translations and value is not None:
            value = translations.get(str(value), value)
        if value is None:
            if required:
                raise _Bad("required")
            return default
        return convert(value)

    return parse


def _remembered(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Dates repeat a great deal in a file: each distinct one written as text is parsed once."""
    seen: dict[str, Any] = {}

    def cached(value: Any) -> Any:
        if type(value) is not str:
            return convert(value)
        found = seen.get(value)
        if found is None:
            found = seen[value] = convert(value)
        return found

    return cached


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise _Bad("not_date", value=str(value)) from None


def _datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value))
        except ValueError:
            raise _Bad("not_datetime", value=str(value)) from None
    # A time written without a zone is UTC, as the format documents.
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _check_references(
    session: Session, file: str, raw: list[RawRows], checked: list[CheckedRows], problems: list[Problem]
) -> None:
    provided: dict[str, set[str]] = defaultdict(set)
    known: dict[str, set[str]] = {}
    for part, rows in zip(raw, checked, strict=True):
        record = rows.record
        for f in record.fields:
            if f.ref is None or f.ref == PLAN:
                continue
            ref = REFS[f.ref]
            if f.ref not in known:
                known[f.ref] = set(session.scalars(select(ref.table.c[ref.code])))
            codes = known[f.ref] | provided[f.ref]
            for (where, _values), row in zip(part.rows, rows.rows, strict=False):
                value = row.get(f.column)
                if value is not None and value not in codes:
                    problems.append(
                        Problem(file, where, f.name, "unknown_reference", {"value": value, "what": ref.what})
                    )
        if record.provides:
            code = next(f.column for f in record.fields if f.column in record.key)
            provided[record.provides].update(row[code] for row in rows.rows if code in row)


def _check_lines(
    session: Session, file: str, raw: list[RawRows], checked: list[CheckedRows], problems: list[Problem]
) -> None:
    """A line number names a line of the document of the row's parent, in the database or in the file."""
    for part, rows in zip(raw, checked, strict=True):
        for f in rows.record.fields:
            lines = f.line_of
            if lines is None:
                continue
            parent = REFS[lines.parent]
            # Nested rows come with their parent, so the file says which document each parent is of.
            parents = next((c for c in checked if c.record.provides == lines.parent), None)
            if parents is None:
                continue
            document_ref = next(x.ref for x in parents.record.fields if x.column == lines.parent_document)
            document = REFS[str(document_ref)]
            documents = {
                p[parent.code]: p.get(lines.parent_document) for p in parents.rows if parent.code in p
            }
            # A document whose lines the file holds has those lines (others are missing, and may be
            # removed); any other document has its lines in the database.
            numbers: dict[Any, set[Any]] = defaultdict(set)
            for other in checked:
                if other.record.table is lines.table:
                    for r in other.rows:
                        if r.get(lines.number) is not None and r.get(lines.document) is not None:
                            numbers[r[lines.document]].add(r[lines.number])
            wanted = sorted({d for d in documents.values() if d is not None and d not in numbers})
            code = document.table.c[document.code]
            query = select(code, lines.table.c[lines.number]).join(
                document.table, lines.table.c[lines.document] == document.table.c.id
            )
            for start in range(0, len(wanted), 500):
                for owner, number in session.execute(query.where(code.in_(wanted[start : start + 500]))):
                    numbers[owner].add(number)
            for (where, _values), row in zip(part.rows, rows.rows, strict=False):
                number, owner = row.get(f.column), documents.get(row.get(lines.parent_column))
                if number is None or owner is None or number in numbers[owner]:
                    continue
                known = ", ".join(str(n) for n in sorted(numbers[owner])) or "-"
                problems.append(
                    Problem(
                        file,
                        where,
                        f.name,
                        "unknown_line",
                        {"value": number, "what": document.what, "document": owner, "lines": known},
                    )
                )


def _check_keys(file: str, raw: list[RawRows], checked: list[CheckedRows], problems: list[Problem]) -> None:
    for part, rows in zip(raw, checked, strict=True):
        key = rows.record.key
        first: dict[tuple[Any, ...], str] = {}
        names = ", ".join(f.name for f in rows.record.fields if f.column in key)
        key_of = _getter(key)
        for (where, _values), row in zip(part.rows, rows.rows, strict=False):
            try:
                k = key_of(row)
            except KeyError:
                continue  # the value itself is wrong, and said so
            if k in first:
                problems.append(
                    Problem(file, where, names, "duplicate_key", {"key": names, "first": first[k]})
                )
            else:
                first[k] = where


def _check_shares(file: str, raw: list[RawRows], checked: list[CheckedRows], problems: list[Problem]) -> None:
    """A source list names all of an item's suppliers: their shares add up to 100 at every site."""
    for part, rows in zip(raw, checked, strict=True):
        if rows.record.name != "source_list":
            continue
        totals: dict[str, Decimal] = defaultdict(Decimal)
        last: dict[str, str] = {}
        for (where, _values), row in zip(part.rows, rows.rows, strict=False):
            totals[row["item_id"]] += row["share_pct"]
            last[row["item_id"]] = where
        for item, total in totals.items():
            if total != 100:
                problems.append(
                    Problem(
                        file,
                        last[item],
                        "share_pct",
                        "shares_total",
                        {"item": item, "total": total},
                    )
                )


def _getter(columns: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """The row's values of ``columns``, always as a tuple."""
    if len(columns) == 1:
        (column,) = columns
        return lambda row: (row[column],)
    getter: Callable[[dict[str, Any]], tuple[Any, ...]] = itemgetter(*columns)
    return getter


# -- writing -----------------------------------------------------------------------------------------


class _Writer:
    def __init__(
        self, session: Session, result: LoadResult, remove_missing: bool, step: Callable[[int], None]
    ):
        self.session, self.result, self.remove_missing, self.step = session, result, remove_missing, step
        self.ids: dict[str, dict[str, int]] = {}
        self.codes: dict[str, dict[int, str]] = {}

    def ids_of(self, ref: str) -> dict[str, int]:
        if ref not in self.ids:
            r = REFS[ref]
            self.ids[ref] = dict(self.session.execute(select(r.table.c[r.code], r.table.c.id)).all())
        return self.ids[ref]

    def write(self, file: str, checked: list[CheckedRows]) -> None:
        for part in checked:
            self.write_record(file, part)
            if part.record.provides:
                for name, ref in REFS.items():
                    if ref.table is part.record.table:
                        self.ids.pop(name, None)
                        self.codes.pop(name, None)

    def resolve(self, record: Record, rows: list[dict[str, Any]]) -> None:
        # Line numbers first: they are found through the parent's code, before it becomes an id.
        for f in record.fields:
            if f.line_of is not None:
                self._lines(f, f.line_of, rows)
        for f in record.fields:
            if f.ref is None:
                continue
            ids = self._plans(rows) if f.ref == PLAN else self.ids_of(f.ref)
            column = f.column
            for row in rows:
                code = row[column]
                if code is not None:
                    row[column] = ids[code]

    def _lines(self, f: Field, lines: LineOf, rows: list[dict[str, Any]]) -> None:
        """Each row's line number to the id of that line of its parent's document (checked to exist)."""
        parent = REFS[lines.parent]
        code = parent.table.c[parent.code]
        query = select(code, lines.table.c[lines.number], lines.table.c.id).join(
            lines.table, lines.table.c[lines.document] == parent.table.c[lines.parent_document]
        )
        wanted = sorted({row[lines.parent_column] for row in rows})
        ids: dict[tuple[Any, Any], int] = {}
        for start in range(0, len(wanted), 500):
            for owner, number, ident in self.session.execute(
                query.where(code.in_(wanted[start : start + 500]))
            ):
                ids[owner, number] = ident
        column = f.column
        for row in rows:
            row[column] = ids[row[lines.parent_column], row[column]]

    def _plans(self, rows: list[dict[str, Any]]) -> dict[str, int]:
        """Each named plan's draft: the newest draft of that name, or a new version made for the file."""
        weeks: dict[str, list[dt.date]] = defaultdict(list)
        for row in rows:
            weeks[row["plan_id"]].append(row["week_start"])
        ids = {}
        for name, days in weeks.items():
            first, last = min(days), max(days)
            span = (last - first).days // 7 + 1
            plan = self.session.scalar(
                select(ForecastPlan)
                .where(ForecastPlan.name == name, ForecastPlan.status == PlanStatus.draft)
                .order_by(ForecastPlan.version.desc())
            )
            if plan is None:
                version = self.session.scalar(
                    select(func.max(ForecastPlan.version)).where(ForecastPlan.name == name)
                )
                plan = ForecastPlan(name=name, version=(version or 0) + 1, horizon_start=first, weeks=span)
                self.session.add(plan)
            else:
                end = max(last, plan.horizon_start + dt.timedelta(weeks=plan.weeks - 1))
                plan.horizon_start = min(plan.horizon_start, first)
                plan.weeks = (end - plan.horizon_start).days // 7 + 1
            self.session.flush()
            ids[name] = plan.id
        return ids

    def write_record(self, file: str, part: CheckedRows) -> None:
        record, rows = part.record, part.rows
        table = record.table
        self.resolve(record, rows)
        key, values = record.key, tuple(c for c in record.columns if c not in record.key)
        scopes = {row[record.scope] for row in rows} if record.scope else None
        query = select(table.c.id, *(table.c[c] for c in key), *(table.c[c] for c in values))
        if record.among is not None:
            query = query.where(record.among(table))
        if record.scope and scopes is not None and len(scopes) <= 500:
            query = query.where(table.c[record.scope].in_(scopes))
        width = len(key)
        existing: dict[tuple[Any, ...], tuple[int, tuple[Any, ...]]] = {
            tuple(r[1 : 1 + width]): (r[0], tuple(r[1 + width :])) for r in self.session.execute(query)
        }
        counts = self.result.counts.setdefault(record.name, Counts())
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        seen = set()
        key_of, values_of = _getter(key), _getter(values)
        for row in rows:
            k = key_of(row)
            seen.add(k)
            found = existing.get(k)
            if found is None:
                inserts.append({**record.on_insert, **row})
            elif found[1] != values_of(row):
                updates.append({"b_id": found[0], **{f"b_{c}": row[c] for c in values}})
            else:
                counts.unchanged += 1
        counts.added, counts.changed = counts.added + len(inserts), counts.changed + len(updates)
        if counts.unchanged:
            self.step(counts.unchanged)
        for start in range(0, len(inserts), CHUNK):
            chunk = inserts[start : start + CHUNK]
            self.session.execute(insert(table), chunk)
            self.step(len(chunk))
        if updates:
            statement = (
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(
                    {c: bindparam(f"b_{c}") for c in values} | {c: table.c[c] + 1 for c in record.on_change}
                )
            )
            for start in range(0, len(updates), CHUNK):
                chunk = updates[start : start + CHUNK]
                self.session.execute(statement, chunk, execution_options={"synchronize_session": False})
                self.step(len(chunk))
        scope_at = key.index(record.scope) if record.scope else None
        gone = [
            k
            for k in existing
            if k not in seen and (scope_at is None or (scopes is not None and k[scope_at] in scopes))
        ]
        counts.missing += len(gone)
        if gone and self.remove_missing:
            self.remove(file, record, [existing[k][0] for k in gone], counts)
        elif gone:
            examples = "; ".join(self.describe(record, k) for k in gone[:EXAMPLES])
            self.result.warnings.append(
                Problem(file, record.name, "", "missing_rows", {"count": len(gone), "examples": examples})
            )
        self.session.flush()

    def describe(self, record: Record, key: tuple[Any, ...]) -> str:
        """A key as the file would write it: codes, not the database's ids."""
        parts = []
        for column, value in zip(record.key, key, strict=True):
            f = next(x for x in record.fields if x.column == column)
            if f.line_of is not None and value is not None:
                lines = f.line_of
                value = self.session.scalar(
                    select(lines.table.c[lines.number]).where(lines.table.c.id == value)
                )
            elif f.ref is not None and f.ref != PLAN and value is not None:
                if f.ref not in self.codes:
                    self.codes[f.ref] = {ident: code for code, ident in self.ids_of(f.ref).items()}
                value = self.codes[f.ref].get(value, value)
            parts.append(f"{f.name} {value if value is not None else '-'}")
        return ", ".join(parts)

    def remove(self, file: str, record: Record, ids: list[int], counts: Counts) -> None:
        try:
            with self.session.begin_nested():
                for start in range(0, len(ids), CHUNK):
                    self.session.execute(
                        delete(record.table).where(record.table.c.id.in_(ids[start : start + CHUNK]))
                    )
        except IntegrityError:
            self.result.warnings.append(Problem(file, record.name, "", "not_removed", {"count": len(ids)}))
        else:
            counts.removed += len(ids)


__all__ = ["CodeKind", "Counts", "ImportRefused", "LoadResult", "check_file", "load_files", "mappings"]
