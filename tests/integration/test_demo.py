"""The demo enterprise: sizes, logins, the relationships the portal's stories need, determinism."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from internal.db import make_engine, make_session_factory
from internal.demo import DEMO_LOGINS, DEMO_PASSWORD, DemoAlreadyLoaded, load_demo
from internal.migrate import upgrade
from internal.models import (
    Account,
    ForecastBucket,
    ForecastPlan,
    Invoice,
    Item,
    Membership,
    Partner,
    PlanStatus,
    PurchaseOrder,
    PurchaseOrderStatus,
    SalesOrder,
    SalesOrderLine,
    ServiceRequest,
    Shipment,
    SourceListEntry,
)
from internal.passwords import verify_password

TODAY = dt.date(2026, 11, 25)


def count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def demo(session):
    return load_demo(session, "small", today=TODAY)


def partner_id(session, code):
    return session.scalar(select(Partner.id).where(Partner.code == code))


def test_small_demo_has_the_stated_size(session, demo):
    assert 18 <= count(session, Partner) <= 25
    assert count(session, Item) == 300
    assert count(session, SalesOrderLine) == 5000
    plan = session.scalar(select(ForecastPlan).where(ForecastPlan.status == PlanStatus.published))
    assert plan.weeks == 26
    assert plan.horizon_start == dt.date(2026, 11, 23)  # the Monday of TODAY's week
    assert demo.rows["sales_order_line"] == 5000


def test_demo_logins_exist_with_their_roles_and_the_published_password(session, demo):
    accounts = {
        a.email: a
        for a in session.scalars(select(Account).where(Account.email.in_([d.email for d in DEMO_LOGINS])))
    }
    assert set(accounts) == {d.email for d in DEMO_LOGINS}
    assert all(verify_password(a.password_hash, DEMO_PASSWORD) for a in accounts.values())
    roles = {
        (m.partner.code, m.role.value)
        for m in session.scalars(
            select(Membership).where(Membership.account_id == accounts["supplier.admin@example.com"].id)
        )
    }
    assert roles == {("SUP-001", "partner_admin"), ("SUP-002", "user")}
    assert accounts["policy.admin@example.com"].staff_role.value == "policy_admin"
    assert accounts["staff.viewer@example.com"].staff_role.value == "viewer"
    assert not accounts["customer.user@example.com"].is_staff


def test_the_strategic_supplier_has_items_orders_and_groups(session, demo):
    sup1 = session.scalar(select(Partner).where(Partner.code == "SUP-001"))
    assert {g.name for g in sup1.groups} == {"suppliers", "strategic-suppliers"}
    assert count(session, SourceListEntry, SourceListEntry.supplier_id == sup1.id) >= 30
    assert (
        count(
            session,
            PurchaseOrder,
            PurchaseOrder.supplier_id == sup1.id,
            PurchaseOrder.status == PurchaseOrderStatus.open,
        )
        >= 1
    )


def test_the_demo_customer_has_every_kind_of_document(session, demo):
    cus1 = partner_id(session, "CUS-001")
    for model in (SalesOrder, Shipment, Invoice, ServiceRequest):
        assert count(session, model, model.customer_id == cus1) > 0, model.__name__


def test_forecast_keeps_the_customer_driving_demand_or_the_channel(session, demo):
    with_customer = count(session, ForecastBucket, ForecastBucket.customer_id.is_not(None))
    with_channel = count(session, ForecastBucket, ForecastBucket.channel != "")
    assert with_customer > 0
    assert with_channel > 0
    assert with_customer + with_channel == count(session, ForecastBucket)
    assert count(session, Partner, Partner.is_key_account) >= 1


def test_loading_twice_is_refused(session, demo):
    with pytest.raises(DemoAlreadyLoaded):
        load_demo(session, "small", today=TODAY)


def test_an_unknown_scale_is_refused_with_the_choices(session):
    with pytest.raises(ValueError, match="small, large"):
        load_demo(session, "medium")


def test_same_seed_gives_the_same_enterprise(tmp_path):
    snapshots = []
    for n in (1, 2):
        url = f"sqlite:///{tmp_path / f'demo{n}.db'}"
        upgrade(url)
        engine = make_engine(url)
        with make_session_factory(engine)() as s:
            load_demo(s, "small", today=TODAY)
            snapshots.append(
                (
                    s.execute(select(Partner.code, Partner.name).order_by(Partner.id)).all(),
                    s.execute(select(Item.sku, Item.name, Item.standard_cost).order_by(Item.id)).all(),
                    s.scalar(select(func.sum(SalesOrder.total_amount))),
                )
            )
        engine.dispose()
    assert snapshots[0] == snapshots[1]
    assert snapshots[0][0][0][0] == "SUP-001"
