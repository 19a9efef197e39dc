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
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from internal.models import (
    AuditEvent,
    CommitStatus,
    ForecastBucket,
    ForecastCommit,
    ForecastPlan,
    Item,
    Partner,
    PlanStatus,
    Site,
    SourceListEntry,
    StaffRole,
)
from internal.partners import lock_partner_documents
from internal.quantities import quantity_problem

#: A commit further than this fraction below or above the supplier's share of demand is flagged.
DEFAULT_TOLERANCE = Decimal("0.10")
#: Staff who keep the demand plan: copy it to a draft, change it, derive and publish it.
PLANNING_ROLES = (StaffRole.planner, StaffRole.buyer, StaffRole.policy_admin)
#: Quantities are kept to three decimals.
MILLI = Decimal("0.001")
COLUMNS = ("sku", "site", "week", "qty", "comment")
#: The forecast export's column for the commit: a file with it names the demand "qty" and the commit here.
COMMIT_COLUMN = "commit"
#: How the supplier is shown a figure under its sharing policy (``policies.as_shown``): rounded, say.
Shown = Callable[[Decimal], Any]
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


def _quantity_and_once(
    e: CommitEntry | PlanQuantity, where: Any, key: tuple[Any, ...] | None, seen: set[Any]
) -> list[Any]:
    """What every row of quantities is checked for, whatever it sets: a quantity that is one, and its
    item, site and week (``key``; None when they are not known) given only once in the file or form.
    """
    problems: list[Any] = []
    field = (
        str(_l("row %(n)s, qty", n=e.row))
        if e.row
        else str(_l("%(sku)s at %(site)s, week of %(week)s", sku=e.sku, site=e.site, week=e.week))
    )
    if problem := quantity_problem(e.qty, field):
        problems.append(problem)
    if key is not None:
        if key in seen:
            problems.append(
                _l(
                    "%(where)s%(sku)s at %(site)s for %(week)s appears twice.",
                    where=where,
                    sku=e.sku,
                    site=e.site,
                    week=e.week,
                )
            )
        seen.add(key)
    return problems


class CommitRefused(ValueError):
    """Nothing was stored; ``errors`` names each row and what to fix."""

    def __init__(self, errors: list[Any]) -> None:
        super().__init__("; ".join(str(e) for e in errors[:5]))
        self.errors = errors


def supplier_share(parts: Iterable[tuple[Any, Any]], shown: Shown | None = None) -> Decimal | None:
    """The supplier's share of one week's demand: the one figure a commit is measured against.

    ``parts`` are (demand as the supplier is shown it, its share in percent) for the week's rows, usually
    one (a derived plan's own part counts at 100). The sum is taken to whole units, then through
    ``shown``, how the supplier is shown a commit's forecast (its policy may round it to 10). The
    forecast page's "your share", the figure stored with a commit (the home page's "against"), uploads
    and the demo's commits all come from here. None when no part is a number the supplier is shown.
    """
    numbers = [
        Decimal(demand) * Decimal(pct) / 100
        for demand, pct in parts
        if isinstance(demand, Decimal | int) and pct is not None
    ]
    if not numbers:
        return None
    share = sum(numbers, Decimal(0)).quantize(Decimal(1), ROUND_HALF_UP)
    value = shown(share) if shown is not None else share
    return value if isinstance(value, Decimal) else share


def classify(committed: Decimal, forecast: Decimal, tolerance: Decimal = DEFAULT_TOLERANCE) -> CommitStatus:
    """Shortfall below the supplier's share by more than ``tolerance``, surplus above it, else ok.

    ``forecast`` is the share from ``supplier_share``: every flag, wherever it is set, is this one.
    """
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
    as_shown: Shown | None = None,
    demand_shown: Shown | None = None,
) -> list[ForecastCommit]:
    """Store or revise commits against the published plan; all entries or none.

    A commit is taken only where the supplier is shown the demand: an item it supplies, at a site its
    source list covers, in a week the plan has demand for and, when its sharing policy limits the
    forecast to ``horizon_weeks`` from this week, within them. Anything else would let trial commits
    read demand the policy hides. Each commit is measured against ``supplier_share`` of the demand as
    ``demand_shown`` shows it, passed through ``as_shown`` (how a commit's forecast is shown): the figure
    the forecast page shows, so trial commits cannot narrow the demand down through the flag.

    An entry equal to the stored commit (same quantity and comment) is left as it is: no revision, no
    new flag, even in a frozen week. So saving one row, or uploading an exported file back, changes
    nothing else. Returns the commit of every entry, in the entries' order.
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
    #: (item id, site id or None for every site) to the supplier's share of its demand in percent.
    sources = {
        (item_id, site_id): share
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
    existing = {
        (c.item_id, c.site_id, c.week_start): c
        for c in session.scalars(
            select(ForecastCommit).where(
                ForecastCommit.plan_id == plan.id,
                ForecastCommit.supplier_id == partner_id,
                ForecastCommit.item_id.in_(supplied),
            )
        )
    }

    def stored_as_is(e: CommitEntry) -> ForecastCommit | None:
        """The stored commit ``e`` repeats unchanged, if it does."""
        found = existing.get((items.get(e.sku, 0), sites.get(e.site, 0), e.week))
        if found is not None and found.committed_qty == e.qty and found.comment == _comment(e.comment):
            return found
        return None

    errors: list[Any] = []
    seen: set[tuple[int, int, dt.date]] = set()
    for e in entries:
        where = _l("row %(n)s: ", n=e.row) if e.row else ""
        item_id, site_id = items.get(e.sku), sites.get(e.site)
        if stored_as_is(e) is not None and (item_id, site_id, e.week) not in seen:
            # Already stored as it stands (checked when it was saved): a repeat, not a new commit.
            seen.add((items[e.sku], sites[e.site], e.week))
            continue
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
        key = (item_id, site_id, e.week) if item_id and site_id else None
        errors += _quantity_and_once(e, where, key, seen)
    if errors:
        raise CommitRefused(errors)

    # The supplier's expected part: its share of the item's demand, plus in full the buckets a derived
    # plan made for this supplier alone (other suppliers' parts are not its business).
    parts: dict[tuple[int, int, dt.date], list[tuple[Decimal, Decimal]]] = {}
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
        pct = Decimal(100) if own else (share_of(item_id, site_id) or Decimal(0))
        demand = demand_shown(Decimal(qty)) if demand_shown is not None else Decimal(qty)
        # A demand the supplier sees only as a band has no number to take a share of: the exact one.
        number = demand if isinstance(demand, Decimal) else Decimal(qty)
        parts.setdefault((item_id, site_id, week), []).append((number, pct))
    stored = []
    for e in entries:
        if (repeat := stored_as_is(e)) is not None:
            stored.append(repeat)
            continue
        key = (items[e.sku], sites[e.site], e.week)
        expected = supplier_share(parts.get(key, []), as_shown) or Decimal(0)
        commit = existing.get(key)
        if commit is None:
            commit = ForecastCommit(
                plan_id=plan.id, supplier_id=partner_id, item_id=key[0], site_id=key[1], week_start=e.week
            )
            session.add(commit)
            existing[key] = commit
        else:
            commit.revision += 1
        commit.committed_qty, commit.forecast_qty = e.qty, expected
        commit.status = classify(e.qty, expected, tolerance)
        commit.comment, commit.account_id = _comment(e.comment), account_id
        stored.append(commit)
    session.flush()
    return stored


def _comment(text: str) -> str:
    return text.strip()[:400]


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
    # The forecast export names the demand "qty" and has the commit in its own column: read that one.
    exported = COMMIT_COLUMN in header
    if exported:
        header = ["" if h == "qty" else "qty" if h == COMMIT_COLUMN else h for h in header]
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
        if exported and not str(cell["qty"] if cell["qty"] is not None else "").strip():
            continue  # a week of the export the supplier has not committed to
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
                comment=_unquoted(str(cell.get("comment") or "")),
                row=number,
            )
        )
    if errors:
        raise CommitRefused(errors)
    return entries


#: Exports quote a text cell starting like a formula with a leading apostrophe (see portal.exports).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _unquoted(text: str) -> str:
    """A comment as typed, without the apostrophe an export put before a formula-like start."""
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_STARTS) else text


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


# -- shortfalls: what the planners' inbox lists ------------------------------------------------------


def is_shortfall() -> ColumnElement[bool]:
    """The one definition of a commit the planners must follow up: every inbox count and list uses it."""
    return ForecastCommit.status == CommitStatus.shortfall


@dataclass(frozen=True)
class Shortfall:
    """A supplier's commit below what the published plan expects of it."""

    supplier_code: str
    supplier_name: str
    sku: str
    item: str
    uom: str
    site: str
    week: dt.date
    forecast_qty: Decimal
    committed_qty: Decimal
    comment: str
    updated_at: dt.datetime

    @property
    def gap(self) -> Decimal:
        return self.forecast_qty - self.committed_qty


def _shortfalls() -> Any:
    """Shortfalls against the published plans, in weeks that can still take commits."""
    return (
        select(ForecastCommit)
        .join(ForecastPlan, ForecastPlan.id == ForecastCommit.plan_id)
        .where(
            ForecastPlan.status == PlanStatus.published,
            or_(ForecastPlan.frozen_until.is_(None), ForecastCommit.week_start > ForecastPlan.frozen_until),
            is_shortfall(),
        )
    )


def count_shortfalls(session: Session) -> int:
    return int(session.scalar(_shortfalls().with_only_columns(func.count(ForecastCommit.id))) or 0)


def shortfalls(session: Session, limit: int = 50) -> list[Shortfall]:
    """The shortfalls, soonest week first, then the largest gap."""
    rows = session.execute(
        _shortfalls()
        .with_only_columns(
            Partner.code,
            Partner.name,
            Item.sku,
            Item.name,
            Item.uom,
            Site.code,
            ForecastCommit.week_start,
            ForecastCommit.forecast_qty,
            ForecastCommit.committed_qty,
            ForecastCommit.comment,
            ForecastCommit.updated_at,
        )
        .join(Partner, Partner.id == ForecastCommit.supplier_id)
        .join(Item, Item.id == ForecastCommit.item_id)
        .join(Site, Site.id == ForecastCommit.site_id)
        .order_by(
            ForecastCommit.week_start,
            (ForecastCommit.forecast_qty - ForecastCommit.committed_qty).desc(),
            ForecastCommit.id,
        )
        .limit(limit)
    ).all()
    return [Shortfall(*row) for row in rows]


# -- plans as planners keep them: copy the published one, change quantities, publish -----------------


@dataclass(frozen=True)
class PlanSummary:
    plan: ForecastPlan
    buckets: int


def plan_summaries(session: Session) -> list[PlanSummary]:
    """Every plan by name, newest version first, with its number of buckets."""
    # Counted per plan through the (plan, item, week) index: a join grouped over millions of buckets
    # took seconds on the large demo.
    buckets = (
        select(func.count())
        .where(ForecastBucket.plan_id == ForecastPlan.id)
        .correlate(ForecastPlan)
        .scalar_subquery()
    )
    query = select(ForecastPlan, buckets).order_by(ForecastPlan.name, ForecastPlan.version.desc())
    return [PlanSummary(plan, int(n or 0)) for plan, n in session.execute(query).all()]


def find_plan(session: Session, plan_id: int) -> ForecastPlan | None:
    return session.get(ForecastPlan, plan_id)


class PlanRefused(ValueError):
    """Nothing was changed; ``errors`` names each row or cell and what to fix."""

    def __init__(self, errors: list[Any]) -> None:
        super().__init__("; ".join(str(e) for e in errors[:5]))
        self.errors = errors


def copy_plan(session: Session, plan_id: int, *, account_id: int | None) -> ForecastPlan:
    """A new draft version of a published plan with the same buckets, for planners to change."""
    source = session.get(ForecastPlan, plan_id)
    if source is None or source.status != PlanStatus.published:
        raise PlanRefused([_l("Only the published plan can be copied to a draft.")])
    draft = session.scalar(
        select(ForecastPlan).where(ForecastPlan.name == source.name, ForecastPlan.status == PlanStatus.draft)
    )
    if draft is not None:
        raise PlanRefused(
            [
                _l(
                    "%(name)s has a draft already (version %(version)s): change or publish that one.",
                    name=source.name,
                    version=draft.version,
                )
            ]
        )
    latest = session.scalar(select(func.max(ForecastPlan.version)).where(ForecastPlan.name == source.name))
    plan = ForecastPlan(
        name=source.name,
        version=(latest or 0) + 1,
        status=PlanStatus.draft,
        horizon_start=source.horizon_start,
        weeks=source.weeks,
        frozen_until=source.frozen_until,
    )
    session.add(plan)
    session.flush()
    columns = ("item_id", "site_id", "week_start", "qty", "customer_id", "channel", "supplier_id")
    session.execute(
        insert(ForecastBucket).from_select(
            ("plan_id", *columns),
            select(
                literal(plan.id).label("plan_id"),
                *(getattr(ForecastBucket, c) for c in columns),
            ).where(ForecastBucket.plan_id == source.id),
        )
    )
    session.add(
        AuditEvent(
            account_id=account_id,
            action="forecast.copied",
            object_type="forecast_plan",
            object_id=str(plan.id),
            detail={"name": plan.name, "version": plan.version, "from_version": source.version},
        )
    )
    session.flush()
    return plan


def plan_weeks(plan: ForecastPlan) -> list[dt.date]:
    return [plan.horizon_start + dt.timedelta(weeks=n) for n in range(plan.weeks)]


@dataclass(frozen=True)
class GridRow:
    """One item at one site: its quantity in each of the plan's weeks (0 where there is no demand)."""

    sku: str
    item: str
    uom: str
    site: str
    qty: dict[dt.date, Decimal]


@dataclass(frozen=True)
class PlanGrid:
    weeks: list[dt.date]
    rows: list[GridRow]
    #: How many (item, site) rows match, over all pages.
    total: int


def plan_grid(
    session: Session, plan: ForecastPlan, *, search: str = "", page: int = 1, size: int = 20
) -> PlanGrid:
    """A page of the plan as a grid: (item, site) rows by SKU, one column per week."""
    pairs = (
        select(ForecastBucket.item_id, ForecastBucket.site_id)
        .where(ForecastBucket.plan_id == plan.id)
        .distinct()
        .subquery()
    )
    query = (
        select(Item.id, Site.id, Item.sku, Item.name, Item.uom, Site.code)
        .join(pairs, pairs.c.item_id == Item.id)
        .join(Site, Site.id == pairs.c.site_id)
    )
    if search.strip():
        like = f"%{search.strip()}%"
        query = query.where(or_(Item.sku.ilike(like), Item.name.ilike(like)))
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    shown = session.execute(
        query.order_by(Item.sku, Site.code).limit(size).offset((max(page, 1) - 1) * size)
    ).all()
    quantities: dict[tuple[int, int], dict[dt.date, Decimal]] = {(i, s): {} for i, s, *_rest in shown}
    if shown:
        for item_id, site_id, week, qty in session.execute(
            select(
                ForecastBucket.item_id,
                ForecastBucket.site_id,
                ForecastBucket.week_start,
                func.sum(ForecastBucket.qty),
            )
            .where(ForecastBucket.plan_id == plan.id, ForecastBucket.item_id.in_({i for i, *_r in shown}))
            .group_by(ForecastBucket.item_id, ForecastBucket.site_id, ForecastBucket.week_start)
        ).all():
            if (item_id, site_id) in quantities:
                quantities[(item_id, site_id)][week] = Decimal(qty)
    weeks = plan_weeks(plan)
    rows = [
        GridRow(sku, name, uom, site, {w: quantities[(i, s)].get(w, Decimal(0)) for w in weeks})
        for i, s, sku, name, uom, site in shown
    ]
    return PlanGrid(weeks, rows, total)


@dataclass(frozen=True)
class PlanQuantity:
    """The demand an item at a site should have in a week of the plan."""

    sku: str
    site: str
    week: dt.date
    qty: Decimal
    #: Where it came from in an upload (for error messages); 0 for the console's grid.
    row: int = 0


def set_plan_quantities(
    session: Session, plan_id: int, *, account_id: int | None, entries: Iterable[PlanQuantity]
) -> int:
    """Set each (item, site, week) of a draft plan to the quantity given; all entries or none.

    Where several buckets make up the quantity (one per customer or channel driving it), each is scaled
    so they keep their proportions; where there was none, one bucket is added with the channel
    "planned". Returns how many quantities changed.
    """
    entries = list(entries)
    plan = session.get(ForecastPlan, plan_id)
    if plan is None:
        raise PlanRefused([_l("There is no such plan.")])
    if plan.status != PlanStatus.draft:
        raise PlanRefused([_l("Only a draft plan can be changed; copy the published plan to a draft first.")])
    if not entries:
        raise PlanRefused([_l("There is nothing to change.")])
    items = dict(
        session.execute(select(Item.sku, Item.id).where(Item.sku.in_({e.sku for e in entries}))).all()
    )
    sites = dict(
        session.execute(select(Site.code, Site.id).where(Site.code.in_({e.site for e in entries}))).all()
    )
    weeks = set(plan_weeks(plan))
    errors: list[Any] = []
    seen: set[tuple[str, str, dt.date]] = set()
    for e in entries:
        where = _l("row %(n)s: ", n=e.row) if e.row else ""
        if e.sku not in items:
            errors.append(_l("%(where)sthere is no item %(sku)s.", where=where, sku=repr(e.sku)))
        if e.site not in sites:
            errors.append(_l("%(where)sthere is no site %(site)s.", where=where, site=repr(e.site)))
        if e.week not in weeks:
            errors.append(
                _l(
                    "%(where)s%(week)s is not a week of this plan: weeks start on a Monday from %(start)s "
                    "to %(end)s.",
                    where=where,
                    week=e.week,
                    start=plan.horizon_start,
                    end=plan.horizon_start + dt.timedelta(weeks=plan.weeks - 1),
                )
            )
        errors += _quantity_and_once(e, where, (e.sku, e.site, e.week), seen)
    if errors:
        raise PlanRefused(errors)

    wanted = {(items[e.sku], sites[e.site], e.week): e.qty for e in entries}
    buckets: dict[tuple[int, int, dt.date], list[ForecastBucket]] = {}
    for bucket in session.scalars(
        select(ForecastBucket)
        .where(
            ForecastBucket.plan_id == plan.id,
            ForecastBucket.item_id.in_({k[0] for k in wanted}),
            ForecastBucket.week_start.in_({k[2] for k in wanted}),
        )
        .order_by(ForecastBucket.id)
    ):
        key = (bucket.item_id, bucket.site_id, bucket.week_start)
        if key in wanted:
            buckets.setdefault(key, []).append(bucket)
    changed = 0
    for key, qty in wanted.items():
        found = buckets.get(key, [])
        if sum((b.qty for b in found), Decimal(0)) == qty:
            continue
        changed += 1
        if not found:
            session.add(
                ForecastBucket(
                    plan_id=plan.id,
                    item_id=key[0],
                    site_id=key[1],
                    week_start=key[2],
                    qty=qty,
                    channel="planned",
                )
            )
            continue
        _scale(found, qty)
    session.add(
        AuditEvent(
            account_id=account_id,
            action="forecast.edited",
            object_type="forecast_plan",
            object_id=str(plan.id),
            detail={"name": plan.name, "version": plan.version, "changed": changed},
        )
    )
    session.flush()
    return changed


def _scale(buckets: list[ForecastBucket], qty: Decimal) -> None:
    """Share ``qty`` over the buckets in their present proportions (all to the first if they are all 0)."""
    total = sum((b.qty for b in buckets), Decimal(0))
    largest = max(buckets, key=lambda b: b.qty)
    left = qty
    for bucket in buckets:
        if bucket is not largest:
            # Rounded down, so what is left for the largest is never below its own share.
            bucket.qty = (
                (qty * bucket.qty / total).quantize(MILLI, rounding=ROUND_DOWN) if total else Decimal(0)
            )
            left -= bucket.qty
    largest.qty = left  # its share and what rounding left over: the parts add up to exactly ``qty``


def read_plan_upload(filename: str, content: bytes) -> list[PlanQuantity]:
    """Quantities from a CSV or XLSX file with the columns sku, site, week and qty (as commits are read)."""
    try:
        entries = read_upload(filename, content)
    except CommitRefused as refused:
        raise PlanRefused(refused.errors) from None
    return [PlanQuantity(e.sku, e.site, e.week, e.qty, e.row) for e in entries]
