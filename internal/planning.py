"""Collaborative planning: a supplier commits quantities against the published forecast.

A commit below the supplier's share of the forecast by more than the tolerance is a shortfall, above
it a surplus; both sides see the flag. Commits can be revised until their week is frozen. A whole
horizon can be uploaded as CSV or XLSX: every row is checked first, and one bad row stores nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from internal.models import (
    AuditEvent,
    CommitStatus,
    ForecastBucket,
    ForecastCommit,
    ForecastPlan,
    Item,
    PlanStatus,
    Site,
    SourceListEntry,
)
from internal.partners import lock_partner_documents
from internal.quantities import quantity_problem

DEFAULT_TOLERANCE = Decimal("0.10")
COLUMNS = ("sku", "site", "week", "qty", "comment")
MAX_ROWS = 20_000
#: Columns read from a spreadsheet row: the five a commit has, wherever they are among the first few.
MAX_COLUMNS = 20


@dataclass(frozen=True)
class CommitEntry:
    sku: str
    site: str
    week: dt.date
    qty: Decimal
    comment: str = ""
    #: Where the entry came from in an upload (for error messages); 0 for a form.
    row: int = 0


class CommitRefused(ValueError):
    """Nothing was stored; ``errors`` names each row and what to fix."""

    def __init__(self, errors: list[Any]) -> None:
        super().__init__("; ".join(str(e) for e in errors[:5]))
        self.errors = errors


def classify(committed: Decimal, forecast: Decimal, tolerance: Decimal = DEFAULT_TOLERANCE) -> CommitStatus:
    if committed < forecast * (1 - tolerance):
        return CommitStatus.shortfall
    if committed > forecast * (1 + tolerance):
        return CommitStatus.surplus
    return CommitStatus.ok


class PublishRefused(ValueError):
    """The plan cannot be published (it is not a draft)."""


def publish_plan(session: Session, plan_id: int, *, account_id: int | None) -> list[int]:
    """Publish a draft plan: the plan of the same name published before is superseded.

    Returns the suppliers of the plan's items, whom the caller tells once the change is committed.
    """
    plan = session.get(ForecastPlan, plan_id)
    if plan is None or plan.status != PlanStatus.draft:
        raise PublishRefused(str(_l("Only a draft plan can be published.")))
    session.execute(
        update(ForecastPlan)
        .where(ForecastPlan.name == plan.name, ForecastPlan.status == PlanStatus.published)
        .values(status=PlanStatus.superseded)
    )
    plan.status = PlanStatus.published
    plan.published_at = dt.datetime.now(dt.UTC)
    session.add(
        AuditEvent(
            account_id=account_id,
            action="forecast.published",
            object_type="forecast_plan",
            object_id=str(plan.id),
            detail={"name": plan.name, "version": plan.version},
        )
    )
    session.flush()
    return list(
        session.scalars(
            select(SourceListEntry.supplier_id)
            .where(
                SourceListEntry.item_id.in_(
                    select(ForecastBucket.item_id).where(ForecastBucket.plan_id == plan.id)
                )
            )
            .distinct()
            .order_by(SourceListEntry.supplier_id)
        )
    )


def published_plan(session: Session) -> ForecastPlan | None:
    return session.scalar(
        select(ForecastPlan)
        .where(ForecastPlan.status == PlanStatus.published)
        .order_by(ForecastPlan.version.desc())
    )


def commit_forecast(
    session: Session,
    *,
    account_id: int,
    partner_id: int,
    entries: Iterable[CommitEntry],
    tolerance: Decimal = DEFAULT_TOLERANCE,
    horizon_weeks: int | None = None,
    today: dt.date | None = None,
    as_shown: Callable[[Decimal], Any] | None = None,
) -> list[ForecastCommit]:
    """Store or revise commits against the published plan; all entries or none.

    A commit is taken only where the supplier is shown the demand: an item it supplies, at a site its
    source list covers, in a week the plan has demand for and, when its sharing policy limits the
    forecast to ``horizon_weeks`` from this week, within them. Anything else would let trial commits
    read demand the policy hides. ``as_shown`` gives the expected quantity as the supplier is shown it
    (rounded, say); the shortfall or surplus flag is judged against that, so trial commits cannot narrow
    the figure down through the flag.
    """
    lock_partner_documents(session, partner_id)
    entries = list(entries)
    plan = published_plan(session)
    if plan is None:
        raise CommitRefused([_l("There is no published forecast to commit against.")])
    if not entries:
        raise CommitRefused([_l("There is nothing to commit.")])
    items = dict(
        session.execute(select(Item.sku, Item.id).where(Item.sku.in_({e.sku for e in entries}))).all()
    )
    sites = dict(
        session.execute(select(Site.code, Site.id).where(Site.code.in_({e.site for e in entries}))).all()
    )
    #: (item id, site id or None for every site) to the supplier's share of its demand (0 to 1).
    sources = {
        (item_id, site_id): share / 100
        for item_id, site_id, share in session.execute(
            select(SourceListEntry.item_id, SourceListEntry.site_id, SourceListEntry.share_pct).where(
                SourceListEntry.supplier_id == partner_id, SourceListEntry.item_id.in_(items.values())
            )
        ).all()
    }
    supplied = {item_id for item_id, _site in sources}

    def share_of(item_id: int, site_id: int) -> Decimal | None:
        found = sources.get((item_id, site_id), sources.get((item_id, None)))
        return None if found is None else Decimal(found)

    horizon_end = plan.horizon_start + dt.timedelta(weeks=plan.weeks)
    if horizon_weeks is not None:
        today = today or dt.date.today()  # noqa: DTZ011 - the horizon counts weeks as the gate does
        horizon_end = min(
            horizon_end, today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=horizon_weeks)
        )
    #: The (item, site, week) the plan has demand for, among the entries' items.
    planned = {
        tuple(key)
        for key in session.execute(
            select(ForecastBucket.item_id, ForecastBucket.site_id, ForecastBucket.week_start)
            .where(
                ForecastBucket.plan_id == plan.id,
                ForecastBucket.item_id.in_(supplied),
                # A derived plan's part for another supplier is no demand of this one's.
                or_(ForecastBucket.supplier_id.is_(None), ForecastBucket.supplier_id == partner_id),
            )
            .distinct()
        ).all()
    }
    errors: list[Any] = []
    seen: set[tuple[int, int, dt.date]] = set()
    for e in entries:
        where = _l("row %(n)s: ", n=e.row) if e.row else ""
        item_id, site_id = items.get(e.sku), sites.get(e.site)
        if item_id is None or item_id not in supplied:
            errors.append(_l("%(where)s%(sku)s is not an item you supply.", where=where, sku=e.sku))
            item_id = None
        if site_id is None or (item_id is not None and share_of(item_id, site_id) is None):
            # A site that exists but that this supplier does not serve reads like one that does not exist.
            errors.append(_l("%(where)sthere is no site %(site)s.", where=where, site=repr(e.site)))
            site_id = None
        if e.week.weekday() != 0:
            errors.append(
                _l("%(where)s%(week)s is not a Monday; weeks start on Monday.", where=where, week=e.week)
            )
        elif not plan.horizon_start <= e.week < horizon_end:
            errors.append(
                _l(
                    "%(where)s%(week)s is outside the plan's horizon (%(start)s to %(end)s).",
                    where=where,
                    week=e.week,
                    start=plan.horizon_start,
                    end=horizon_end,
                )
            )
        elif item_id and site_id and (item_id, site_id, e.week) not in planned:
            errors.append(
                _l(
                    "%(where)sthe forecast has no demand for %(sku)s at %(site)s in the week of %(week)s.",
                    where=where,
                    sku=e.sku,
                    site=e.site,
                    week=e.week,
                )
            )
        elif plan.frozen_until and e.week <= plan.frozen_until:
            errors.append(
                _l(
                    "%(where)sthe week of %(week)s is frozen and takes no more commits.",
                    where=where,
                    week=e.week,
                )
            )
        field = (
            str(_l("row %(n)s, qty", n=e.row))
            if e.row
            else str(_l("%(sku)s at %(site)s, week of %(week)s", sku=e.sku, site=e.site, week=e.week))
        )
        if problem := quantity_problem(e.qty, field):
            errors.append(problem)
        key = (item_id or 0, site_id or 0, e.week)
        if item_id and site_id and key in seen:
            errors.append(
                _l(
                    "%(where)s%(sku)s at %(site)s for %(week)s appears twice.",
                    where=where,
                    sku=e.sku,
                    site=e.site,
                    week=e.week,
                )
            )
        seen.add(key)
    if errors:
        raise CommitRefused(errors)

    # The supplier's expected part: its share of the item's demand, plus in full the buckets a derived
    # plan made for this supplier alone (other suppliers' parts are not its business).
    forecast: dict[tuple[int, int, dt.date], Decimal] = {}
    for item_id, site_id, week, own, qty in session.execute(
        select(
            ForecastBucket.item_id,
            ForecastBucket.site_id,
            ForecastBucket.week_start,
            ForecastBucket.supplier_id,
            func.sum(ForecastBucket.qty),
        )
        .where(
            ForecastBucket.plan_id == plan.id,
            ForecastBucket.item_id.in_([k[0] for k in seen]),
            or_(ForecastBucket.supplier_id.is_(None), ForecastBucket.supplier_id == partner_id),
        )
        .group_by(
            ForecastBucket.item_id,
            ForecastBucket.site_id,
            ForecastBucket.week_start,
            ForecastBucket.supplier_id,
        )
    ).all():
        key = (item_id, site_id, week)
        share = Decimal(1) if own else (share_of(item_id, site_id) or Decimal(0))
        forecast[key] = forecast.get(key, Decimal(0)) + Decimal(qty) * share
    existing = {
        (c.item_id, c.site_id, c.week_start): c
        for c in session.scalars(
            select(ForecastCommit).where(
                ForecastCommit.plan_id == plan.id,
                ForecastCommit.supplier_id == partner_id,
                ForecastCommit.item_id.in_([k[0] for k in seen]),
            )
        )
    }
    stored = []
    for e in entries:
        key = (items[e.sku], sites[e.site], e.week)
        expected = forecast.get(key, Decimal(0)).quantize(Decimal("0.001"))
        shown = as_shown(expected) if as_shown is not None else expected
        status = classify(e.qty, shown if isinstance(shown, Decimal) else expected, tolerance)
        commit = existing.get(key)
        if commit is None:
            commit = ForecastCommit(
                plan_id=plan.id, supplier_id=partner_id, item_id=key[0], site_id=key[1], week_start=e.week
            )
            session.add(commit)
        else:
            commit.revision += 1
        commit.committed_qty, commit.forecast_qty, commit.status = e.qty, expected, status
        commit.comment, commit.account_id = e.comment.strip()[:400], account_id
        stored.append(commit)
    session.flush()
    return stored


def read_upload(filename: str, content: bytes) -> list[CommitEntry]:
    """Entries from a CSV or XLSX file with the columns sku, site, week, qty and (optional) comment."""
    name = filename.lower()
    rows: list[list[object]]
    if name.endswith(".xlsx"):
        rows = _xlsx_rows(content)
    elif name.endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise CommitRefused(
                [_l("The CSV file is not UTF-8 text; save it as 'CSV UTF-8' and upload again.")]
            ) from None
        rows = [list(r) for r in itertools.islice(csv.reader(io.StringIO(text)), MAX_ROWS + 2)]
    else:
        raise CommitRefused([_l("%(filename)s: upload a .csv or .xlsx file.", filename=filename)])
    if not rows:
        raise CommitRefused([_l("The file is empty.")])
    header = [str(h or "").strip().lower() for h in rows[0]]
    missing = [c for c in COLUMNS[:4] if c not in header]
    if missing:
        raise CommitRefused(
            [_l("The first row must name the columns; missing: %(missing)s.", missing=", ".join(missing))]
        )
    if len(rows) - 1 > MAX_ROWS:
        # Reading stopped one row past the limit: the file is refused without reading the rest.
        raise CommitRefused(
            [
                _l(
                    "The file has more than %(max_rows)s rows; upload at most that many at a time.",
                    max_rows=MAX_ROWS,
                )
            ]
        )
    at = {c: header.index(c) for c in COLUMNS if c in header}
    entries, errors = [], []
    for number, row in enumerate(rows[1:], start=2):
        if not any(str(v or "").strip() for v in row):
            continue
        cell = {c: (row[i] if i < len(row) else None) for c, i in at.items()}
        try:
            week = _date(cell["week"])
        except ValueError:
            errors.append(
                _l(
                    "row %(number)s: week %(week)s is not a date like 2026-12-07.",
                    number=number,
                    week=repr(cell["week"]),
                )
            )
            continue
        try:
            qty = Decimal(str(cell["qty"]).strip())
        except InvalidOperation:
            errors.append(
                _l("row %(number)s: qty %(qty)s is not a number.", number=number, qty=repr(cell["qty"]))
            )
            continue
        entries.append(
            CommitEntry(
                sku=str(cell["sku"] or "").strip(),
                site=str(cell["site"] or "").strip(),
                week=week,
                qty=qty,
                comment=str(cell.get("comment") or ""),
                row=number,
            )
        )
    if errors:
        raise CommitRefused(errors)
    return entries


def _date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def _xlsx_rows(content: bytes) -> list[list[object]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of error for a file that is not a workbook
        raise CommitRefused([_l("The file is not a readable .xlsx workbook.")]) from None
    try:
        sheet = book.worksheets[0]
        # Read-only mode streams the sheet: stop one row past the limit, and at the columns a commit has,
        # so a small file claiming a million rows or columns costs no more than a full one.
        cells = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
        return [list(r) for r in itertools.islice(cells, MAX_ROWS + 2)]
    except Exception:  # a damaged sheet inside a valid zip
        raise CommitRefused([_l("The file is not a readable .xlsx workbook.")]) from None
    finally:
        book.close()


def plans_with_bucket_counts(session: Session) -> list[tuple[ForecastPlan, int]]:
    """Every demand plan, by name and newest version first, with how many buckets it holds."""
    # Counted per plan through the (plan, item, week) index: a join grouped over millions of buckets
    # took seconds on the large demo.
    buckets = (
        select(func.count())
        .where(ForecastBucket.plan_id == ForecastPlan.id)
        .correlate(ForecastPlan)
        .scalar_subquery()
    )
    query = select(ForecastPlan, buckets).order_by(ForecastPlan.name, ForecastPlan.version.desc())
    return [(plan, count) for plan, count in session.execute(query)]
