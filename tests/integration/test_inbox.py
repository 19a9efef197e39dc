"""The staff inbox: buyers decide suppliers' proposals, planners see shortfalls, and the desks are counted."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from internal import purchasing
from internal.models import (
    Account,
    AuditEvent,
    ForecastCommit,
    ForecastPlan,
    LineStatus,
    ProposalDecision,
    PurchaseOrderStatus,
    SalesOrder,
    ServiceRequest,
    ServiceRequestStatus,
)
from tests.conftest import app_config
from tests.factories import (
    csrf_token,
    make_account,
    make_item,
    make_partner,
    make_purchase_order,
    make_sales_order,
    make_site,
    sign_in,
)
from tests.smtp_sink import smtp_sink  # noqa: F401 - pytest fixture

NEW_DATE = dt.date(2027, 2, 1)


@pytest.fixture
def proposal(session):
    """PO-781, announced to its supplier, whose line 2 (200 ordered) the supplier proposes to make 150."""
    supplier = make_partner(session, "SUP-781", "supplier")
    account = make_account(session, "sales@sup781.example.com", partners=(supplier,))
    order = make_purchase_order(session, "PO-781", supplier, lines=2)
    order.notified_revision = order.revision  # the supplier was told about the order already
    line = order.lines[1]
    purchasing.acknowledge_line(
        session,
        account_id=account.id,
        partner_id=supplier.id,
        po_number="PO-781",
        line_no=2,
        expected_version=line.version,
        action="propose",
        reason="Capacity is booked until February.",
        proposed_qty=Decimal(150),
        proposed_date=NEW_DATE,
    )
    for email, role in (
        ("buyer781@example.com", "buyer"),
        ("planner781@example.com", "planner"),
        ("viewer781@example.com", "viewer"),
    ):
        make_account(session, email, staff_role=role)
    return order


def staff_client(app, email):
    client = app.test_client()
    sign_in(client, email)
    return client


def decide(client, step, version, **data):
    token = csrf_token(client, "/inbox")
    return client.post(
        f"/inbox/proposals/PO-781/2/{step}", data={"csrf_token": token, "version": str(version), **data}
    )


def test_a_buyer_accepts_a_proposal_the_line_changes_and_the_supplier_is_emailed(
    session,
    connection,
    proposal,
    client,
    smtp_sink,  # noqa: F811
):
    import internal

    mails, port = smtp_sink
    console = internal.create_app(
        app_config(connection, SMTP_HOST="127.0.0.1", SMTP_PORT=port, EXTRANET_URL="http://portal.test")
    )
    buyer = staff_client(console, "buyer781@example.com")
    page = buyer.get("/inbox").get_data(as_text=True)
    assert 'data-testid="proposal-PO-781-2"' in page
    assert "Capacity is booked until February." in page
    line = proposal.lines[1]

    response = decide(buyer, "accept", line.version)

    assert response.status_code == 302
    session.expire_all()
    assert (line.qty, line.need_by, line.status) == (Decimal(150), NEW_DATE, LineStatus.accepted)
    assert proposal.revision == 2
    assert line.responses[-1].decision is ProposalDecision.accepted
    (mail,) = mails.wait_for(1)
    assert (mail["To"], mail["Subject"]) == ("sales@sup781.example.com", "Purchase order PO-781 changed")
    body = mail.get_content()
    assert "Revision: 2" in body
    assert re.search(r"PO-781-2 +150\.000 EA +need by 2027-02-01", body)
    assert proposal.notified_revision == 2  # announced once: the sweep will not send it again
    audit = session.scalar(select(AuditEvent).where(AuditEvent.action == "purchase_order.proposal_accepted"))
    assert audit.detail["before"]["qty"] == "200.000"
    # Decided: it is gone from the inbox, and a second decision on the old version is refused.
    assert 'data-testid="proposal-PO-781-2"' not in buyer.get("/inbox").get_data(as_text=True)
    again = decide(buyer, "decline", line.version - 1, reason="late click")
    assert again.status_code == 302
    assert "changed since you opened the inbox" in buyer.get("/inbox").get_data(as_text=True)
    sign_in(client, "sales@sup781.example.com")
    supplier_page = client.get("/supplier/purchase-orders/PO-781").get_data(as_text=True)
    assert 'data-testid="decision-2">Your proposal was accepted.' in supplier_page


def test_declining_needs_a_reason_and_the_supplier_reads_it_on_its_order(
    session, connection, proposal, console, client
):
    buyer = staff_client(console, "buyer781@example.com")
    line = proposal.lines[1]

    empty = decide(buyer, "decline", line.version, reason="   ")

    assert empty.status_code == 400
    assert "Give the supplier a reason for declining the proposal." in empty.get_data(as_text=True)
    session.expire_all()
    assert line.status is LineStatus.change_proposed

    typed = "We need the full quantity by the date ordered."
    assert decide(buyer, "decline", line.version, reason=typed).status_code == 302
    session.expire_all()
    assert (line.qty, line.status) == (Decimal(200), LineStatus.open)
    assert proposal.status is PurchaseOrderStatus.open  # a line waits for the supplier's answer again
    assert proposal.revision == 1  # the order itself did not change
    assert line.responses[-1].decision_reason == typed
    order_page = buyer.get("/purchase-orders/PO-781").get_data(as_text=True)
    assert f"Buyer declined the proposal: {typed}" in order_page

    sign_in(client, "sales@sup781.example.com")
    supplier_page = client.get("/supplier/purchase-orders/PO-781").get_data(as_text=True)
    assert f"Your proposal was declined: {typed}" in supplier_page


def test_a_declined_reason_is_kept_when_it_is_too_long(session, proposal, console):
    buyer = staff_client(console, "buyer781@example.com")
    response = decide(buyer, "decline", proposal.lines[1].version, reason="x" * 401)
    assert response.status_code == 400
    assert "x" * 401 in response.get_data(as_text=True)  # what was typed is kept
    assert purchasing.count_awaiting_decision(session) == 1


def test_only_buyers_decide_proposals_and_only_staff_see_the_inbox(session, proposal, console):
    version = proposal.lines[1].version
    for email in ("planner781@example.com", "viewer781@example.com"):
        staff = staff_client(console, email)
        page = staff.get("/inbox").get_data(as_text=True)
        assert 'data-testid="proposal-PO-781-2"' in page
        assert "Accept the change" not in page
        assert decide(staff, "accept", version).status_code == 403
    anonymous = console.test_client()
    assert "/login" in anonymous.get("/inbox").headers["Location"]
    # A partner user cannot sign in to the console, so gets no further than an anonymous visitor.
    partner_user = console.test_client()
    sign_in(partner_user, "sales@sup781.example.com")
    refused = partner_user.get("/inbox")
    assert (refused.status_code, "/login" in refused.headers["Location"]) == (302, True)
    assert purchasing.count_awaiting_decision(session) == 1


def test_accepting_less_than_was_shipped_is_refused(session, proposal):
    line = proposal.lines[1]
    line.shipped_qty = Decimal(180)
    session.flush()
    with pytest.raises(purchasing.DecisionRefused, match="180"):
        purchasing.accept_proposal(
            session, account_id=None, po_number="PO-781", line_no=2, expected_version=line.version
        )


def test_the_inbox_counts_each_kind_and_lists_shortfalls_first_for_planners(session, console):
    supplier = make_partner(session, "SUP-782", "supplier")
    customer = make_partner(session, "CUS-782", "customer")
    make_account(session, "planner782@example.com", staff_role="planner")
    make_account(session, "buyer782@example.com", staff_role="buyer")
    site, item = make_site(session, "PL78"), make_item(session, "CP-782")
    monday = dt.date(2026, 11, 30)
    plan = ForecastPlan(
        name="Plan 78", version=1, status="published", horizon_start=monday, weeks=4, frozen_until=monday
    )
    session.add(plan)
    session.flush()
    for week, committed, status in ((1, 700, "shortfall"), (2, 1000, "ok"), (0, 100, "shortfall")):
        session.add(
            ForecastCommit(
                plan_id=plan.id,
                supplier_id=supplier.id,
                item_id=item.id,
                site_id=site.id,
                week_start=monday + dt.timedelta(weeks=week),
                committed_qty=Decimal(committed),
                forecast_qty=Decimal(1000),
                status=status,
                comment="Furnace relining" if week == 1 else "",
            )
        )
    make_sales_order(session, "SO-782", customer).draft = True
    session.add(
        ServiceRequest(
            number="SR-782",
            customer_id=customer.id,
            subject="Damaged pallet",
            status=ServiceRequestStatus.open,
        )
    )
    session.flush()

    planner = staff_client(console, "planner782@example.com")
    page = planner.get("/inbox").get_data(as_text=True)

    def count(kind: str) -> str:
        start = page.index(f'data-testid="count-{kind}"')
        return page[start : page.index("</span>", start)].rsplit(">", 1)[1]

    expected_service = session.query(ServiceRequest).filter(
        ServiceRequest.status.in_([ServiceRequestStatus.open, ServiceRequestStatus.in_progress])
    )
    assert count("shortfalls") == "1"  # the frozen week's shortfall is past changing; "ok" is no shortfall
    assert count("service") == str(expected_service.count())
    assert count("drafts") == str(session.query(SalesOrder).filter(SalesOrder.draft.is_(True)).count())
    assert "Furnace relining" in page
    assert page.index('data-testid="shortfalls"') < page.index('data-testid="proposals"')
    assert "/service-requests" in page
    assert "/sales-orders/drafts" in page
    chinese = planner.get("/inbox", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "供应商承诺中的短缺" in chinese
    buyer = staff_client(console, "buyer782@example.com").get("/inbox").get_data(as_text=True)
    assert buyer.index('data-testid="proposals"') < buyer.index('data-testid="shortfalls"')


def test_a_declined_proposal_the_supplier_replaces_waits_for_a_decision_again(session, proposal):
    line = proposal.lines[1]
    buyer = make_account(session, "buyer783@example.com", staff_role="buyer")
    purchasing.decline_proposal(
        session,
        account_id=buyer.id,
        po_number="PO-781",
        line_no=2,
        expected_version=line.version,
        reason="Full quantity, please.",
    )
    assert purchasing.proposals_awaiting_decision(session) == []
    supplier_user = session.scalar(select(Account).where(Account.email == "sales@sup781.example.com"))

    purchasing.acknowledge_line(
        session,
        account_id=supplier_user.id,
        partner_id=proposal.supplier_id,
        po_number="PO-781",
        line_no=2,
        expected_version=line.version,
        action="propose",
        proposed_date=NEW_DATE,
    )

    (waiting,) = purchasing.proposals_awaiting_decision(session)
    assert (waiting.po_number, waiting.line_no, waiting.proposed_qty, waiting.proposed_date) == (
        "PO-781",
        2,
        None,
        NEW_DATE,
    )
    assert waiting.line_version == line.version
    assert purchasing.count_awaiting_decision(session) == 1
