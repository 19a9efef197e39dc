"""Reorders become drafts that staff confirm, or nothing when an item is no longer sold; availability
shows only the items a customer buys, banded, with the lead time and why the figures are coarse."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from internal.models import AuditEvent, InventoryPosition, Item, OrderStatus, SalesOrder
from tests.factories import csrf_token, make_account, make_partner, make_sales_order, sign_in


@pytest.fixture
def world(session):
    mine = make_partner(session, "CUS-901", "customer")
    theirs = make_partner(session, "CUS-902", "customer")
    make_sales_order(session, "SO-901-1", mine)
    make_sales_order(session, "SO-902-1", theirs)
    make_account(session, "a@cus901.example.com", partners=(mine,))
    make_account(session, "buyer901@example.com", staff_role="buyer")
    return {"mine": mine, "theirs": theirs}


def reorder(client, number):
    token = csrf_token(client, "/customer/orders/SO-901-1")
    return client.post(f"/customer/orders/{number}/reorder", data={"csrf_token": token})


def test_a_reorder_is_a_draft_until_staff_confirm_it(client, console_client, session, world):
    sign_in(client, "a@cus901.example.com")
    response = reorder(client, "SO-901-1")
    assert response.status_code == 302
    draft = session.scalar(select(SalesOrder).where(SalesOrder.customer_reference == "Reorder of SO-901-1"))
    assert draft.draft is True
    assert [(ln.qty, ln.unit_price) for ln in draft.lines] == [(Decimal(2), Decimal("999.50"))]
    assert draft.total_amount == Decimal("1999.00")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Awaiting our confirmation" in page
    assert "was sent; our sales team will confirm it." in page

    sign_in(console_client, "buyer901@example.com")
    listed = console_client.get("/sales-orders/drafts").get_data(as_text=True)
    assert draft.number in listed
    assert "SO-901-1-1" in listed
    token = csrf_token(console_client, "/sales-orders/drafts")
    assert (
        console_client.post(f"/sales-orders/{draft.number}/confirm", data={"csrf_token": token}).status_code
        == 302
    )
    session.refresh(draft)
    assert draft.draft is False
    assert draft.status == OrderStatus.confirmed
    audit = session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == draft.number).order_by(AuditEvent.id)
    ).all()
    assert audit == ["sales_order.reorder_requested", "sales_order.confirmed"]
    assert 'data-testid="draft-order"' not in console_client.get("/sales-orders/drafts").get_data(
        as_text=True
    )


def test_a_reorder_with_an_item_no_longer_sold_creates_nothing_and_names_the_line(client, session, world):
    item = session.scalar(select(Item).where(Item.sku == "SO-901-1-1"))
    item.active = False
    session.flush()
    before = session.scalar(select(SalesOrder.id).order_by(SalesOrder.id.desc()))
    sign_in(client, "a@cus901.example.com")
    response = reorder(client, "SO-901-1")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nothing was ordered" in page
    assert "line 1, SO-901-1-1 Part SO-901-1-1" in page
    assert session.scalar(select(SalesOrder.id).order_by(SalesOrder.id.desc())) == before


def test_reordering_another_customers_order_is_404(client, world):
    sign_in(client, "a@cus901.example.com")
    assert reorder(client, "SO-902-1").status_code == 404
    assert client.post("/customer/orders/SO-901-1/reorder").status_code == 400  # no CSRF token


def test_availability_is_banded_for_bought_items_with_lead_time_and_explanation(client, session, world):
    bought = session.scalar(select(Item).where(Item.sku == "SO-901-1-1"))
    bought.lead_time_days = 21
    order = session.scalar(select(SalesOrder).where(SalesOrder.number == "SO-901-1"))
    other = session.scalar(select(Item).where(Item.sku == "SO-902-1-1"))
    now = dt.datetime.now(dt.UTC)
    for item in (bought, other):
        session.add(
            InventoryPosition(
                item_id=item.id,
                site_id=order.site_id,
                on_hand=Decimal(500),
                allocated=Decimal(0),
                on_order=Decimal(0),
                safety_stock=Decimal(0),
                daily_usage=Decimal(0),
                as_of=now,
            )
        )
    session.flush()
    sign_in(client, "a@cus901.example.com")
    page = client.get("/customer/availability").get_data(as_text=True)
    table = page.split('data-testid="availability-table"')[1].split("</table>")[0]
    assert "SO-901-1-1" in table
    assert "SO-902-1-1" not in table  # stocked at the same site, but this customer never bought it
    assert 'data-band="available">In stock' in table
    assert "500" not in table
    assert "21 days" in table
    why = page.split('data-testid="explained"')[1]
    assert "What your sharing agreement lets you see" in why
    assert (
        "Availability is shown as a band: on request up to 0, limited over 0 up to 20, and in stock over 20."
        in why
    )
