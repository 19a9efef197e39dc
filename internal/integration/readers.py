"""The three source dialects, read into rows of named values with where each came from.

ERP: CSV (one record kind per file, named by the file: items.csv) or XLSX (one sheet per kind).
CRM: one JSON document, an object of lists, with order lines, events and contacts nested.
SCM: CSV, one record kind per file (source_list.csv, forecast.csv).
Nothing here checks values: the loader does, for every dialect alike.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from internal.integration.problems import ImportRefused, Problem, row_label
from internal.integration.records import DIALECTS, Record
from internal.models import SourceSystem

#: A table's rows, each with where it stands in the file, and its header (None for JSON).
Table = tuple[list[tuple[str, dict[str, Any]]], list[str] | None]


@dataclass
class RawRows:
    """The rows of one record kind in one file; ``values`` hold what the file wrote, unchecked."""

    record: Record
    rows: list[tuple[str, dict[str, Any]]]
    #: A table's header (CSV, XLSX sheet); None for JSON, where each object names its own fields.
    columns: list[str] | None = None


def read_file(system: SourceSystem, name: str, content: bytes) -> list[RawRows]:
    """Rows by record kind, in the system's write order; unreadable files raise ImportRefused."""
    records = {r.name: r for r in DIALECTS[system]}
    suffix = Path(name).suffix.lower()
    found: dict[str, Table]
    if system == SourceSystem.crm:
        if suffix != ".json":
            raise ImportRefused([Problem(name, "", "", "wrong_type", {"expected": "JSON (.json)"})])
        found = {kind: (rows, None) for kind, rows in _read_json(name, content, records).items()}
    elif suffix == ".csv":
        found = {_kind(name, Path(name).stem, records): _read_csv(name, content)}
    elif suffix == ".xlsx" and system == SourceSystem.erp:
        found = {_kind(name, sheet, records): table for sheet, table in _read_xlsx(name, content)}
    else:
        expected = "CSV (.csv) or XLSX (.xlsx)" if system == SourceSystem.erp else "CSV (.csv)"
        raise ImportRefused([Problem(name, "", "", "wrong_type", {"expected": expected})])
    ordered = [RawRows(r, *found[r.name]) for r in DIALECTS[system] if r.name in found]
    if not any(raw.rows for raw in ordered):
        raise ImportRefused([Problem(name, "", "", "empty")])
    return ordered


def _kind(file: str, name: str, records: dict[str, Record]) -> str:
    key = name.strip().lower()
    if key not in records:
        raise ImportRefused(
            [Problem(file, "", "", "unknown_record", {"value": name, "kinds": ", ".join(records)})]
        )
    return key


def _table_rows(rows: Iterator[list[Any]], sheet: str = "") -> Table:
    header = next(rows, None)
    if header is None:
        return [], []
    names = [str(h or "").strip().lower() for h in header]
    prefix = f"{sheet} " if sheet else ""
    out = []
    for number, row in enumerate(rows, start=2):
        if not any(str(v if v is not None else "").strip() for v in row):
            continue
        values = {n: (row[i] if i < len(row) else None) for i, n in enumerate(names) if n}
        out.append((prefix + row_label(number), values))
    return out, [n for n in names if n]


def _read_csv(name: str, content: bytes) -> Table:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(
            [Problem(name, "", "", "unreadable", {"reason": "not UTF-8 text; save it as 'CSV UTF-8'"})]
        ) from None
    return _table_rows(iter(csv.reader(io.StringIO(text))))


def _read_xlsx(name: str, content: bytes) -> list[tuple[str, Table]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of error for a file that is not a workbook
        raise ImportRefused([Problem(name, "", "", "unreadable", {"reason": type(exc).__name__})]) from None
    try:
        return [
            (
                sheet.title,
                _table_rows((list(r) for r in sheet.iter_rows(values_only=True)), sheet.title),
            )
            for sheet in book.worksheets
        ]
    finally:
        book.close()


def _read_json(
    name: str, content: bytes, records: dict[str, Record]
) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    try:
        document = json.loads(content, parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportRefused([Problem(name, "", "", "unreadable", {"reason": str(exc)})]) from None
    if not isinstance(document, dict):
        raise ImportRefused([Problem(name, "$", "", "not_object", {"value": type(document).__name__})])
    found: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    problems: list[Problem] = []
    nested = {child for r in records.values() for _key, child, _parent in r.children}
    for key, items in document.items():
        if key not in records or key in nested:
            kinds = ", ".join(k for k in records if k not in nested)
            problems.append(Problem(name, f"$.{key}", "", "unknown_record", {"value": key, "kinds": kinds}))
            continue
        _collect(name, records[key], items, f"$.{key}", records, found, problems, parent=None)
    if problems:
        raise ImportRefused(problems)
    return found


def _collect(
    file: str,
    record: Record,
    items: Any,
    path: str,
    records: dict[str, Record],
    found: dict[str, list[tuple[str, dict[str, Any]]]],
    problems: list[Problem],
    parent: tuple[str, Any] | None,
) -> None:
    rows = found.setdefault(record.name, [])
    if not isinstance(items, list):
        problems.append(Problem(file, path, "", "not_list", {"value": type(items).__name__}))
        return
    # The parent's own key (an order's number), which each nested child row is given.
    own = next((f.name for f in record.fields if f.ref is None and f.column in record.key), "")
    for n, values in enumerate(items):
        where = f"{path}[{n}]"
        if not isinstance(values, dict):
            problems.append(Problem(file, where, "", "not_object", {"value": type(values).__name__}))
            continue
        for key, child, parent_field in record.children:
            if key in values:
                _collect(
                    file,
                    records[child],
                    values.pop(key),
                    f"{where}.{key}",
                    records,
                    found,
                    problems,
                    parent=(parent_field, values.get(own)),
                )
        if parent is not None:
            values[parent[0]] = parent[1]
        rows.append((where, values))
