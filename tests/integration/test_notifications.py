"""E-mails to partners pass the gate: each recipient's disclosure is recorded on the e-mail channel."""

from __future__ import annotations

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


def test_a_viewer_cannot_email_suppliers(console_client, session):
    make_partner(session, "SUP-963", "supplier")
    make_account(session, "viewer963@example.com", staff_role="viewer")
    sign_in(console_client, "viewer963@example.com")
    token = csrf_token(console_client, "/")
    assert console_client.post("/purchase-orders/PO-X/notify", data={"csrf_token": token}).status_code == 403
