"""Forecast commits: shortfall and surplus against the supplier's share, revisions, frozen weeks, uploads."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from internal import planning
from internal.models import ForecastBucket, ForecastCommit, ForecastPlan, SourceListEntry
from internal.planning import CommitEntry
from tests.factories import make_account, make_item, make_partner, make_site

START = dt.date(2026, 11, 23)  # a Monday
W = [START + dt.timedelta(weeks=n) for n in range(6)]


@pytest.fixture
def plan(session):
    supplier = make_partner(session, "SUP-901", "supplier")
    account = make_account(session, "plan@sup901.example.com", partners=(supplier,))
    site = make_site(session, "PL09")
    item = make_item(session, "CP-901")
    other_item = make_item(session, "CP-902")
    session.add(
        SourceListEntry(
            item_id=item.id,
            supplier_id=supplier.id,
            lead_time_days=14,
            share_pct=Decimal(50),
            unit_price=Decimal(1),
        )
    )
    published = ForecastPlan(
        name="Demand plan", version=3, status="published", horizon_start=START, weeks=6, frozen_until=W[0]
    )
    session.add(published)
    session.flush()
    for week in W:
        # Two customers drive the demand: 400 + 600 = 1000 a week, half of it this supplier's share.
        session.add_all(
            [
                ForecastBucket(
                    plan_id=published.id, item_id=item.id, site_id=site.id, week_start=week, qty=Decimal(400)
                ),
                ForecastBucket(
                    plan_id=published.id, item_id=item.id, site_id=site.id, week_start=week, qty=Decimal(600)
                ),
            ]
        )
    session.flush()
    del other_item
    return supplier, account


def commit(session, plan, entries):
    supplier, account = plan
    return planning.commit_forecast(session, account_id=account.id, partner_id=supplier.id, entries=entries)


def test_commits_are_flagged_against_the_suppliers_share_with_a_tolerance(session, plan):
    stored = commit(
        session,
        plan,
        [
            CommitEntry("CP-901", "PL09", W[1], Decimal(500)),
            CommitEntry("CP-901", "PL09", W[2], Decimal(455), "short of steel"),
            CommitEntry("CP-901", "PL09", W[3], Decimal(449)),
            CommitEntry("CP-901", "PL09", W[4], Decimal(551)),
        ],
    )
    assert [(c.forecast_qty, c.status.value) for c in stored] == [
        (Decimal(500), "ok"),
        (Decimal(500), "ok"),
        (Decimal(500), "shortfall"),
        (Decimal(500), "surplus"),
    ]
    assert stored[1].comment == "short of steel"


def test_a_commit_is_revised_not_duplicated(session, plan):
    commit(session, plan, [CommitEntry("CP-901", "PL09", W[1], Decimal(300))])
    (revised,) = commit(session, plan, [CommitEntry("CP-901", "PL09", W[1], Decimal(500))])
    assert (revised.revision, revised.committed_qty, revised.status.value) == (2, Decimal(500), "ok")
    assert session.scalar(select(func.count()).select_from(ForecastCommit)) == 1


def test_one_bad_entry_stores_nothing_and_every_problem_is_named(session, plan):
    with pytest.raises(planning.CommitRefused) as refused:
        commit(
            session,
            plan,
            [
                CommitEntry("CP-901", "PL09", W[1], Decimal(500), row=2),
                CommitEntry("CP-902", "PL09", W[1], Decimal(5), row=3),
                CommitEntry("CP-901", "XX99", W[1], Decimal(5), row=4),
                CommitEntry("CP-901", "PL09", W[0], Decimal(5), row=5),
                CommitEntry("CP-901", "PL09", W[1] + dt.timedelta(days=1), Decimal(5), row=6),
                CommitEntry("CP-901", "PL09", W[5] + dt.timedelta(weeks=1), Decimal(-1), row=7),
            ],
        )
    assert refused.value.errors == [
        "row 3: CP-902 is not an item you supply.",
        "row 4: there is no site 'XX99'.",
        "row 5: the week of 2026-11-23 is frozen and takes no more commits.",
        "row 6: 2026-12-01 is not a Monday; weeks start on Monday.",
        "row 7: 2027-01-04 is outside the plan's horizon (2026-11-23 to 2027-01-04).",
        "row 7, qty: the quantity cannot be negative.",
    ]
    assert session.scalar(select(func.count()).select_from(ForecastCommit)) == 0


def test_a_csv_upload_commits_a_horizon(session, plan):
    content = (
        "sku,site,week,qty,comment\nCP-901,PL09,2026-11-30,500,\nCP-901,PL09,2026-12-07,200,maintenance\n"
    )
    entries = planning.read_upload("horizon.csv", content.encode())
    stored = commit(session, plan, entries)
    assert [c.status.value for c in stored] == ["ok", "shortfall"]


def test_an_xlsx_upload_with_a_bad_cell_names_the_row(session, plan):
    book = Workbook()
    sheet = book.active
    sheet.append(["SKU", "Site", "Week", "Qty"])
    sheet.append(["CP-901", "PL09", dt.datetime(2026, 11, 30), 500])  # noqa: DTZ001 - spreadsheet cells are naive
    sheet.append(["CP-901", "PL09", dt.datetime(2026, 12, 7), "lots"])  # noqa: DTZ001 - same
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(planning.CommitRefused) as refused:
        planning.read_upload("horizon.xlsx", buffer.getvalue())
    assert refused.value.errors == ["row 3: qty 'lots' is not a number."]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("horizon.txt", b"x", "upload a .csv or .xlsx file"),
        ("horizon.csv", b"sku,qty\nA,1\n", "missing: site, week"),
        ("horizon.csv", b"sku,site,week,qty\nA,B,7 Dec,1\n", "row 2: week '7 Dec' is not a date"),
        ("horizon.csv", b"\xff\xfe\x00", "not UTF-8"),
        ("horizon.xlsx", b"not a workbook", "not a readable .xlsx"),
    ],
)
def test_unreadable_uploads_say_what_to_fix(name, content, message):
    with pytest.raises(planning.CommitRefused, match=message):
        planning.read_upload(name, content)
