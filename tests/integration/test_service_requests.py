"""Service requests: a customer opens one and writes; staff answer from the console inbox; the customer's
users are e-mailed the reply through the gate; internal notes never reach the customer."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from internal.models import DisclosureRecord, ServiceRequest, ServiceRequestStatus
from tests.conftest import app_config
from tests.factories import csrf_token, make_account, make_partner, make_sales_order, sign_in
from tests.smtp_sink import smtp_sink  # noqa: F401 - pytest fixture


@pytest.fixture
def world(session):
    mine = make_partner(session, "CUS-801", "customer")
    theirs = make_partner(session, "CUS-802", "customer")
    make_sales_order(session, "SO-801-1", mine)
    make_sales_order(session, "SO-802-1", theirs)
    make_account(session, "a@cus801.example.com", partners=(mine,), name="Ada Buyer")
    make_account(session, "b@cus801.example.com", partners=(mine,))
    make_account(session, "x@cus802.example.com", partners=(theirs,))
    make_account(session, "desk801@example.com", staff_role="buyer", name="Dana Desk")
    make_account(session, "viewer801@example.com", staff_role="viewer")
    return {"mine": mine, "theirs": theirs}


def open_request(client, **fields):
    token = csrf_token(client, "/customer/service-requests/new")
    return client.post(
        "/customer/service-requests/new", data={"csrf_token": token, **fields}, follow_redirects=False
    )


def test_a_customer_opens_a_request_about_its_order_and_reads_it(client, session, world):
    sign_in(client, "a@cus801.example.com")
    form = client.get("/customer/service-requests/new?order=SO-801-1").get_data(as_text=True)
    assert '<option selected value="SO-801-1">' in form
    response = open_request(
        client, subject="Pump leaks", order_number="SO-801-1", sku="SO-801-1-1", body="Water everywhere."
    )
    assert response.status_code == 302
    created = session.scalar(select(ServiceRequest).where(ServiceRequest.subject == "Pump leaks"))
    assert created.customer_id == world["mine"].id
    assert created.status == ServiceRequestStatus.open
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Pump leaks" in page
    assert "SO-801-1" in page
    assert "Water everywhere." in page
    assert created.number in client.get("/customer/service-requests").get_data(as_text=True)
    assert created.number in client.get("/customer/").get_data(as_text=True)


def test_a_request_about_another_customers_order_is_refused_and_keeps_what_was_typed(client, world):
    sign_in(client, "a@cus801.example.com")
    response = open_request(client, subject="Where is it?", order_number="SO-802-1", body="Please check.")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "You have no order SO-802-1." in page
    assert 'value="Where is it?"' in page
    assert "Please check." in page
    missing = open_request(client, subject="", body="")
    assert missing.status_code == 400
    assert "Say in a few words what it is about." in missing.get_data(as_text=True)
    unknown_item = open_request(client, subject="Spare", sku="NOPE-1", body="Need one.")
    assert "There is no item NOPE-1: check the item code." in unknown_item.get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_refused(client, world):
    sign_in(client, "a@cus801.example.com")
    response = client.post("/customer/service-requests/new", data={"subject": "x", "body": "y"})
    assert response.status_code == 400


def test_staff_reply_reaches_the_customer_by_page_and_email_but_a_note_does_not(
    session,
    connection,
    smtp_sink,  # noqa: F811 - the fixture imported above
    world,
):
    import internal
    import portal

    inbox, port = smtp_sink
    config = app_config(connection, SMTP_HOST="127.0.0.1", SMTP_PORT=port, EXTRANET_URL="http://portal.test")
    extranet = portal.create_app(config).test_client()
    staff = internal.create_app(config).test_client()
    sign_in(extranet, "a@cus801.example.com")
    location = open_request(extranet, subject="Invoice question", body="Why two invoices?").headers[
        "Location"
    ]
    number = location.rsplit("/", 1)[1]

    sign_in(staff, "desk801@example.com")
    listed = staff.get("/service-requests").get_data(as_text=True)
    assert number in listed
    assert "CUS-801" in listed
    token = csrf_token(staff, f"/service-requests/{number}")
    note = staff.post(
        f"/service-requests/{number}",
        data={
            "csrf_token": token,
            "body": "Credit note pending.",
            "status": "in_progress",
            "internal_only": "y",
        },
    )
    assert note.status_code == 302
    reply = staff.post(
        f"/service-requests/{number}",
        data={
            "csrf_token": token,
            "body": "The second one is a credit note.",
            "status": "waiting_on_customer",
        },
    )
    assert reply.status_code == 302

    mails = inbox.wait_for(2)
    assert sorted(m["To"] for m in mails) == ["a@cus801.example.com", "b@cus801.example.com"]
    text = mails[0].get_content()
    assert "The second one is a credit note." in text
    assert "Credit note pending." not in text
    assert f"http://portal.test/customer/service-requests/{number}" in text
    emailed = session.scalars(
        select(DisclosureRecord.dataset).where(DisclosureRecord.channel == "email")
    ).all()
    assert sorted(set(emailed)) == ["service_request_messages", "service_requests"]

    page = extranet.get(location).get_data(as_text=True)
    assert "The second one is a credit note." in page
    assert "Credit note pending." not in page
    assert "Waiting for your answer" in page
    assert "Dana Desk" in page

    # The customer answers: the request is back in the inbox as awaiting a reply.
    answer = extranet.post(location, data={"csrf_token": csrf_token(extranet, location), "body": "Thanks!"})
    assert answer.status_code == 302
    assert number in staff.get("/service-requests").get_data(as_text=True)


def test_only_answering_staff_reply_and_the_extranet_has_no_inbox(client, console_client, session, world):
    make_partner(session, "CUS-803", "customer")
    sign_in(client, "a@cus801.example.com")
    number = open_request(client, subject="Hello", body="Hi").headers["Location"].rsplit("/", 1)[1]
    assert client.get("/service-requests").status_code == 404
    sign_in(console_client, "viewer801@example.com")
    assert number in console_client.get("/service-requests").get_data(as_text=True)
    token = csrf_token(console_client, "/")
    refused = console_client.post(f"/service-requests/{number}", data={"csrf_token": token, "body": "x"})
    assert refused.status_code == 403


def test_another_customers_request_is_404_and_cannot_be_written_to(client, session, world):
    sign_in(client, "x@cus802.example.com")
    theirs = open_request(client, subject="Theirs", body="Private").headers["Location"].rsplit("/", 1)[1]
    client.post("/logout", data={"csrf_token": csrf_token(client, "/customer/")})
    sign_in(client, "a@cus801.example.com")
    assert client.get(f"/customer/service-requests/{theirs}").status_code == 404
    token = csrf_token(client, "/customer/service-requests/new")
    assert (
        client.post(
            f"/customer/service-requests/{theirs}", data={"csrf_token": token, "body": "hi"}
        ).status_code
        == 404
    )
    assert theirs not in client.get("/customer/service-requests").get_data(as_text=True)
