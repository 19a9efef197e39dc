"""The demo enterprise: its size, its sign-ins, the relationships the portal's stories need, determinism."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, NamedTuple

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from internal.db import make_engine, make_session_factory
from internal.demo import DEMO_LOGINS, DEMO_PASSWORD, DemoAlreadyLoaded, DemoSummary, load_demo
from internal.migrate import upgrade
from internal.models import (
    Account,
    ForecastBucket,
    ForecastCommit,
    ForecastPlan,
    Invoice,
    Item,
    ItemKind,
    Membership,
    Partner,
    PartnerKind,
    PlanStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    SalesOrder,
    SalesOrderEvent,
    SalesOrderLine,
    ServiceRequest,
    ServiceRequestMessage,
    Shipment,
    ShipNotice,
    ShipNoticeLine,
    SourceListEntry,
)
from internal.passwords import verify_password

TODAY = dt.date(2026, 11, 25)  # a Wednesday
MONDAY = dt.date(2026, 11, 23)


class Loaded(NamedTuple):
    session: Session
    summary: DemoSummary


@pytest.fixture(scope="module")
def loaded(engine: Engine) -> Iterator[Loaded]:
    """The small demo, loaded once for the module's read-only tests and rolled back after them."""
    with engine.connect() as conn:
        trans = conn.begin()
        with make_session_factory(conn)() as session:
            yield Loaded(session, load_demo(session, "small", today=TODAY))
        trans.rollback()


def count(session: Session, model: Any, *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def partner(session: Session, code: str) -> Partner:
    return session.scalars(select(Partner).where(Partner.code == code)).one()


def test_small_demo_has_the_stated_size_and_reports_it(loaded):
    s, summary = loaded
    assert 18 <= count(s, Partner) <= 25
    assert count(s, Item) == 300
    assert count(s, SalesOrderLine) == 5000
    assert 5_000 <= count(s, ForecastBucket) <= 30_000
    assert summary.partners == count(s, Partner)
    assert summary.items == 300
    assert summary.sales_order_lines == 5000
    assert summary.forecast_buckets == count(s, ForecastBucket)
    assert summary.purchase_orders == count(s, PurchaseOrder) > 0
    assert summary.counts()["sales_order_lines"] == 5000
    assert summary.rows["sales_order_event"] == count(s, SalesOrderEvent)
    assert summary.scale == "small"
    assert summary.elapsed_seconds > 0


def test_partners_are_suppliers_customers_and_a_few_of_both_in_their_groups(loaded):
    s = loaded.session
    kinds = dict(s.execute(select(Partner.kind, func.count()).group_by(Partner.kind)).all())
    assert kinds[PartnerKind.supplier] >= 8
    assert kinds[PartnerKind.customer] >= 8
    assert 1 <= kinds[PartnerKind.both] <= 4
    codes = s.scalars(select(Partner.code).order_by(Partner.id)).all()
    assert codes[:2] == ["SUP-001", "SUP-002"]
    assert "CUS-001" in codes
    names = s.scalars(select(Partner.name)).all()
    assert len(set(names)) == len(names)
    # Company names read like companies: a legal form at the end.
    legal_forms = ("Ltd.", "GmbH", "AG", "KG", "Inc.", "LLC", "Corp.", "B.V.", "S.p.A.", "S.r.l.", "s.r.o.",
                   "a.s.", "C.V.", "Ltda.", "S.A.", "o.o.", "K.K.")  # fmt: skip
    assert all(n.endswith(legal_forms) for n in names)
    key_accounts = s.scalars(select(Partner).where(Partner.is_key_account)).all()
    assert key_accounts
    assert all("key-accounts" in {g.name for g in p.groups} for p in key_accounts)
    assert {g.name for g in partner(s, "SUP-001").groups} == {"suppliers", "strategic-suppliers"}
    assert {g.name for g in partner(s, "SUP-002").groups} == {"suppliers"}
    both = s.scalars(select(Partner).where(Partner.kind == PartnerKind.both)).first()
    assert {g.name for g in both.groups} >= {"suppliers", "customers"}


def test_demo_logins_exist_with_their_roles_and_the_published_password(loaded):
    s = loaded.session
    emails = [d.email for d in DEMO_LOGINS]
    accounts = {a.email: a for a in s.scalars(select(Account).where(Account.email.in_(emails)))}
    assert set(accounts) == set(emails)
    assert len(emails) == 7
    assert all(verify_password(a.password_hash, DEMO_PASSWORD) for a in accounts.values())
    assert not verify_password(accounts["buyer@example.com"].password_hash, "wrong-password")
    assert len({a.password_hash for a in accounts.values()}) == 1  # hashed once, shared

    def roles(email: str) -> set[tuple[str, str]]:
        members = s.scalars(select(Membership).where(Membership.account_id == accounts[email].id))
        return {(m.partner.code, m.role.value) for m in members}

    assert roles("supplier.user@example.com") == {("SUP-001", "user")}
    assert roles("supplier.admin@example.com") == {("SUP-001", "partner_admin"), ("SUP-002", "user")}
    assert roles("customer.user@example.com") == {("CUS-001", "user")}
    staff = {e: (a.is_staff, a.staff_role and a.staff_role.value) for e, a in accounts.items()}
    assert staff == {
        "supplier.user@example.com": (False, None),
        "supplier.admin@example.com": (False, None),
        "customer.user@example.com": (False, None),
        "policy.admin@example.com": (True, "policy_admin"),
        "staff.viewer@example.com": (True, "viewer"),
        "buyer@example.com": (True, "buyer"),
        "planner@example.com": (True, "planner"),
    }
    assert {d.email: d.app for d in DEMO_LOGINS} == {
        e: "console" if is_staff else "extranet" for e, (is_staff, _) in staff.items()
    }
    assert all(d.password == DEMO_PASSWORD for d in DEMO_LOGINS)
    assert count(s, Account, Account.is_staff) == 4  # the staff logins and no one else
    # Other demo accounts (partner contacts) cannot sign in: only the listed logins have a password.
    others = s.scalars(select(Account.password_hash).where(Account.email.not_in(emails))).all()
    assert others
    assert set(others) == {""}


def test_every_purchased_item_has_one_or_two_approved_suppliers_whose_shares_add_up(loaded):
    s = loaded.session
    per_item = s.execute(
        select(SourceListEntry.item_id, func.count(), func.sum(SourceListEntry.share_pct)).group_by(
            SourceListEntry.item_id
        )
    ).all()
    assert len(per_item) > 150
    assert {n for _, n, _ in per_item} == {1, 2}
    assert {Decimal(total) for _, _, total in per_item} == {Decimal(100)}
    kinds = set(s.scalars(select(Item.kind).join(SourceListEntry, SourceListEntry.item_id == Item.id)))
    assert kinds == {ItemKind.component, ItemKind.raw}
    supplier_kinds = set(
        s.scalars(select(Partner.kind).join(SourceListEntry, SourceListEntry.supplier_id == Partner.id))
    )
    assert supplier_kinds <= {PartnerKind.supplier, PartnerKind.both}
    assert count(s, SourceListEntry, SourceListEntry.lead_time_days <= 0) == 0


def test_the_strategic_supplier_supplies_many_items_and_has_open_orders_to_acknowledge(loaded):
    s = loaded.session
    sup1 = partner(s, "SUP-001")
    assert count(s, SourceListEntry, SourceListEntry.supplier_id == sup1.id) >= 30
    open_orders = s.scalars(
        select(PurchaseOrder).where(
            PurchaseOrder.supplier_id == sup1.id, PurchaseOrder.status == PurchaseOrderStatus.open
        )
    ).all()
    assert len(open_orders) >= 3
    assert all(line.status.value == "open" and line.qty > 0 for po in open_orders for line in po.lines)
    assert all(po.order_date < TODAY and po.buyer_id is not None for po in open_orders)
    statuses = set(s.scalars(select(PurchaseOrder.status).where(PurchaseOrder.supplier_id == sup1.id)))
    assert len(statuses) >= 3
    # Its commits to the published plan, and ship notices only for its own order lines.
    published = s.scalars(select(ForecastPlan).where(ForecastPlan.status == PlanStatus.published)).one()
    commits = s.scalars(select(ForecastCommit).where(ForecastCommit.supplier_id == sup1.id)).all()
    assert commits
    assert {c.plan_id for c in commits} == {published.id}
    assert all(c.week_start > published.frozen_until for c in commits)
    assert {c.status.value for c in commits} >= {"ok", "shortfall"}
    asn_suppliers = s.scalars(
        select(PurchaseOrder.supplier_id)
        .join(PurchaseOrderLine, PurchaseOrderLine.order_id == PurchaseOrder.id)
        .join(ShipNoticeLine, ShipNoticeLine.po_line_id == PurchaseOrderLine.id)
        .join(ShipNotice, ShipNotice.id == ShipNoticeLine.notice_id)
        .where(ShipNotice.supplier_id == sup1.id)
    ).all()
    assert asn_suppliers
    assert set(asn_suppliers) == {sup1.id}


def test_the_demo_customer_has_orders_shipments_invoices_and_service_requests(loaded):
    s = loaded.session
    cus1 = partner(s, "CUS-001")
    for model in (SalesOrder, Shipment, Invoice, ServiceRequest):
        assert count(s, model, model.customer_id == cus1.id) >= 5, model.__name__
    order_statuses = set(s.scalars(select(SalesOrder.status).where(SalesOrder.customer_id == cus1.id)))
    assert len(order_statuses) >= 4
    shipped = s.scalars(
        select(Shipment).where(Shipment.customer_id == cus1.id, Shipment.status != "planned")
    ).all()
    assert shipped
    assert all(sh.carrier and sh.tracking_number and sh.shipped_at for sh in shipped)
    order = s.scalars(
        select(SalesOrder).where(SalesOrder.customer_id == cus1.id, SalesOrder.status == "invoiced")
    ).first()
    assert [e.status.value for e in order.events] == [
        "received", "confirmed", "in_production", "shipped", "delivered", "invoiced",
    ]  # fmt: skip
    assert order.total_amount == sum(line.qty * line.unit_price for line in order.lines)
    customer_user = s.scalars(select(Account).where(Account.email == "customer.user@example.com")).one()
    request = s.scalars(
        select(ServiceRequest).where(ServiceRequest.customer_id == cus1.id, ServiceRequest.status == "closed")
    ).first()
    assert request.opened_by_id == customer_user.id
    assert request.messages[0].author_id == customer_user.id
    assert count(s, ServiceRequestMessage, ServiceRequestMessage.internal_only) > 0


def test_forecast_has_a_published_and_a_superseded_version_in_weekly_buckets(loaded):
    s = loaded.session
    plans = s.scalars(select(ForecastPlan).order_by(ForecastPlan.version)).all()
    assert [(p.version, p.status) for p in plans] == [(1, PlanStatus.superseded), (2, PlanStatus.published)]
    assert plans[1].horizon_start == MONDAY
    assert plans[1].weeks == 26
    assert plans[0].horizon_start == MONDAY - dt.timedelta(weeks=1)
    weeks = set(s.scalars(select(ForecastBucket.week_start).where(ForecastBucket.plan_id == plans[1].id)))
    assert min(weeks) == MONDAY
    assert len(weeks) == 26
    assert all(w.weekday() == 0 for w in weeks)
    # Forecast only for what is bought or sold: never for an in-house part that isn't a spare.
    kinds = set(s.scalars(select(Item.kind).join(ForecastBucket, ForecastBucket.item_id == Item.id)))
    assert kinds == {ItemKind.finished, ItemKind.component, ItemKind.raw}


def test_forecast_keeps_the_customer_driving_demand_or_else_the_channel(loaded):
    s = loaded.session
    total = count(s, ForecastBucket)
    with_customer = count(s, ForecastBucket, ForecastBucket.customer_id.is_not(None))
    with_channel = count(s, ForecastBucket, ForecastBucket.channel != "")
    assert 0.2 * total < with_customer < 0.8 * total
    assert with_customer + with_channel == total  # exactly one of the two
    channels = set(s.scalars(select(ForecastBucket.channel).where(ForecastBucket.channel != "")))
    assert channels <= {"retail", "distribution", "spares", "internal"}
    assert "internal" in channels
    key_demand = count(
        s,
        ForecastBucket,
        ForecastBucket.customer_id.in_(select(Partner.id).where(Partner.is_key_account)),
    )
    assert key_demand > 0
    assert count(s, ForecastBucket, ForecastBucket.customer_id == partner(s, "CUS-001").id) > 0


def test_dates_are_anchored_on_today_and_timestamps_are_utc(loaded):
    s = loaded.session
    assert s.scalar(select(func.max(SalesOrder.order_date))) < TODAY
    latest_event = s.scalar(select(SalesOrderEvent).order_by(SalesOrderEvent.at.desc()).limit(1))
    assert latest_event.at.tzinfo == dt.UTC
    assert latest_event.at.date() < TODAY
    requested = s.scalar(select(func.max(SalesOrder.requested_date)))
    assert requested > TODAY  # some orders are still open
    assert isinstance(s.scalar(select(SalesOrder.total_amount).limit(1)), Decimal)


def test_loading_into_a_database_with_partners_is_refused(loaded):
    s = loaded.session
    before = count(s, Partner)
    with pytest.raises(DemoAlreadyLoaded):
        load_demo(s, "small", today=TODAY)
    assert count(s, Partner) == before


def test_an_unknown_scale_is_refused_with_the_choices(loaded):
    with pytest.raises(ValueError, match="small, large"):
        load_demo(loaded.session, "medium")


def snapshot(url: str, *, seed: int, before: Any = None) -> tuple[Any, ...]:
    upgrade(url)
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as s:
            if before:
                before(s)
            load_demo(s, "small", seed=seed, today=TODAY)
            s.commit()
            return (
                s.execute(select(Partner.code, Partner.name, Partner.country).order_by(Partner.code)).all(),
                s.execute(select(Item.sku, Item.name, Item.standard_cost).order_by(Item.sku)).all(),
                s.scalar(select(func.sum(SalesOrder.total_amount))),
                s.scalar(select(func.sum(ForecastBucket.qty))),
                s.scalar(select(func.count()).select_from(PurchaseOrderLine)),
            )
    finally:
        engine.dispose()


def test_the_same_seed_gives_the_same_enterprise_and_another_seed_another(tmp_path):
    def existing_staff(s: Session) -> None:
        # Ids are assigned by the demo; an account made before must neither collide nor change it.
        s.add(Account(email="first.admin@example.com", name="First Admin", is_staff=True))
        s.flush()

    first = snapshot(f"sqlite:///{tmp_path / 'a.db'}", seed=20261125)
    second = snapshot(f"sqlite:///{tmp_path / 'b.db'}", seed=20261125, before=existing_staff)
    other = snapshot(f"sqlite:///{tmp_path / 'c.db'}", seed=7)
    assert first == second
    assert [code for code, _, _ in first[0]][:2] == ["CUS-001", "CUS-002"]
    assert other[0] != first[0]
    assert [code for code, _, _ in other[0]] == [code for code, _, _ in first[0]]


def test_the_demo_customer_has_ship_to_sites_overdue_invoices_and_a_request_awaiting_a_reply(loaded):
    from internal.models import ShipToSite

    s = loaded.session
    cus1 = partner(s, "CUS-001")
    sites = s.scalars(select(ShipToSite.code).where(ShipToSite.customer_id == cus1.id)).all()
    assert sorted(sites) == ["MAIN", "NORTH", "SERVICE"]
    per_site = dict(
        s.execute(
            select(ShipToSite.code, func.count())
            .join(SalesOrder, SalesOrder.ship_to_id == ShipToSite.id)
            .where(SalesOrder.customer_id == cus1.id)
            .group_by(ShipToSite.code)
        ).all()
    )
    assert set(per_site) == {"MAIN", "NORTH", "SERVICE"}
    assert count(s, SalesOrder, SalesOrder.ship_to_id.is_(None)) == 0
    assert count(s, Invoice, Invoice.customer_id == cus1.id, Invoice.status == "overdue") >= 1
    waiting = s.scalars(
        select(ServiceRequest).where(ServiceRequest.customer_id == cus1.id, ServiceRequest.status == "open")
    ).all()
    contact = cus1_contact(s)
    # Awaiting a reply: only the customer has written so far.
    assert any(r.messages and all(m.author_id == contact for m in r.messages) for r in waiting)
    assert count(s, Item, Item.kind == "finished", Item.lead_time_days.is_not(None)) > 0


def cus1_contact(s: Session) -> int:
    return s.scalars(select(Account.id).where(Account.email == "customer.user@example.com")).one()


def test_the_seeded_commits_are_flagged_as_the_planning_service_flags_them(loaded):
    """Each seeded commit, judged again by the service under the active policy, keeps its figure and flag."""
    import policies
    from internal import planning
    from internal.models import Item, Site
    from portal.disclosure import commit_terms

    s = loaded.session
    nested = s.begin_nested()
    try:
        checked = {}
        for code, groups in (("SUP-001", {"suppliers", "strategic-suppliers"}), ("SUP-002", {"suppliers"})):
            sup = partner(s, code)
            who = policies.Viewer(None, sup.id, code, "supplier", frozenset(groups))
            seeded = s.execute(
                select(ForecastCommit, Item.sku, Site.code)
                .join(Item, Item.id == ForecastCommit.item_id)
                .join(Site, Site.id == ForecastCommit.site_id)
                .where(ForecastCommit.supplier_id == sup.id)
            ).all()
            before = {c.id: (c.forecast_qty, c.status.value) for c, _sku, _site in seeded}
            # A new comment makes each entry a change, so the service judges every one of them again.
            entries = [
                planning.CommitEntry(sku, site, c.week_start, c.committed_qty, "judged again")
                for c, sku, site in seeded
            ]
            terms = commit_terms(s, who)
            again = planning.commit_forecast(
                s, account_id=cus1_contact(s), partner_id=sup.id, entries=entries, today=TODAY, **terms
            )
            assert {c.id: (c.forecast_qty, c.status.value) for c in again} == before
            checked[code] = {status for _qty, status in before.values()}
        # Both suppliers have commits, and the strategic one shows every kind of flag.
        assert checked["SUP-001"] == {"ok", "shortfall", "surplus"}
        assert checked["SUP-002"]
    finally:
        nested.rollback()


def test_on_the_demo_the_rows_the_home_page_and_a_save_agree_on_every_flag(loaded):
    """SUP-001's seeded commits as its user sees them: each row's flag is its own figures' flag, the home
    page's "N committed against M" is the row's share, and saving one row leaves every other row as it was."""
    import re
    from html import unescape

    import portal
    from internal import planning
    from internal.models import Item
    from tests.conftest import app_config
    from tests.factories import csrf_token, sign_in

    s = loaded.session
    nested = s.begin_nested()
    try:
        client = portal.create_app(app_config(s.connection())).test_client()
        sign_in(client, "supplier.user@example.com", DEMO_PASSWORD)

        def rows(sku: str) -> dict[str, tuple[str, str, str]]:
            page = client.get(f"/supplier/forecast?sku={sku}").get_data(as_text=True)
            found = {}
            for chunk in page.split('data-testid="week-')[1:]:
                week, row = chunk.split('"', 1)[0], chunk.split("</tr>")[0]
                share = re.search(r'data-testid="share-[^"]+">([^<]*)<', row)
                commit = re.search(r'name="commit-[^"]+" value="([^"]*)"', row)
                flag = re.search(r'data-testid="flag-[^"]+">([^<]*)<', row)
                found[week] = (
                    share.group(1) if share else "",
                    commit.group(1) if commit else "",
                    flag.group(1) if flag else "",
                )
            return found

        def number(text: str) -> Decimal:
            return Decimal(text.replace(",", ""))

        sup1 = partner(s, "SUP-001")
        skus = s.scalars(
            select(Item.sku)
            .join(ForecastCommit, ForecastCommit.item_id == Item.id)
            .where(ForecastCommit.supplier_id == sup1.id)
            .distinct()
            .order_by(Item.sku)
        ).all()
        label = {"ok": "OK", "shortfall": "Shortfall", "surplus": "Surplus"}
        before = {sku: rows(sku) for sku in skus}
        for sku, weeks in before.items():
            for share, commit, flag in weeks.values():
                if commit:
                    assert flag == label[planning.classify(number(commit), number(share)).value], sku

        home = client.get("/supplier/").get_data(as_text=True)
        listed = re.findall(
            r'sku=([^"&]+)">[^<]*</a> · [^·]+ · ([^:]+): ([\d,.]+) committed against ([\d,.]+)', home
        )
        assert listed
        for sku, _date, committed, against in listed:
            matching = [w for w in before[sku].values() if w[1] and number(w[1]) == number(committed)]
            assert any(w[0] == against and w[2] == "Shortfall" for w in matching), (sku, committed, against)

        # Save one row of the first item, posting every field of its form as a browser does.
        sku = skus[0]
        page = client.get(f"/supplier/forecast?sku={sku}").get_data(as_text=True)
        (form,) = [f.split("</form>")[0] for f in page.split("<form") if 'data-testid="forecast-table"' in f]
        fields = {
            unescape(n): unescape(v)
            for n, v in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form)
        }
        changed = next(n for n, v in fields.items() if n.startswith("commit-") and v)
        fields[changed] = str(number(fields[changed]) + 1)
        fields["csrf_token"] = csrf_token(client, "/supplier/forecast")
        revisions = dict(s.execute(select(ForecastCommit.id, ForecastCommit.revision)).all())
        assert client.post("/supplier/forecast", data=fields).status_code == 302
        after = rows(sku)
        week = changed[-10:]
        assert {w: r for w, r in after.items() if w != week} == {
            w: r for w, r in before[sku].items() if w != week
        }
        s.expire_all()
        bumped = {
            i for i, r in s.execute(select(ForecastCommit.id, ForecastCommit.revision)) if r != revisions[i]
        }
        assert len(bumped) == 1
    finally:
        nested.rollback()
