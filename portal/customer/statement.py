"""The statement of account: what a customer still owes, aged by days past due, as PDF (reportlab) or XLSX."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import format_currency, format_date, get_locale
from flask_babel import gettext as _

#: Ageing buckets by days past the due date: (label, last day in the bucket; None: no end).
BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("current", 0),
    ("1-30", 30),
    ("31-60", 60),
    ("61-90", 90),
    ("over 90", None),
)


def bucket_of(days_past_due: int) -> int:
    """The index of the ageing bucket an invoice ``days_past_due`` late falls in."""
    for n, (_label, last) in enumerate(BUCKETS):
        if last is None or days_past_due <= last:
            return n
    return len(BUCKETS) - 1


@dataclass
class Statement:
    partner: str
    today: dt.date
    #: Invoices still owed, oldest due first, each with its days past due and bucket.
    lines: list[dict[str, Any]] = field(default_factory=list)
    #: Per currency, the sum in each ageing bucket and the total.
    totals: dict[str, list[Decimal]] = field(default_factory=dict)


def build(partner: str, invoices: Sequence[Mapping[str, Any]], today: dt.date) -> Statement:
    """Age the unpaid invoices (amounts stay Decimal, summed per currency, never mixed)."""
    statement = Statement(partner, today)
    for invoice in sorted(invoices, key=lambda i: (i["due_on"], i["number"])):
        late = (today - invoice["due_on"]).days
        n = bucket_of(late)
        statement.lines.append({**invoice, "days_past_due": max(late, 0), "bucket": n})
        sums = statement.totals.setdefault(invoice["currency"], [Decimal(0)] * (len(BUCKETS) + 1))
        sums[n] += invoice["amount"]
        sums[-1] += invoice["amount"]
    return statement


def bucket_labels() -> list[str]:
    return [
        _("Current"),
        _("1-30 days"),
        _("31-60 days"),
        _("61-90 days"),
        _("Over 90 days"),
    ]


def _headings() -> list[str]:
    return [_("Invoice"), _("Order"), _("Issued"), _("Due"), _("Days past due"), _("Amount")]


def to_xlsx(statement: Statement) -> bytes:
    """One sheet: the ageing summary per currency, then every open invoice. Amounts are exact numbers."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Statement")

    def row(*values: Any) -> list[Any]:
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, Decimal):
                cell.number_format = "#,##0.00"
            elif isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        return cells

    sheet.append(row(_("Statement of account"), statement.partner))
    sheet.append(row(_("As of"), statement.today))
    sheet.append([])
    sheet.append(row(_("Currency"), *bucket_labels(), _("Total")))
    for currency, sums in sorted(statement.totals.items()):
        sheet.append(row(currency, *sums))
    sheet.append([])
    sheet.append(row(*_headings(), _("Currency")))
    for line in statement.lines:
        sheet.append(
            row(
                line["number"],
                line.get("order_number") or "",
                line["issued_on"],
                line["due_on"],
                line["days_past_due"],
                line["amount"],
                line["currency"],
            )
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _font() -> str:
    """Helvetica, or a CJK font reportlab ships when the page is in Chinese."""
    if str(get_locale() or "").startswith("zh"):
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        return "STSong-Light"
    return "Helvetica"


def to_pdf(statement: Statement) -> bytes:
    """An A4 statement: the ageing summary per currency, then every open invoice."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _font()
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        style.fontName = font  # type: ignore[attr-defined]
    grid = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), font, 9),
            ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
            ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ]
    )
    story: list[Any] = [
        Paragraph(_("Statement of account"), styles["Title"]),
        Paragraph(statement.partner, styles["Heading2"]),
        Paragraph(_("As of %(date)s", date=format_date(statement.today, "long")), styles["Normal"]),
        Spacer(1, 6 * mm),
    ]
    if not statement.lines:
        story.append(Paragraph(_("Nothing is owed."), styles["Normal"]))
    else:
        summary = [[_("Currency"), *bucket_labels(), _("Total")]]
        for currency, sums in sorted(statement.totals.items()):
            summary.append([currency, *(format_currency(s, currency) for s in sums)])
        story += [Table(summary, style=grid, hAlign="LEFT"), Spacer(1, 8 * mm)]
        detail = [_headings()]
        for line in statement.lines:
            detail.append(
                [
                    line["number"],
                    line.get("order_number") or "",
                    format_date(line["issued_on"], "short"),
                    format_date(line["due_on"], "short"),
                    str(line["days_past_due"]),
                    format_currency(line["amount"], line["currency"]),
                ]
            )
        story.append(Table(detail, style=grid, hAlign="LEFT", repeatRows=1))
    out = io.BytesIO()
    SimpleDocTemplate(
        out, pagesize=A4, title=_("Statement of account"), author=statement.partner, invariant=True
    ).build(story)
    return out.getvalue()
