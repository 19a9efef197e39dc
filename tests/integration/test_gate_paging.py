"""Pages read a few SKUs at a time (the forecast's window) hold exactly the rows of the plain query."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

import policies
from internal.models import ForecastBucket, ForecastPlan, SourceListEntry
from policies.datasets import DATASETS
from tests.factories import make_item, make_partner, make_site

ITEMS, WEEKS = 23, 5


@pytest.fixture
def supplier(session):
    supplier = make_partner(session, "SUP-991", "supplier", groups=("strategic-suppliers",))
    rival = make_partner(session, "SUP-992", "supplier")
    today = dt.date.today()  # noqa: DTZ011 - the gate's horizon counts from today
    monday = today - dt.timedelta(days=today.weekday())
    plan = ForecastPlan(name="Paging plan", version=1, status="published", horizon_start=monday, weeks=WEEKS)
    session.add(plan)
    session.flush()
    sites = [make_site(session, "PG91"), make_site(session, "PG92")]
    for n in range(ITEMS):
        item = make_item(session, f"PG-{n:03d}")
        # Every third item is the rival's: SKUs without rows for this supplier sit inside its window.
        owner = rival if n % 3 == 2 else supplier
        session.add(
            SourceListEntry(
                item_id=item.id, supplier_id=owner.id, lead_time_days=7, share_pct=Decimal(100), unit_price=1
            )
        )
        for site in sites[: 1 + n % 2]:
            for week in range(WEEKS):
                session.add(
                    ForecastBucket(
                        plan_id=plan.id,
                        item_id=item.id,
                        site_id=site.id,
                        week_start=monday + dt.timedelta(weeks=week),
                        qty=Decimal(10 * n + week),
                    )
                )
    session.flush()
    return supplier


def read_all(session, viewer, size):
    rows, after, pages = [], None, 0
    while True:
        page = policies.disclose(session, viewer, "forecast", page=policies.Page(after=after, size=size))
        rows.extend(dict(r) for r in page.rows)
        pages += 1
        if page.next_page is None:
            return rows, pages
        after = page.next_page


@pytest.mark.parametrize("size", [1, 4, 7, 50, 500])
def test_forecast_pages_read_by_window_match_the_plain_query(session, supplier, monkeypatch, size):
    viewer = policies.Viewer(None, supplier.id, supplier.code, "supplier", frozenset({"strategic-suppliers"}))
    windowed, pages = read_all(session, viewer, size)
    monkeypatch.setitem(DATASETS, "forecast", dataclasses.replace(DATASETS["forecast"], window=None))
    plain, plain_pages = read_all(session, viewer, size)

    mine = [n for n in range(ITEMS) if n % 3 != 2]
    expected = sum((1 + n % 2) * WEEKS for n in mine)
    assert len(plain) == expected
    assert windowed == plain
    assert pages == plain_pages
    assert [r["sku"] for r in windowed] == sorted(r["sku"] for r in windowed)
    assert not {r["sku"] for r in windowed} & {f"PG-{n:03d}" for n in range(ITEMS) if n % 3 == 2}
