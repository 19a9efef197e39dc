"""The gate under the active policy: precision per partner, horizon, failing closed, approved versions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select, update

import policies
from internal.models import (
    AuditEvent,
    DisclosureRecord,
    ForecastBucket,
    ForecastPlan,
    PolicyStatus,
    PolicyVersion,
    SourceListEntry,
)
from policies import versions
from policies.language import PolicyInvalid
from tests.factories import make_account, make_item, make_partner, make_site, sign_in

TODAY = dt.date.today()  # noqa: DTZ011 - the gate's horizon counts from the real today
MONDAY = TODAY - dt.timedelta(days=TODAY.weekday())


@pytest.fixture
def shared_item(session):
    """One item supplied by a strategic and a plain supplier, with 20 weeks of demand of 1234 a week."""
    strategic = make_partner(session, "SUP-981", "supplier", groups=("suppliers", "strategic-suppliers"))
    plain = make_partner(session, "SUP-982", "supplier", groups=("suppliers",))
    site, item = make_site(session, "PL98"), make_item(session, "CP-981")
    for partner, share in ((strategic, 60), (plain, 40)):
        session.add(
            SourceListEntry(
                item_id=item.id,
                supplier_id=partner.id,
                lead_time_days=7,
                share_pct=Decimal(share),
                unit_price=Decimal(1),
            )
        )
    plan = ForecastPlan(name="Demand plan", version=7, status="published", horizon_start=MONDAY, weeks=20)
    session.add(plan)
    session.flush()
    for n in range(20):
        session.add(
            ForecastBucket(
                plan_id=plan.id,
                item_id=item.id,
                site_id=site.id,
                week_start=MONDAY + dt.timedelta(weeks=n),
                qty=Decimal(1234),
            )
        )
    session.flush()
    return strategic, plain


def viewer(partner, groups):
    return policies.Viewer(None, partner.id, partner.code, "supplier", frozenset(groups))


def test_two_suppliers_see_the_same_item_at_different_precision(session, shared_item):
    strategic, plain = shared_item
    fine = policies.disclose(
        session,
        viewer(strategic, {"suppliers", "strategic-suppliers"}),
        "forecast",
        page=policies.Page(size=100),
    )
    coarse = policies.disclose(
        session, viewer(plain, {"suppliers"}), "forecast", page=policies.Page(size=100)
    )
    assert {r["qty"] for r in fine.rows} == {Decimal(1234)}
    assert {r["qty"] for r in coarse.rows} == {Decimal(1230)}
    # The plain supplier sees 12 weeks; the strategic one the whole horizon.
    assert len(coarse.rows) == 12
    assert len(fine.rows) == 20
    explained = {c.name: c.explanation for c in coarse.columns}
    assert explained["qty"] == "qty rounded to the nearest 10 by rule suppliers-forecast, version 1."
    assert {c.name: c.treatment for c in fine.columns}["qty"] == "exact"
    record = session.scalar(select(DisclosureRecord).order_by(DisclosureRecord.id.desc()).limit(1))
    assert record.policy_version_id is not None
    assert record.fields["qty"] == "round:10:nearest"


def test_no_supplier_sees_who_drives_demand_and_customers_see_no_forecast(session, shared_item):
    _strategic, plain = shared_item
    disclosed = policies.disclose(session, viewer(plain, {"suppliers"}), "forecast")
    assert "customer" not in disclosed.rows[0]
    customer = make_partner(session, "CUS-981", "customer")
    as_customer = policies.Viewer(None, customer.id, customer.code, "customer", frozenset())
    assert policies.disclose(session, as_customer, "forecast").rows == ()


def test_without_an_active_policy_the_gate_fails_closed_and_pages_say_so(session, client, shared_item):
    _strategic, plain = shared_item
    session.execute(update(PolicyVersion).values(status=PolicyStatus.retired))
    session.flush()
    with pytest.raises(policies.PolicyUnavailable):
        policies.disclose(session, viewer(plain, {"suppliers"}), "forecast")
    make_account(session, "u@sup982.example.com", partners=(plain,))
    sign_in(client, "u@sup982.example.com")
    response = client.get("/supplier/purchase-orders")
    assert response.status_code == 503
    assert "Data sharing is paused" in response.get_data(as_text=True)


def test_a_version_activates_only_with_a_second_staff_members_approval(session):
    author = make_account(session, "author@example.com", staff_role="policy_admin")
    viewer_staff = make_account(session, "ro@example.com", staff_role="viewer")
    approver = make_account(session, "second@example.com", staff_role="buyer")
    text = policies.DEFAULT_SET.read_text().replace("horizon: 12w", "horizon: 8w")
    with pytest.raises(PolicyInvalid):
        versions.propose(session, "rules: [{id: x}]", author_id=author.id)
    proposed = versions.propose(session, text, author_id=author.id, comment="8 weeks")
    assert proposed.status is PolicyStatus.pending_approval
    with pytest.raises(versions.VersionRefused, match="author cannot approve"):
        versions.approve(session, proposed.id, approver_id=author.id)
    with pytest.raises(versions.VersionRefused, match="Only a policy admin or a buyer"):
        versions.approve(session, proposed.id, approver_id=viewer_staff.id)
    versions.approve(session, proposed.id, approver_id=approver.id)
    statuses = dict(session.execute(select(PolicyVersion.number, PolicyVersion.status)).all())
    assert statuses[proposed.number] is PolicyStatus.active
    assert statuses[1] is PolicyStatus.retired
    assert versions.active(session)[0].id == proposed.id

    first = session.scalar(select(PolicyVersion).where(PolicyVersion.number == 1))
    first.approved_by_id = approver.id  # the test database's version 1 was installed, not approved
    # A rollback is a proposal too: whoever proposed it cannot approve it.
    with pytest.raises(versions.VersionRefused, match="Only a policy admin may propose a rollback"):
        versions.propose_rollback(session, first.id, account_id=approver.id)
    rollback = versions.propose_rollback(session, first.id, account_id=author.id, comment="back")
    assert versions.active(session)[0].id == proposed.id
    with pytest.raises(versions.VersionRefused, match="proposed the rollback cannot approve"):
        versions.approve_rollback(session, rollback.id, approver_id=author.id)
    with pytest.raises(versions.VersionRefused, match="Only a policy admin or a buyer"):
        versions.approve_rollback(session, rollback.id, approver_id=viewer_staff.id)
    versions.approve_rollback(session, rollback.id, approver_id=approver.id)
    assert versions.active(session)[0].number == 1
    with pytest.raises(versions.VersionRefused, match="no such rollback waiting"):
        versions.approve_rollback(session, rollback.id, approver_id=approver.id)
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "policy_version").order_by(AuditEvent.id)
    ).all()
    assert actions == ["policy.proposed", "policy.approved", "policy.rollback_proposed", "policy.rolled_back"]


def test_proposing_the_same_text_twice_is_one_version(session):
    author = make_account(session, "twice@example.com", staff_role="policy_admin")
    text = policies.DEFAULT_SET.read_text() + "\n# a comment makes it a new text\n"
    assert (
        versions.propose(session, text, author_id=author.id).id
        == versions.propose(session, text, author_id=author.id).id
    )


def test_the_inventory_page_shows_each_supplier_its_own_precision_and_why(session, client, shared_item):
    from internal.models import InventoryPosition, Item, Site, utcnow
    from tests.factories import csrf_token

    strategic, plain = shared_item
    item = session.scalar(select(Item).where(Item.sku == "CP-981"))
    site = session.scalar(select(Site).where(Site.code == "PL98"))
    session.add(
        InventoryPosition(
            item_id=item.id,
            site_id=site.id,
            on_hand=Decimal(1234),
            allocated=Decimal(0),
            on_order=Decimal(500),
            safety_stock=Decimal(200),
            daily_usage=Decimal(100),
            as_of=utcnow(),
        )
    )
    make_account(session, "u@sup981.example.com", partners=(strategic,))
    make_account(session, "u@sup982.example.com", partners=(plain,))

    sign_in(client, "u@sup982.example.com")
    page = client.get("/supplier/inventory").get_data(as_text=True)
    table = page.split('data-testid="inventory-table"')[1].split("</table>")[0]
    assert '<td><span data-band="high">high</span></td>' in table  # 1234 on hand, banded
    assert "1,234" not in table
    assert "Safety stock" not in table
    why = page.split('data-testid="explained"')[1]
    assert (
        "On hand is shown as a band: out of stock up to 0, low over 0 up to 100, ok over 100 up to 1,000, "
        "and high over 1,000."
    ) in why
    assert "On order and safety stock are not shared with you." in why
    with client.get("/supplier/inventory.csv") as exported:
        lines = exported.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "sku,item,uom,site,on_hand,days_of_supply,as_of"
    assert lines[1].startswith("CP-981,Part CP-981,EA,PL98,high,ok,")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/supplier/")})

    sign_in(client, "u@sup981.example.com")
    table = client.get("/supplier/inventory").get_data(as_text=True).split('data-testid="inventory-table"')[1]
    assert "<td>1,234</td>" in table
    assert "<td>200</td>" in table  # safety stock, shared exactly with the strategic supplier
    assert 'data-testid="explained"' not in table  # everything exact: nothing to explain


def test_the_ledger_answers_what_a_partner_saw_about_an_item_and_under_which_version(session, shared_item):
    from policies import ledger

    strategic, plain = shared_item
    other_item = make_item(session, "CP-9810")  # a SKU that contains the other as a substring
    session.add(
        SourceListEntry(
            item_id=other_item.id,
            supplier_id=plain.id,
            lead_time_days=7,
            share_pct=Decimal(100),
            unit_price=Decimal(1),
        )
    )
    session.flush()
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    policies.disclose(session, viewer(plain, {"suppliers"}), "forecast", filters={"sku": "CP-981"})
    policies.disclose(
        session, viewer(plain, {"suppliers"}), "forecast", channel="export", filters={"sku": "CP-981"}
    )
    policies.disclose(
        session, viewer(strategic, {"strategic-suppliers"}), "forecast", filters={"sku": "CP-981"}
    )
    after = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)

    seen = ledger.query(session, partner_code="SUP-982", subject="CP-981", since=before, until=after)
    assert [(s.channel, s.dataset, s.policy_version) for s in seen] == [
        ("web", "forecast", 1),
        ("export", "forecast", 1),
    ]
    assert seen[0].fields["qty"] == "round:10:nearest"
    assert seen[0].rows == 12
    assert ledger.query(session, partner_code="SUP-982", subject="CP-981", since=after, until=after) == []
    assert ledger.query(session, partner_code="SUP-982", subject="CP-98", since=before, until=after) == []
