"""Answering purchase orders line by line, with the race between two users settled by the line's version."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from internal import purchasing
from internal.models import LineStatus, PurchaseOrderStatus
from tests.factories import make_account, make_partner, make_purchase_order


@pytest.fixture
def po(session):
    supplier = make_partner(session, "SUP-701", "supplier")
    account = make_account(session, "ack@sup701.example.com", partners=(supplier,))
    order = make_purchase_order(session, "PO-701", supplier, lines=3)
    return order, supplier, account


def answer(session, po, line_no, action, **kw):
    order, supplier, account = po
    line = order.lines[line_no - 1]
    return purchasing.acknowledge_line(
        session,
        account_id=account.id,
        partner_id=supplier.id,
        po_number=order.number,
        line_no=line_no,
        expected_version=kw.pop("expected_version", line.version),
        action=action,
        **kw,
    )


def test_answering_every_line_acknowledges_the_order(session, po):
    answer(session, po, 1, "accept")
    answer(session, po, 2, "reject", reason="Tooling not available before March")
    line = answer(session, po, 3, "propose", proposed_qty=Decimal(250), proposed_date=dt.date(2027, 1, 15))
    order = po[0]
    assert [ln.status for ln in order.lines] == [
        LineStatus.accepted,
        LineStatus.rejected,
        LineStatus.change_proposed,
    ]
    assert order.status is PurchaseOrderStatus.acknowledged
    (response,) = line.responses
    assert (response.action.value, response.proposed_qty, response.proposed_date) == (
        "propose",
        Decimal(250),
        dt.date(2027, 1, 15),
    )
    assert order.lines[1].responses[0].reason == "Tooling not available before March"


def test_the_order_stays_open_while_lines_are_unanswered(session, po):
    answer(session, po, 1, "accept")
    assert po[0].status is PurchaseOrderStatus.open


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"action": "reject"}, "Give a reason"),
        ({"action": "propose"}, "Propose a different quantity"),
        ({"action": "propose", "proposed_qty": Decimal(0)}, "above zero"),
        ({"action": "propose", "proposed_qty": Decimal(100)}, "same as the order"),
    ],
)
def test_incomplete_answers_are_refused_and_change_nothing(session, po, kwargs, message):
    action = kwargs.pop("action")
    with pytest.raises(purchasing.AnswerRefused, match=message):
        answer(session, po, 1, action, **kwargs)
    assert po[0].lines[0].status is LineStatus.open
    assert po[0].lines[0].responses == []


def test_another_suppliers_line_does_not_exist(session, po):
    other = make_partner(session, "SUP-702", "supplier")
    order, _supplier, account = po
    with pytest.raises(purchasing.DocumentNotFound):
        purchasing.acknowledge_line(
            session,
            account_id=account.id,
            partner_id=other.id,
            po_number=order.number,
            line_no=1,
            expected_version=1,
            action="accept",
        )


def test_an_answer_to_a_line_shown_before_someone_else_answered_is_refused(session, po):
    shown_version = po[0].lines[0].version
    answer(session, po, 1, "accept", expected_version=shown_version)
    with pytest.raises(purchasing.LineChanged):
        answer(session, po, 1, "reject", reason="too late", expected_version=shown_version)
    assert po[0].lines[0].status is LineStatus.accepted


def test_two_sessions_answering_at_once_one_wins(session, po, connection):
    """Both read version 1; the second flush finds its row changed underneath it."""
    order, supplier, account = po
    other = Session(bind=connection, join_transaction_mode="create_savepoint")
    mine = order.lines[0]
    theirs = other.get(type(mine), mine.id)
    assert theirs.version == mine.version == 1
    answer(session, po, 1, "accept", expected_version=1)
    with pytest.raises(purchasing.LineChanged):
        purchasing.acknowledge_line(
            other,
            account_id=account.id,
            partner_id=supplier.id,
            po_number=order.number,
            line_no=1,
            expected_version=1,
            action="reject",
            reason="no capacity",
        )
    other.close()


def test_a_closed_order_takes_no_answers(session, po):
    po[0].status = PurchaseOrderStatus.closed
    session.flush()
    with pytest.raises(purchasing.AnswerRefused, match="closed"):
        answer(session, po, 1, "accept")


def test_the_buyer_sees_the_suppliers_answers_in_the_console(session, po, console_client):
    from tests.factories import sign_in

    answer(session, po, 1, "accept")
    answer(session, po, 2, "propose", proposed_qty=Decimal(150), reason="two deliveries")
    make_account(session, "buyer701@example.com", staff_role="buyer")
    sign_in(console_client, "buyer701@example.com")
    listing = console_client.get("/purchase-orders?supplier=SUP-701").get_data(as_text=True)
    assert "PO-701" in listing
    assert "2 / 3" in listing
    page = console_client.get("/purchase-orders/PO-701").get_data(as_text=True)
    line2 = page.split('data-testid="line-2"')[1].split("</tr>")[0]
    assert "Change proposed" in line2
    assert "quantity 150" in line2
    assert "two deliveries" in line2
    assert "Ack" in line2  # the answering account's name
    assert console_client.get("/purchase-orders/PO-NOPE").status_code == 404
