"""The supplier's forecast page: its own items only, no customer names, commits flagged, uploads."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from internal.models import ForecastBucket, ForecastCommit, ForecastPlan, SourceListEntry
from tests.factories import csrf_token, make_account, make_item, make_partner, make_site, sign_in

START = dt.date(2026, 11, 23)
W = [START + dt.timedelta(weeks=n) for n in range(4)]


@pytest.fixture
def plan(session):
    supplier = make_partner(session, "SUP-971", "supplier")
    rival = make_partner(session, "SUP-972", "supplier")
    key_customer = make_partner(session, "CUS-971", "customer")
    make_account(session, "plan@sup971.example.com", partners=(supplier,))
    site = make_site(session, "PL97")
    mine, theirs = make_item(session, "CP-971"), make_item(session, "CP-972")
    for item, partner in ((mine, supplier), (theirs, rival)):
        session.add(
            SourceListEntry(
                item_id=item.id,
                supplier_id=partner.id,
                lead_time_days=7,
                share_pct=Decimal(100),
                unit_price=Decimal(1),
            )
        )
    old = ForecastPlan(name="Demand plan", version=1, status="superseded", horizon_start=START, weeks=4)
    new = ForecastPlan(
        name="Demand plan",
        version=2,
        status="published",
        horizon_start=START,
        weeks=4,
        frozen_until=W[0],
        published_at=dt.datetime(2026, 11, 20, 7, tzinfo=dt.UTC),
    )
    session.add_all([old, new])
    session.flush()
    for week in W:
        for item in (mine, theirs):
            session.add(
                ForecastBucket(
                    plan_id=old.id, item_id=item.id, site_id=site.id, week_start=week, qty=Decimal(90)
                )
            )
            session.add(
                ForecastBucket(
                    plan_id=new.id,
                    item_id=item.id,
                    site_id=site.id,
                    week_start=week,
                    qty=Decimal(100),
                    customer_id=key_customer.id,
                )
            )
    session.flush()
    return supplier


def test_the_forecast_shows_own_items_with_the_change_and_no_customer(client, plan):
    sign_in(client, "plan@sup971.example.com")
    page = client.get("/supplier/forecast").get_data(as_text=True)
    assert "CP-971" in page
    assert "CP-972" not in page  # another supplier's item
    assert "CUS-971" not in page
    assert "Published plan version 2 of Nov 20, 2026" in page
    row = page.split(f'data-testid="week-{W[1]}"')[1].split("</tr>")[0]
    assert "100 EA" in row
    assert "+10" in row
    frozen = page.split(f'data-testid="week-{W[0]}"')[1].split("</tr>")[0]
    assert "frozen" in frozen
    assert "<input" not in frozen
    assert 'id="forecast-chart"' in page
    assert client.get("/supplier/forecast?sku=CP-972").get_data(as_text=True).count('data-testid="week-') == 0


def test_the_forecast_reads_in_monthly_buckets_summed_from_the_weeks(client, plan):
    sign_in(client, "plan@sup971.example.com")
    page = client.get("/supplier/forecast?sku=CP-971&buckets=month").get_data(as_text=True)
    assert "Published plan version 2 of Nov 20, 2026" in page
    assert 'data-testid="week-' not in page  # no weekly commit inputs in the monthly view
    months = {}
    for week in W:
        months.setdefault(week.replace(day=1), []).append(week)
    for month, weeks in months.items():
        row = page.split(f'data-testid="month-{month}"')[1].split("</tr>")[0]
        assert f"{100 * len(weeks)} EA" in row
        assert f"+{10 * len(weeks)}" in row
    assert 'id="forecast-chart"' in page
    # The four weeks from November 23 cover two of November's five Mondays and two of December's four.
    labels = re.findall(r'data-testid="month-label">([^<]*)<', page)
    assert labels == ["November 2026 (2 of 5 weeks)", "December 2026 (2 of 4 weeks)"]


def test_committing_weeks_flags_a_shortfall_for_both_sides(client, session, plan):
    sign_in(client, "plan@sup971.example.com")
    token = csrf_token(client, "/supplier/forecast")
    response = client.post(
        "/supplier/forecast",
        data={
            "csrf_token": token,
            "sku": "CP-971",
            f"commit-PL97-{W[1]}": "100",
            f"commit-PL97-{W[2]}": "60",
            f"comment-PL97-{W[2]}": "kiln repair",
        },
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "2 commits saved; 1 flagged as shortfall or surplus." in page
    assert 'data-testid="flag-' + str(W[2]) + '">Shortfall' in page
    stored = {c.week_start: c for c in session.scalars(select(ForecastCommit))}
    assert stored[W[2]].status.value == "shortfall"
    assert stored[W[2]].comment == "kiln repair"


def test_a_frozen_week_posted_anyway_is_refused(client, session, plan):
    sign_in(client, "plan@sup971.example.com")
    token = csrf_token(client, "/supplier/forecast")
    page = client.post(
        "/supplier/forecast",
        data={"csrf_token": token, "sku": "CP-971", f"commit-PL97-{W[0]}": "5"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "is frozen and takes no more commits" in page
    assert session.scalar(select(ForecastCommit)) is None


def test_uploading_a_horizon_commits_it_all_or_names_the_bad_rows(client, session, plan):
    sign_in(client, "plan@sup971.example.com")
    good = f"sku,site,week,qty\nCP-971,PL97,{W[1]},100\nCP-971,PL97,{W[2]},100\n".encode()
    bad = f"sku,site,week,qty\nCP-971,PL97,{W[3]},100\nCP-972,PL97,{W[3]},5\n".encode()
    token = csrf_token(client, "/supplier/forecast")
    page = client.post(
        "/supplier/forecast/upload",
        data={"csrf_token": token, "file": (io.BytesIO(bad), "h.csv")},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "row 3: CP-972 is not an item you supply." in page
    assert session.scalar(select(ForecastCommit)) is None
    page = client.post(
        "/supplier/forecast/upload",
        data={"csrf_token": token, "file": (io.BytesIO(good), "h.csv")},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "2 commits saved; 0 flagged" in page


def test_forecast_exports_are_the_disclosed_rows_and_are_in_the_ledger(client, session, plan):
    import csv

    from openpyxl import load_workbook

    from internal.models import DisclosureRecord

    sign_in(client, "plan@sup971.example.com")
    with client.get("/supplier/forecast.csv") as response:
        assert response.headers["Content-Disposition"] == 'attachment; filename="forecast.csv"'
        rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [r["sku"] for r in rows] == ["CP-971"] * 4
    assert rows[1]["week"] == str(W[1])
    assert rows[1]["qty"] == "100"  # rounded to the nearest 10 by the default policy
    assert "customer" not in rows[0]
    with client.get("/supplier/forecast.xlsx") as response:
        sheet = load_workbook(io.BytesIO(response.data)).active
        values = list(sheet.values)
    assert values[0][:2] == ("sku", "item")
    assert len(values) == 5
    exported = session.scalars(select(DisclosureRecord).where(DisclosureRecord.channel == "export")).all()
    # Each export reads the forecast and the commits beside it (its commit column), both in the ledger.
    assert sorted(r.dataset for r in exported) == ["forecast"] * 2 + ["forecast_commits"] * 2
    assert [r.row_count for r in exported if r.dataset == "forecast"] == [4, 4]
    assert client.get("/supplier/forecast.pdf").status_code == 404


def test_the_home_page_counts_what_needs_attention(client, session, plan):
    sign_in(client, "plan@sup971.example.com")
    token = csrf_token(client, "/supplier/forecast")
    client.post(
        "/supplier/forecast", data={"csrf_token": token, "sku": "CP-971", f"commit-PL97-{W[2]}": "10"}
    )
    page = client.get("/supplier/").get_data(as_text=True)
    # Four weeks, the first frozen, one committed: two await a commit; the one commit is a shortfall.
    assert 'data-testid="kpi-uncommitted">2<' in page
    assert 'data-testid="kpi-shortfalls">1<' in page
    assert "10 committed against 100" in page


def test_a_partial_month_says_so_in_chinese_too(client, plan):
    sign_in(client, "plan@sup971.example.com")
    page = client.get(
        "/supplier/forecast?sku=CP-971&buckets=month", headers={"Accept-Language": "zh-CN"}
    ).get_data(as_text=True)
    labels = re.findall(r'data-testid="month-label">([^<]*)<', page)
    assert labels == ["2026年11月（5 周中的 2 周）", "2026年12月（4 周中的 2 周）"]
