"""Supplier demand derived from customer demand, checked against a hand-worked example.

Site PL1, horizon of six weeks from Monday 2027-01-04 (W0) to W5 (2027-02-08).
Bills: PUMP = 1 SUB + 1 CASE + 2 SEAL; SUB = 1 SEAL + 3.5 BAR (SEAL is shared by both levels).
Customer demand for PUMP: an open order of 30 in W3 (it consumes the forecast of 20 there), the
forecast of 25 in W4 and 10 in W5; a shipped order of 100 and a cancelled purchase order count for nothing.

PUMP: 15 on hand, 5 safety stock, so 10 free:   net W3 20, W4 25, W5 10
SUB (no stock):                                 net W3 20, W4 25, W5 10
CASE (no stock, SUP-A 100 %, 14 days):          net W3 20, W4 25, W5 10 -> SUP-A orders W1 20, W2 25, W3 10
SEAL gross = 2 x PUMP + 1 x SUB:                W3 60, W4 75, W5 30
SEAL: 40 on hand, 10 safety, so 30 free; an open PO brings 50 in W4:
                                                W3 60-30 = 30, W4 75-50 = 25, W5 30
  SUP-A 60 %, 7 days:  W3 18, W4 15, W5 18 -> ordered W2 18, W3 15, W4 18
  SUP-B 40 %, 21 days: W3 12, W4 10, W5 12 -> ordered W0 12, W1 10, W2 12
BAR = 3.5 x SUB (no stock, SUP-B 100 %, no lead time): W3 70, W4 87.5, W5 35
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from internal import planning
from internal.integration.demand import derive, write_derived_plan
from internal.models import (
    BomLine,
    ForecastBucket,
    ForecastPlan,
    InventoryPosition,
    PurchaseOrder,
    PurchaseOrderLine,
    SalesOrder,
    SalesOrderLine,
    SourceListEntry,
)
from tests.factories import make_account, make_item, make_partner, make_site, sign_in

START = dt.date(2027, 1, 4)
W = [START + dt.timedelta(weeks=n) for n in range(6)]
NOW = dt.datetime(2027, 1, 3, 23, tzinfo=dt.UTC)


def build(session, start=START):
    weeks = [start + dt.timedelta(weeks=n) for n in range(6)]
    site = make_site(session, "PL1")
    kinds = {"PUMP": "finished", "SUB": "component", "CASE": "component", "SEAL": "component", "BAR": "raw"}
    items = {sku: make_item(session, sku, kind) for sku, kind in kinds.items()}
    sup_a, sup_b = make_partner(session, "SUP-A", "supplier"), make_partner(session, "SUP-B", "supplier")
    customer = make_partner(session, "CUS-A", "customer")
    for parent, component, qty in (
        ("PUMP", "SUB", 1), ("PUMP", "CASE", 1), ("PUMP", "SEAL", 2),
        ("SUB", "SEAL", 1), ("SUB", "BAR", "3.5"),
    ):  # fmt: skip
        session.add(
            BomLine(
                parent_item_id=items[parent].id, component_item_id=items[component].id, qty_per=Decimal(qty)
            )
        )
    for sku, supplier, lead, share in (
        ("CASE", sup_a, 14, 100), ("SEAL", sup_a, 7, 60), ("SEAL", sup_b, 21, 40), ("BAR", sup_b, 0, 100),
    ):  # fmt: skip
        session.add(
            SourceListEntry(
                item_id=items[sku].id, supplier_id=supplier.id, lead_time_days=lead, share_pct=Decimal(share),
                unit_price=Decimal(1),
            )
        )  # fmt: skip
    for sku, on_hand, safety in (("PUMP", 15, 5), ("SEAL", 40, 10)):
        session.add(
            InventoryPosition(
                item_id=items[sku].id, site_id=site.id, on_hand=Decimal(on_hand), allocated=Decimal(0),
                on_order=Decimal(0), safety_stock=Decimal(safety), daily_usage=Decimal(0), as_of=NOW,
            )
        )  # fmt: skip
    for number, status, qty in (("SO-A1", "confirmed", 30), ("SO-A2", "shipped", 100)):
        order = SalesOrder(
            number=number, customer_id=customer.id, site_id=site.id, order_date=start,
            requested_date=weeks[3], status=status, total_amount=Decimal(0),
        )  # fmt: skip
        order.lines.append(
            SalesOrderLine(
                line_no=1, item_id=items["PUMP"].id, qty=Decimal(qty), unit_price=Decimal(1),
                promised_date=weeks[3] + dt.timedelta(days=2), shipped_qty=Decimal(0),
            )
        )  # fmt: skip
        session.add(order)
    for number, status in (("PO-A1", "acknowledged"), ("PO-A2", "cancelled")):
        po = PurchaseOrder(
            number=number, supplier_id=sup_a.id, site_id=site.id, order_date=start, status=status
        )
        po.lines.append(
            PurchaseOrderLine(
                line_no=1, item_id=items["SEAL"].id, qty=Decimal(50), unit_price=Decimal(1), need_by=weeks[4],
                shipped_qty=Decimal(0), received_qty=Decimal(0),
            )
        )  # fmt: skip
        session.add(po)
    forecast = ForecastPlan(name="Sales forecast", version=1, horizon_start=start, weeks=6)
    session.add(forecast)
    session.flush()
    for w, qty in ((3, 20), (4, 25), (5, 10)):
        session.add(
            ForecastBucket(
                plan_id=forecast.id,
                item_id=items["PUMP"].id,
                site_id=site.id,
                week_start=weeks[w],
                qty=Decimal(qty),
            )
        )
    session.flush()
    return site, items, sup_a, sup_b


def test_net_requirements_match_the_hand_worked_example(session):
    site, items, _a, _b = build(session)

    result = derive(session, start=START, weeks=6)

    zero = [Decimal(0)] * 3
    assert result.net[(items["CASE"].id, site.id)] == [*zero, 20, 25, 10]
    assert result.net[(items["SEAL"].id, site.id)] == [*zero, 30, 25, 30]
    assert result.net[(items["BAR"].id, site.id)] == [*zero, 70, Decimal("87.5"), 35]
    assert (items["PUMP"].id, site.id) not in result.net  # made, not bought: exploded instead
    assert result.unsourced == set()


def test_each_supplier_gets_its_share_ordered_a_lead_time_ahead(session):
    site, items, sup_a, sup_b = build(session)

    split = derive(session, start=START, weeks=6).by_supplier()

    case, seal, bar = items["CASE"].id, items["SEAL"].id, items["BAR"].id
    assert split == {
        (case, site.id, sup_a.id, W[1]): 20,
        (case, site.id, sup_a.id, W[2]): 25,
        (case, site.id, sup_a.id, W[3]): 10,
        (seal, site.id, sup_a.id, W[2]): 18,
        (seal, site.id, sup_a.id, W[3]): 15,
        (seal, site.id, sup_a.id, W[4]): 18,
        (seal, site.id, sup_b.id, W[0]): 12,
        (seal, site.id, sup_b.id, W[1]): 10,
        (seal, site.id, sup_b.id, W[2]): 12,
        (bar, site.id, sup_b.id, W[3]): 70,
        (bar, site.id, sup_b.id, W[4]): Decimal("87.5"),
        (bar, site.id, sup_b.id, W[5]): 35,
    }


def test_the_derived_plan_is_a_draft_of_the_next_version_with_one_bucket_per_supplier_and_week(session):
    _site, items, sup_a, sup_b = build(session)
    session.add(ForecastPlan(name="Demand plan", version=4, status="published", horizon_start=START, weeks=6))
    session.flush()

    plan, _ = write_derived_plan(session, start=START, weeks=6)

    assert (plan.name, plan.version, plan.status.value) == ("Demand plan", 5, "draft")
    buckets = session.execute(
        select(ForecastBucket.supplier_id, ForecastBucket.week_start, ForecastBucket.qty)
        .where(ForecastBucket.plan_id == plan.id, ForecastBucket.item_id == items["SEAL"].id)
        .order_by(ForecastBucket.supplier_id, ForecastBucket.week_start)
    ).all()
    assert buckets == [
        (sup_a.id, W[2], 18), (sup_a.id, W[3], 15), (sup_a.id, W[4], 18),
        (sup_b.id, W[0], 12), (sup_b.id, W[1], 10), (sup_b.id, W[2], 12),
    ]  # fmt: skip


@pytest.fixture
def today_start():
    return dt.date.today() - dt.timedelta(days=dt.date.today().weekday())  # noqa: DTZ011 - the portal's own week


def test_a_supplier_sees_its_part_of_the_published_derived_plan(session, client, today_start):
    _site, _items, sup_a, _b = build(session, start=today_start)
    make_account(session, "planner@sup-a.example.com", partners=(sup_a,))
    plan, _ = write_derived_plan(session, start=today_start, weeks=6)
    assert planning.publish_plan(session, plan.id, account_id=None) == [sup_a.id, _b.id]
    session.commit()

    sign_in(client, "planner@sup-a.example.com")
    page = client.get("/supplier/forecast?sku=SEAL").get_data(as_text=True)

    assert "BAR" not in page  # SUP-B's item alone
    # SEAL, week 2: SUP-A's own 18 (rounded to 10 by the policy), in full; SUP-B's 12 is not added.
    week = today_start + dt.timedelta(weeks=2)
    row = page.split(f'data-testid="week-{week}"')[1].split("</tr>")[0]
    assert '<td class="num">20 EA</td>' in row
    assert f'data-testid="share-{week}">20</td>' in row
    # Week 0 holds only SUP-B's seals.
    assert f'data-testid="week-{today_start}"' not in page


def test_the_change_from_an_item_total_plan_to_a_derived_one_is_measured_in_the_suppliers_part(
    session, client, today_start
):
    site, items, sup_a, _b = build(session, start=today_start)
    make_account(session, "change@sup-a.example.com", partners=(sup_a,))
    week = today_start + dt.timedelta(weeks=3)
    # The version before: 50 seals in total that week, 60 % of it (30) SUP-A's.
    before = ForecastPlan(name="Demand plan", version=1, horizon_start=today_start, weeks=6)
    session.add(before)
    session.flush()
    session.add(
        ForecastBucket(plan_id=before.id, item_id=items["SEAL"].id, site_id=site.id, week_start=week, qty=50)
    )
    planning.publish_plan(session, before.id, account_id=None)
    plan, _ = write_derived_plan(session, start=today_start, weeks=6)
    planning.publish_plan(session, plan.id, account_id=None)
    session.commit()

    sign_in(client, "change@sup-a.example.com")
    page = client.get("/supplier/forecast?sku=SEAL").get_data(as_text=True)

    # Now SUP-A's own 15 (shown rounded to 20), against its 30 before (-15, shown -10): not against all 50.
    row = page.split(f'data-testid="week-{week}"')[1].split("</tr>")[0]
    assert '<td class="num">20 EA</td>' in row
    assert '<td class="num">-10</td>' in row


def test_a_commit_against_a_derived_plan_is_measured_against_the_suppliers_own_part(session):
    _site, _items, sup_a, _b = build(session)
    account = make_account(session, "commit@sup-a.example.com", partners=(sup_a,))
    plan, _ = write_derived_plan(session, start=START, weeks=6)
    planning.publish_plan(session, plan.id, account_id=None)

    (commit,) = planning.commit_forecast(
        session,
        account_id=account.id,
        partner_id=sup_a.id,
        entries=[planning.CommitEntry(sku="SEAL", site="PL1", week=W[3], qty=Decimal(15))],
    )

    # SUP-A's bucket holds its own 15 seals: not 60 % of it again.
    assert (commit.forecast_qty, commit.status.value) == (Decimal(15), "ok")
