"""CSV and XLSX exports of what the gate discloses, on the "export" channel (so they are in the ledger)."""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
from typing import Any

from flask import Response, abort

import policies
from internal.web import db_session
from portal.disclosure import viewer

#: An export is a document, not a database dump.
MAX_ROWS = 50_000
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


#: A text cell starting with one of these is a formula to a spreadsheet (CSV injection, OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)  # spreadsheets hold no zone; the portal's times are UTC
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value  # shown as typed, never run: numbers stay numbers, only text is quoted
    return value


def every_row(dataset: str, *, channel: str = "export", **filters: Any) -> tuple[tuple[str, ...], list[Any]]:
    """The visible columns and every row the viewer may see of ``dataset``, page by page through the gate."""
    who, rows, columns, after = viewer(), [], (), None
    while True:
        page = policies.disclose(
            db_session(),
            who,
            dataset,
            channel=channel,
            filters=filters,
            page=policies.Page(after=after, size=500),
        )
        columns = columns or tuple(c.name for c in page.columns)
        rows.extend(page.rows)
        after = page.next_page
        if not after or len(rows) >= MAX_ROWS:
            break
    return columns, rows[:MAX_ROWS]


def export(dataset: str, fmt: str, filename: str, **filters: Any) -> Response:
    """Every row the viewer may see of ``dataset``, page by page through the gate, as one file."""
    if fmt not in FORMATS:
        abort(404)
    columns, rows = every_row(dataset, **filters)
    return send_table(columns, [[row[name] for name in columns] for row in rows], fmt, filename, dataset)


def send_table(
    columns: tuple[str, ...], rows: list[list[Any]], fmt: str, filename: str, title: str | None = None
) -> Response:
    """Rows already disclosed (through ``every_row``), as one CSV or XLSX file."""
    if fmt not in FORMATS:
        abort(404)
    table = [[_cell(value) for value in row] for row in rows]
    body = _csv(columns, table) if fmt == "csv" else _xlsx(columns, table, title or filename)
    return Response(
        body,
        mimetype=FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'},
    )


def _csv(columns: tuple[str, ...], table: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(table)
    return out.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8


def _xlsx(columns: tuple[str, ...], table: list[list[Any]], title: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.append(list(columns))
    for row in table:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
