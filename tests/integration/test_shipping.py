"""Ship notices: quantities beyond what is open are refused clearly, and nothing is half-written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from internal import shipping
from internal.models import PurchaseOrderStatus, ShipNotice
from internal.shipping import NoticeLine
from tests.factories import make_account, make_partner, make_purchase_order

SHIP = dt.date(2026, 11, 26)


@pytest.fixture
def supplier(session):
    partner = make_partner(session, "SUP-801", "supplier")
    account = make_account(session, "ship@sup801.example.com", partners=(partner,))
    first = make_purchase_order(session, "PO-801", partner, lines=2)  # 100 and 200 EA
    second = make_purchase_order(session, "PO-802", partner, lines=1)
    return partner, account, first, second


def notice(session, supplier, lines, **kw):
    partner, account, *_ = supplier
    args = {
        "ship_date": SHIP,
        "expected_arrival": SHIP + dt.timedelta(days=4),
        "carrier": "DB Schenker",
        "tracking_number": " 00340434161234567890 ",
    } | kw
    return shipping.create_ship_notice(
        session, account_id=account.id, partner_id=partner.id, lines=lines, **args
    )


def test_a_notice_covers_lines_of_several_orders_and_counts_them_shipped(session, supplier):
    _partner, _account, first, second = supplier
    created = notice(
        session, supplier, [NoticeLine("PO-801", 1, Decimal(60)), NoticeLine("PO-802", 1, Decimal(100))]
    )
    assert created.number.startswith("ASN-")
    assert created.tracking_number == "00340434161234567890"
    assert {ln.qty for ln in created.lines} == {Decimal(60), Decimal(100)}
    assert first.lines[0].shipped_qty == Decimal(60)
    assert first.status is second.status is PurchaseOrderStatus.partially_shipped
    assert shipping.open_quantity(first.lines[0]) == Decimal(40)


def test_more_than_is_open_is_refused_with_the_open_quantity(session, supplier):
    notice(session, supplier, [NoticeLine("PO-801", 1, Decimal(60))])
    with pytest.raises(shipping.ShipNoticeRefused) as refused:
        notice(
            session, supplier, [NoticeLine("PO-801", 1, Decimal(30)), NoticeLine("PO-801", 1, Decimal(20))]
        )
    assert refused.value.errors == ["PO-801 line 1: 50 is more than the 40 EA still open."]
    assert session.scalar(select(func.count()).select_from(ShipNotice)) == 1
    assert supplier[2].lines[0].shipped_qty == Decimal(60)


def test_every_problem_is_reported_at_once(session, supplier):
    other = make_partner(session, "SUP-802", "supplier")
    make_purchase_order(session, "PO-OTHER", other, lines=1)
    with pytest.raises(shipping.ShipNoticeRefused) as refused:
        notice(
            session,
            supplier,
            [NoticeLine("PO-OTHER", 1, Decimal(1)), NoticeLine("PO-801", 2, Decimal(0))],
            carrier=" ",
            expected_arrival=SHIP - dt.timedelta(days=1),
        )
    assert refused.value.errors == [
        "Name the carrier.",
        "The expected arrival cannot be before the ship date.",
        "PO-801 line 2: the quantity must be above zero.",
        "PO-OTHER line 1: there is no such purchase-order line.",
    ]


def test_an_empty_notice_is_refused(session, supplier):
    with pytest.raises(shipping.ShipNoticeRefused, match="at least one"):
        notice(session, supplier, [])


def test_a_cancelled_order_cannot_be_shipped(session, supplier):
    supplier[3].status = PurchaseOrderStatus.cancelled
    session.flush()
    with pytest.raises(shipping.ShipNoticeRefused, match="cannot be shipped"):
        notice(session, supplier, [NoticeLine("PO-802", 1, Decimal(1))])
