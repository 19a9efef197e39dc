"""E-mails to partners pass the gate: each recipient's disclosure is recorded on the e-mail channel."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from internal.models import DisclosureRecord
from tests.conftest import app_config
from tests.factories import csrf_token, make_account, make_partner, make_purchase_order, sign_in
from tests.smtp_sink import smtp_sink  # noqa: F401 - pytest fixture


def test_a_buyer_emails_the_suppliers_users_about_an_order(session, connection, smtp_sink):  # noqa: F811
    import internal

    inbox, port = smtp_sink
    console = internal.create_app(
        app_config(connection, SMTP_HOST="127.0.0.1", SMTP_PORT=port, EXTRANET_URL="http://portal.test")
    )
    supplier = make_partner(session, "SUP-961", "supplier")
    other = make_partner(session, "SUP-962", "supplier")
    first = make_account(session, "one@sup961.example.com", partners=(supplier,))
    make_account(session, "two@sup961.example.com", partners=(supplier,))
    make_account(session, "pending@sup961.example.com", partners=(supplier,), password_hash="")
    make_account(session, "x@sup962.example.com", partners=(other,))
    make_purchase_order(session, "PO-961", supplier, lines=2)
    make_account(session, "buyer961@example.com", staff_role="buyer")
    staff = console.test_client()
    sign_in(staff, "buyer961@example.com")

    response = staff.post("/purchase-orders/PO-961/notify", data={"csrf_token": csrf_token(staff, "/")})
    assert response.status_code == 302
    mails = inbox.wait_for(2)
    assert sorted(m["To"] for m in mails) == ["one@sup961.example.com", "two@sup961.example.com"]
    body = mails[0].get_content()
    assert mails[0]["Subject"] == "New purchase order PO-961"
    assert "PO-961-1" in body
    assert "PO-961-2" in body
    assert "http://portal.test/supplier/purchase-orders/PO-961" in body
    records = session.scalars(
        select(DisclosureRecord).where(
            DisclosureRecord.channel == "email", DisclosureRecord.account_id == first.id
        )
    ).all()
    assert [r.dataset for r in records] == ["purchase_orders", "purchase_order_lines"]
    assert records[1].row_keys == [["PO-961", 1], ["PO-961", 2]]

    # After the order changes in the ERP, the buyer tells the supplier it changed.
    staff.post(
        "/purchase-orders/PO-961/notify", data={"csrf_token": csrf_token(staff, "/"), "change": "changed"}
    )
    changed = inbox.wait_for(4)[2:]
    assert {m["Subject"] for m in changed} == {"Purchase order PO-961 changed"}


def test_a_viewer_cannot_email_suppliers(console_client, session):
    make_partner(session, "SUP-963", "supplier")
    make_account(session, "viewer963@example.com", staff_role="viewer")
    sign_in(console_client, "viewer963@example.com")
    token = csrf_token(console_client, "/")
    assert console_client.post("/purchase-orders/PO-X/notify", data={"csrf_token": token}).status_code == 403


def test_publishing_a_plan_emails_each_supplier_what_its_own_policy_shows(session, connection, smtp_sink):  # noqa: F811
    import datetime as dt
    from decimal import Decimal

    import internal
    from internal.models import AuditEvent, ForecastBucket, ForecastPlan, SourceListEntry
    from tests.factories import make_item, make_site

    inbox, port = smtp_sink
    console = internal.create_app(
        app_config(connection, SMTP_HOST="127.0.0.1", SMTP_PORT=port, EXTRANET_URL="http://portal.test")
    )
    plain = make_partner(session, "SUP-951", "supplier", groups=("suppliers",))
    strategic = make_partner(session, "SUP-952", "supplier", groups=("suppliers", "strategic-suppliers"))
    bystander = make_partner(session, "SUP-953", "supplier", groups=("suppliers",))
    customer = make_partner(session, "CUS-951", "customer")
    make_account(session, "plan@sup951.example.com", partners=(plain,))
    make_account(session, "plan@sup952.example.com", partners=(strategic,))
    make_account(session, "plan@sup953.example.com", partners=(bystander,))
    site, item = make_site(session, "PL95"), make_item(session, "CP-951")
    for supplier in (plain, strategic):
        session.add(SourceListEntry(item_id=item.id, supplier_id=supplier.id, lead_time_days=5, unit_price=1))
    today = dt.date.today()  # noqa: DTZ011 - the policy's horizon counts from the real today
    monday = today - dt.timedelta(days=today.weekday())
    old = ForecastPlan(name="Plan 95", version=1, status="published", horizon_start=monday, weeks=2)
    new = ForecastPlan(name="Plan 95", version=2, status="draft", horizon_start=monday, weeks=2)
    session.add_all([old, new])
    session.flush()
    for plan, qty in ((old, 1000), (new, 1234)):
        for week in (monday, monday + dt.timedelta(weeks=1)):
            session.add(
                ForecastBucket(
                    plan_id=plan.id,
                    item_id=item.id,
                    site_id=site.id,
                    week_start=week,
                    qty=Decimal(qty),
                    customer_id=customer.id,
                )
            )
    session.flush()
    make_account(session, "buyer951@example.com", staff_role="buyer")
    staff = console.test_client()
    sign_in(staff, "buyer951@example.com")
    assert "Plan 95" in staff.get("/forecast-plans").get_data(as_text=True)

    response = staff.post(f"/forecast-plans/{new.id}/publish", data={"csrf_token": csrf_token(staff, "/")})
    assert response.status_code == 302
    mails = {m["To"]: m for m in inbox.wait_for(2)}
    assert sorted(mails) == ["plan@sup951.example.com", "plan@sup952.example.com"]  # not the bystander
    plain_body = mails["plan@sup951.example.com"].get_content()
    strategic_body = mails["plan@sup952.example.com"].get_content()
    assert mails["plan@sup951.example.com"]["Subject"] == "Demand plan version 2 is published"
    assert "CP-951" in plain_body
    assert "1230 EA (was 1000)" in plain_body  # rounded to 10, as the plain supplier's policy says
    assert "1234 EA (was 1000)" in strategic_body
    for body in (plain_body, strategic_body):
        assert "CUS-951" not in body
        assert "http://portal.test/supplier/forecast" in body
    session.refresh(old)
    session.refresh(new)
    assert (old.status.value, new.status.value) == ("superseded", "published")
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "forecast.published")) is not None
    emailed = session.scalars(
        select(DisclosureRecord.dataset).where(
            DisclosureRecord.channel == "email", DisclosureRecord.partner_id.in_([plain.id, strategic.id])
        )
    ).all()
    assert emailed == ["forecast", "forecast"]
    # Publishing it again is refused and sends nothing more.
    staff.post(f"/forecast-plans/{new.id}/publish", data={"csrf_token": csrf_token(staff, "/")})
    assert "Only a draft plan can be published." in staff.get("/forecast-plans").get_data(as_text=True)


def test_new_and_changed_orders_are_announced_once_each_without_anyone_asking(session, smtp_sink):  # noqa: F811
    from internal import config as settings
    from internal.demo import load_demo
    from internal.models import PurchaseOrder
    from portal.notifications import announce_purchase_orders

    inbox, port = smtp_sink
    config = settings.load(
        {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "EXTRANET_URL": "http://portal.test"}
    )
    load_demo(session, "small")
    # The demo's orders were sent to their suppliers before: nothing to announce.
    assert announce_purchase_orders(session, config) == 0
    supplier = make_partner(session, "SUP-941", "supplier")
    make_account(session, "orders@sup941.example.com", partners=(supplier,))
    order = make_purchase_order(session, "PO-941", supplier, lines=1)

    assert announce_purchase_orders(session, config) == 1
    (mail,) = inbox.wait_for(1)
    assert (mail["To"], mail["Subject"]) == ("orders@sup941.example.com", "New purchase order PO-941")
    assert announce_purchase_orders(session, config) == 0  # told once

    order.revision += 1  # the buyer changes the order in the ERP
    session.flush()
    assert announce_purchase_orders(session, config) == 1
    assert inbox.wait_for(2)[1]["Subject"] == "Purchase order PO-941 changed"
    assert announce_purchase_orders(session, config) == 0
    assert session.get(PurchaseOrder, order.id).notified_revision == 2
    assert len(inbox.messages) == 2


def test_an_order_whose_mail_fails_is_announced_on_the_next_sweep(session, smtp_sink):  # noqa: F811
    from internal import config as settings
    from portal.notifications import announce_purchase_orders
    from tests.smtp_sink import free_port

    inbox, port = smtp_sink
    supplier = make_partner(session, "SUP-942", "supplier")
    make_account(session, "orders@sup942.example.com", partners=(supplier,))
    order = make_purchase_order(session, "PO-942", supplier, lines=1)
    session.commit()
    nobody_listens = settings.load({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": free_port()})
    with pytest.raises(ConnectionRefusedError):
        announce_purchase_orders(session, nobody_listens)
    session.rollback()
    assert order.notified_revision == 0  # the claim rolled back with the failed send
    assert (
        announce_purchase_orders(session, settings.load({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port})) == 1
    )
    assert inbox.wait_for(1)[0]["Subject"] == "New purchase order PO-942"
