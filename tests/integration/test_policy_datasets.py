"""Every dataset through the gate under the default policy: row scopes, aggregates, pseudonyms, forbids.

Consumption is the trade secret case: who draws a supplier's items. A plain supplier sees monthly
sums with no customer; a strategic one sees weekly use per customer under its own pseudonym, small
groups merged into "other"; nobody sees a key account's draws. The ledger still knows which
customers a disclosure was about, so "what has partner X seen about customer Y" has an answer.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

import policies
from internal import disclosure_index
from internal.models import (
    Consumption,
    DisclosureSubject,
    InventoryPosition,
    Invoice,
    Partner,
    SalesOrderLine,
    ServiceRequest,
    Shipment,
    SourceListEntry,
)
from policies import ledger
from policies.transforms import Aggregate
from tests.factories import (
    make_account,
    make_item,
    make_partner,
    make_purchase_order,
    make_sales_order,
    make_site,
)

TODAY = dt.date.today()  # noqa: DTZ011 - the gate's dates count from the real today
#: A Wednesday three weeks back, so every issue below falls in one ISO week.
WEDNESDAY = TODAY - dt.timedelta(days=TODAY.weekday()) - dt.timedelta(weeks=3) + dt.timedelta(days=2)
NOW = dt.datetime.now(dt.UTC)


def viewer(partner: Partner, *groups: str) -> policies.Viewer:
    return policies.Viewer(None, partner.id, partner.code, partner.kind.value, frozenset(groups))


@pytest.fixture
def consumption(session):
    """Item CU-701 at site PL71, supplied by a strategic and a plain supplier, drawn by four customers.

    Week of WEDNESDAY: big customer CUS-771 draws 3 times (10 each), small CUS-772 and CUS-773 once
    each (5 and 7), key account CUS-774 twice (100 each), and 4 units go to internal use.
    """
    strategic = make_partner(session, "SUP-771", "supplier", groups=("suppliers", "strategic-suppliers"))
    strategic2 = make_partner(session, "SUP-775", "supplier", groups=("suppliers", "strategic-suppliers"))
    plain = make_partner(session, "SUP-772", "supplier", groups=("suppliers",))
    big, small1, small2, key = (make_partner(session, f"CUS-77{n}", "customer") for n in (1, 2, 3, 4))
    key.is_key_account = True
    site, item = make_site(session, "PL71"), make_item(session, "CU-701")
    for supplier in (strategic, strategic2, plain):
        session.add(
            SourceListEntry(item_id=item.id, supplier_id=supplier.id, lead_time_days=5, unit_price=Decimal(1))
        )
    issues = [(big, 10), (big, 10), (big, 10), (small1, 5), (small2, 7), (key, 100), (key, 100), (None, 4)]
    for n, (customer, qty) in enumerate(issues):
        session.add(
            Consumption(
                item_id=item.id,
                site_id=site.id,
                issued_on=WEDNESDAY + dt.timedelta(days=n % 3 - 1),
                qty=Decimal(qty),
                customer_id=customer.id if customer else None,
            )
        )
    session.flush()
    dated = [(WEDNESDAY + dt.timedelta(days=n % 3 - 1), c, q) for n, (c, q) in enumerate(issues)]
    return {"strategic": strategic, "strategic2": strategic2, "plain": plain, "issues": dated}


def test_a_plain_supplier_sees_consumption_summed_per_month_without_customers(session, consumption):
    seen = policies.disclose(session, viewer(consumption["plain"], "suppliers"), "consumption")
    assert [c.name for c in seen.columns] == ["sku", "item", "uom", "site", "issued_on", "qty"]
    # Key accounts' 200 are forbidden; the rest summed per month (46 in all), rounded to the nearest 10.
    expected: dict[dt.date, int] = {}
    for day, customer, qty in consumption["issues"]:
        if customer is None or not customer.is_key_account:
            expected[day.replace(day=1)] = expected.get(day.replace(day=1), 0) + qty
    assert {(r["sku"], r["site"], r["issued_on"]): r["qty"] for r in seen.rows} == {
        ("CU-701", "PL71", month): Decimal(round(total, -1)) for month, total in expected.items()
    }
    assert "customer" in dict(seen.hidden)
    assert all("customer" not in row for row in seen.rows)


def test_a_strategic_supplier_sees_customers_under_a_pseudonym_small_groups_merged(session, consumption):
    seen = policies.disclose(
        session, viewer(consumption["strategic"], "suppliers", "strategic-suppliers"), "consumption"
    )
    rows = list(seen.rows)
    assert {r["issued_on"] for r in rows} == {WEDNESDAY - dt.timedelta(days=2)}  # the week's Monday
    by_customer = {r["customer"]: r["qty"] for r in rows}
    # The big customer (3 issues) is shown under a pseudonym; the two one-issue customers and
    # internal use (1 issue each) merge into "other"; the key account is forbidden.
    assert by_customer.pop("other") == Decimal(5 + 7 + 4)
    ((pseudonym, qty),) = by_customer.items()
    assert qty == Decimal(30)
    assert pseudonym
    assert pseudonym not in {"CUS-771", "CUS-771 Industries"}
    other = policies.disclose(
        session, viewer(consumption["strategic2"], "suppliers", "strategic-suppliers"), "consumption"
    )
    other_pseudonyms = {r["customer"] for r in other.rows} - {"other"}
    assert other_pseudonyms
    assert pseudonym not in other_pseudonyms  # two suppliers cannot join on it
    explained = " ".join(c.explanation for c in seen.columns)
    assert "pseudonym" in explained


def test_the_ledger_answers_what_a_partner_saw_about_a_customer(session, consumption):
    strategic, plain = consumption["strategic"], consumption["plain"]
    before = NOW - dt.timedelta(minutes=1)
    policies.disclose(session, viewer(strategic, "suppliers", "strategic-suppliers"), "consumption")
    policies.disclose(session, viewer(plain, "suppliers"), "consumption")
    after = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    about_big = ledger.query(session, partner_code="SUP-771", subject="CUS-771", since=before, until=after)
    assert [(s.dataset, s.subject_kind, s.fields["customer"]) for s in about_big] == [
        ("consumption", "customer", "pseudonymize:2026")
    ]
    # Merged into "other", the small customers were still disclosed about, so the ledger says so.
    assert ledger.query(session, partner_code="SUP-771", subject="CUS-772", since=before, until=after)
    # The key account's rows were removed: nothing about it was disclosed to anyone.
    assert ledger.query(session, partner_code="SUP-771", subject="CUS-774", since=before, until=after) == []
    # The plain supplier was shown sums without customers: nothing about the customer, but the item.
    assert ledger.query(session, partner_code="SUP-772", subject="CUS-771", since=before, until=after) == []
    about_item = ledger.query(session, partner_code="SUP-772", subject="CU-701", since=before, until=after)
    assert [s.subject_kind for s in about_item] == ["item"]


def test_each_disclosure_writes_its_distinct_subjects_once(session, consumption):
    seen = policies.disclose(
        session, viewer(consumption["strategic"], "suppliers", "strategic-suppliers"), "consumption"
    )
    assert seen.rows
    # SQLite fills the subject index in batches (PostgreSQL's trigger filled it with the record).
    disclosure_index.fill(session.connection())
    subjects = session.execute(
        select(DisclosureSubject.kind, DisclosureSubject.subject).where(
            DisclosureSubject.partner_id == consumption["strategic"].id
        )
    ).all()
    assert sorted(subjects) == [
        ("customer", "CUS-771"),
        ("customer", "CUS-772"),
        ("customer", "CUS-773"),
        ("item", "CU-701"),
        ("site", "PL71"),
    ]


def test_a_view_can_ask_for_coarser_groups_but_never_finer_than_the_policy(session, consumption):
    strategic = viewer(consumption["strategic"], "suppliers", "strategic-suppliers")
    monthly = policies.disclose(
        session, strategic, "consumption", group=Aggregate(by=("sku", "site"), grain="month")
    )
    assert [c.name for c in monthly.columns] == ["sku", "site", "issued_on", "qty"]
    assert sum(r["qty"] for r in monthly.rows) == Decimal(30 + 5 + 7 + 4)
    assert {r["issued_on"].day for r in monthly.rows} == {1}
    # The plain supplier asking for weekly groups per customer still gets monthly sums, no customer.
    plain = policies.disclose(
        session,
        viewer(consumption["plain"], "suppliers"),
        "consumption",
        group=Aggregate(by=("sku", "site", "customer"), grain="week"),
    )
    assert {r["issued_on"].day for r in plain.rows} == {1}
    assert all("customer" not in r for r in plain.rows)


def test_a_forecast_can_be_read_in_monthly_buckets(session):
    from internal.models import ForecastBucket, ForecastPlan

    supplier = make_partner(session, "SUP-781", "supplier", groups=("suppliers",))
    site, item = make_site(session, "PL78"), make_item(session, "CU-781")
    session.add(SourceListEntry(item_id=item.id, supplier_id=supplier.id, lead_time_days=5, unit_price=1))
    monday = TODAY - dt.timedelta(days=TODAY.weekday())
    plan = ForecastPlan(name="Demand plan", version=3, status="published", horizon_start=monday, weeks=8)
    session.add(plan)
    session.flush()
    for n in range(8):
        week = monday + dt.timedelta(weeks=n)
        session.add(
            ForecastBucket(plan_id=plan.id, item_id=item.id, site_id=site.id, week_start=week, qty=11)
        )
    session.flush()
    weekly = policies.disclose(session, viewer(supplier, "suppliers"), "forecast")
    monthly = policies.disclose(
        session, viewer(supplier, "suppliers"), "forecast", group=Aggregate(("sku", "site"), "month")
    )
    weeks_per_month: dict[dt.date, int] = {}
    for n in range(8):
        month = (monday + dt.timedelta(weeks=n)).replace(day=1)
        weeks_per_month[month] = weeks_per_month.get(month, 0) + 1
    assert len(weekly.rows) == 8
    assert {r["qty"] for r in weekly.rows} == {Decimal(10)}  # 11 rounded
    # Summed first, then rounded to the nearest 10 as the policy says.
    assert {r["week"]: r["qty"] for r in monthly.rows} == {
        m: Decimal(round(11 * k, -1)) for m, k in weeks_per_month.items()
    }


def test_key_account_demand_cannot_be_shared_only_forbidden():
    from policies.language import PolicyInvalid, parse

    text = """
rules:
  - id: leak
    effect: share
    to: kind:supplier
    dataset: consumption
    rows: key_account_demand
    fields: {qty: exact}
"""
    with pytest.raises(PolicyInvalid, match="key_account_demand picks rows out to forbid them"):
        parse(text, "leak.yaml")


def test_inventory_at_the_sites_a_supplier_serves(session):
    supplier = make_partner(session, "SUP-791", "supplier", groups=("suppliers",))
    served, elsewhere = make_site(session, "PL01"), make_site(session, "PL79")
    item = make_item(session, "CU-791")
    session.add(SourceListEntry(item_id=item.id, supplier_id=supplier.id, lead_time_days=5, unit_price=1))
    for site in (served, elsewhere):
        session.add(
            InventoryPosition(
                item_id=item.id,
                site_id=site.id,
                on_hand=50,
                allocated=0,
                on_order=0,
                safety_stock=0,
                daily_usage=1,
                as_of=NOW,
            )
        )
    make_purchase_order(session, "PO-791", supplier)  # delivers to PL01
    session.flush()
    text = policies.versions.active(session)[1].text
    rules, _sep, tests = text.partition("\ntests:")
    rules += """
  - id: site-scoped-inventory
    effect: share
    to: partner:SUP-791
    dataset: inventory
    rows: sites_viewer_serves
    fields: {sku: exact, site: exact, on_hand: exact}
"""
    author = make_account(session, "policy.author@example.com", staff_role="policy_admin")
    approver = make_account(session, "policy.approver@example.com", staff_role="policy_admin")
    version = policies.versions.propose(session, f"{rules}\ntests:{tests}", author_id=author.id)
    policies.versions.approve(session, version.id, approver_id=approver.id)
    seen = policies.disclose(session, viewer(supplier, "suppliers"), "inventory")
    # Only the site its purchase orders deliver to, and there exactly (the partner rule is the most specific).
    assert [(r["sku"], r["site"], r["on_hand"]) for r in seen.rows] == [("CU-791", "PL01", 50)]


def test_customers_see_their_own_shipments_invoices_and_requests_only(session):
    mine, theirs = make_partner(session, "CUS-761", "customer"), make_partner(session, "CUS-762", "customer")
    for customer in (mine, theirs):
        order = make_sales_order(session, f"SO-{customer.code}", customer)
        session.add_all(
            [
                Shipment(
                    number=f"SH-{customer.code}",
                    order_id=order.id,
                    customer_id=customer.id,
                    from_site_id=order.site_id,
                    carrier="DHL",
                    tracking_number="1Z999",
                    status="in_transit",
                    eta=TODAY,
                ),
                Invoice(
                    number=f"IN-{customer.code}",
                    customer_id=customer.id,
                    order_id=order.id,
                    issued_on=TODAY,
                    due_on=TODAY + dt.timedelta(days=30),
                    amount=Decimal("1999.00"),
                    status="open",
                ),
                ServiceRequest(
                    number=f"SR-{customer.code}",
                    customer_id=customer.id,
                    order_id=order.id,
                    subject="Pump leaks",
                    status="open",
                ),
            ]
        )
    session.flush()
    me = viewer(mine, "customers")
    shipments = policies.disclose(session, me, "shipments")
    assert [(r["number"], r["order_number"], r["ship_from"]) for r in shipments.rows] == [
        ("SH-CUS-761", "SO-CUS-761", "EMEA")  # the site generalized to its region
    ]
    invoices = policies.disclose(session, me, "invoices")
    assert [(r["number"], r["amount"]) for r in invoices.rows] == [("IN-CUS-761", Decimal("1999.00"))]
    requests = policies.disclose(session, me, "service_requests")
    assert [(r["number"], r["subject"], r["order_number"]) for r in requests.rows] == [
        ("SR-CUS-761", "Pump leaks", "SO-CUS-761")
    ]
    # A supplier is shown none of it.
    supplier = make_partner(session, "SUP-761", "supplier")
    assert policies.disclose(session, viewer(supplier, "suppliers"), "invoices").rows == ()


def test_customers_see_banded_availability_at_the_sites_that_serve_them(session):
    customer = make_partner(session, "CUS-751", "customer")
    order = make_sales_order(session, "SO-751", customer)  # ships from PL01
    far = make_site(session, "PL75")
    product = make_item(session, "FG-751", "finished")
    unbought = make_item(session, "FG-752", "finished")
    # Only items the customer buys are shown.
    order.lines.append(
        SalesOrderLine(line_no=2, item_id=product.id, qty=1, unit_price=Decimal(1), shipped_qty=0)
    )
    component = make_item(session, "CP-751")
    for item, site, on_hand in (
        (product, make_site(session), 15),
        (product, far, 900),
        (component, far, 5),
        (unbought, make_site(session), 500),
    ):
        session.add(
            InventoryPosition(
                item_id=item.id,
                site_id=site.id,
                on_hand=on_hand,
                allocated=3,
                on_order=0,
                safety_stock=0,
                daily_usage=0,
                as_of=NOW,
            )
        )
    session.flush()
    seen = policies.disclose(session, viewer(customer, "customers"), "availability")
    rows = [(r["sku"], r["site"], r["available"]) for r in seen.rows if r["sku"] == "FG-751"]
    assert rows == [("FG-751", "PL01", "limited")]  # 15 - 3 = 12; PL75 does not ship to this customer
    assert not [r for r in seen.rows if r["sku"] == "FG-752"]  # stocked where it ships from, never bought
