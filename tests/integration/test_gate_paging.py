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
    from policies import gate

    widths = []
    real_windows = gate._windows

    def counted(*args, **kwargs):
        for values, last in real_windows(*args, **kwargs):
            widths.append(len(values))
            yield values, last

    monkeypatch.setattr(gate, "_windows", counted)
    windowed, pages = read_all(session, viewer, size)
    assert widths, "the pages were read by window"
    monkeypatch.setitem(DATASETS, "forecast", dataclasses.replace(DATASETS["forecast"], window=None))
    plain, plain_pages = read_all(session, viewer, size)

    mine = [n for n in range(ITEMS) if n % 3 != 2]
    expected = sum((1 + n % 2) * WEEKS for n in mine)
    assert len(plain) == expected
    assert windowed == plain
    assert pages == plain_pages
    assert [r["sku"] for r in windowed] == sorted(r["sku"] for r in windowed)
    assert not {r["sku"] for r in windowed} & {f"PG-{n:03d}" for n in range(ITEMS) if n % 3 == 2}


@pytest.fixture
def drawn(session):
    """Weekly issues of 23 items to a few customers, some too small alone: merged into "other"."""
    from internal.models import Consumption

    supplier = make_partner(session, "SUP-993", "supplier", groups=("strategic-suppliers",))
    customers = [make_partner(session, f"CUS-99{n}", "customer") for n in range(3)]
    site = make_site(session, "PG93")
    today = dt.date.today()  # noqa: DTZ011 - recent weeks
    for n in range(ITEMS):
        item = make_item(session, f"PC-{n:03d}")
        session.add(
            SourceListEntry(
                item_id=item.id,
                supplier_id=supplier.id,
                lead_time_days=7,
                share_pct=Decimal(100),
                unit_price=1,
            )
        )
        for week in range(3):
            for c, customer in enumerate(customers):
                # Customer 0 draws twice a week (a group of its own), the others once (merged into "other").
                for _ in range(2 if c == 0 else 1):
                    session.add(
                        Consumption(
                            item_id=item.id,
                            site_id=site.id,
                            issued_on=today - dt.timedelta(weeks=week + 1),
                            qty=Decimal(n + c + week + 1),
                            customer_id=customer.id,
                        )
                    )
    session.flush()
    return supplier


@pytest.mark.parametrize("size", [1, 5, 13, 500])
def test_grouped_pages_read_by_window_match_the_plain_query(session, drawn, monkeypatch, size):
    viewer = policies.Viewer(None, drawn.id, drawn.code, "supplier", frozenset({"strategic-suppliers"}))

    def read(dataset_window):
        monkeypatch.setitem(
            DATASETS, "consumption", dataclasses.replace(DATASETS["consumption"], window=dataset_window)
        )
        rows, after = [], None
        while True:
            page = policies.disclose(
                session, viewer, "consumption", page=policies.Page(after=after, size=size)
            )
            rows.extend(dict(r) for r in page.rows)
            if page.next_page is None:
                return rows
            after = page.next_page

    from policies import gate

    window = DATASETS["consumption"].window
    assert window is not None
    widths = []
    real_windows = gate._windows

    def counted(*args, **kwargs):
        for values, last in real_windows(*args, **kwargs):
            widths.append(len(values))
            yield values, last

    monkeypatch.setattr(gate, "_windows", counted)
    windowed = read(window)
    assert widths, "the grouped pages were read by window"
    assert min(widths) < ITEMS or size == 500
    plain = read(None)
    assert windowed == plain
    # Per item and week: customer 0's own group and one "other" remainder of the two single draws.
    assert len(plain) == ITEMS * 3 * 2
    assert sum(1 for r in plain if r["customer"] == "other") == ITEMS * 3
