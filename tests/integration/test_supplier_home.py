"""The supplier home's figures are counted by the gate: right for any number of rows, not one page's worth."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from sqlalchemy import select

from internal.models import (
    DisclosureRecord,
    ForecastBucket,
    ForecastCommit,
    ForecastPlan,
    SourceListEntry,
)
from tests.factories import make_account, make_item, make_partner, make_purchase_order, make_site, sign_in

ITEMS = 50  # x 12 weeks ahead: 600 open weeks, more than the gate's largest page (500)


def kpi(page: str, name: str) -> int:
    match = re.search(rf'data-testid="kpi-{name}">([\d,]+)<', page)
    assert match, name
    return int(match.group(1).replace(",", ""))


def test_the_home_page_figures_are_right_past_one_page_of_rows(client, session):
    supplier = make_partner(session, "SUP-981", "supplier")
    make_account(session, "many@sup981.example.com", partners=(supplier,))
    today = dt.date.today()  # noqa: DTZ011 - the page counts from the supplier's calendar day
    monday = today - dt.timedelta(days=today.weekday())

    # 620 open lines on one order: 610 due within two weeks, 10 later. Twelve more orders to acknowledge.
    order = make_purchase_order(session, "PO-981", supplier, lines=620)
    for n, line in enumerate(order.lines):
        line.need_by = today + dt.timedelta(days=3 if n < 610 else 60)
    for n in range(12):
        make_purchase_order(session, f"PO-981-{n:02d}", supplier, lines=1)

    # A published plan of 50 items the supplier supplies, 12 weeks from this one; one week committed.
    site = make_site(session, "PL98")
    plan = ForecastPlan(
        name="Demand plan",
        version=1,
        status="published",
        horizon_start=monday,
        weeks=12,
        published_at=dt.datetime.now(dt.UTC),
    )
    session.add(plan)
    session.flush()
    items = [make_item(session, f"CP-98{n:03d}") for n in range(ITEMS)]
    for item in items:
        session.add(
            SourceListEntry(
                item_id=item.id,
                supplier_id=supplier.id,
                lead_time_days=7,
                share_pct=Decimal(100),
                unit_price=Decimal(1),
            )
        )
        for week in range(12):
            session.add(
                ForecastBucket(
                    plan_id=plan.id,
                    item_id=item.id,
                    site_id=site.id,
                    week_start=monday + dt.timedelta(weeks=week),
                    qty=Decimal(100),
                )
            )
    session.add(
        ForecastCommit(
            plan_id=plan.id,
            supplier_id=supplier.id,
            item_id=items[0].id,
            site_id=site.id,
            week_start=monday,
            committed_qty=Decimal(50),
            forecast_qty=Decimal(100),
            status="shortfall",
        )
    )
    session.flush()

    sign_in(client, "many@sup981.example.com")
    before = session.scalar(select(DisclosureRecord.id).order_by(DisclosureRecord.id.desc()).limit(1)) or 0
    page = client.get("/supplier/").get_data(as_text=True)
    assert kpi(page, "uncommitted") == ITEMS * 12 - 1
    assert kpi(page, "due") == 610
    assert kpi(page, "awaiting") == 13
    assert kpi(page, "shortfalls") == 1
    assert "50 committed against 100" in page

    # The counts are disclosures too: each is in the ledger with its figure and no rows.
    records = session.scalars(select(DisclosureRecord).where(DisclosureRecord.id > before)).all()
    counted = [r for r in records if r.fields == {"*": "count"}]
    assert sorted((r.dataset, r.row_count) for r in counted) == [
        ("forecast_weeks", ITEMS * 12 - 1),
        ("purchase_order_lines", 610),
        ("purchase_orders", 13),
    ]
