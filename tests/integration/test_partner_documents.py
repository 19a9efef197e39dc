"""Partners read their own documents through the gate; anyone else's is 404; every read is in the ledger."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

import policies
from internal.models import DisclosureRecord
from tests.factories import (
    csrf_token,
    make_account,
    make_partner,
    make_purchase_order,
    make_sales_order,
    sign_in,
)


@pytest.fixture
def world(session):
    sup_a = make_partner(session, "SUP-601", "supplier")
    sup_b = make_partner(session, "SUP-602", "supplier")
    cus_a = make_partner(session, "CUS-601", "customer")
    cus_b = make_partner(session, "CUS-602", "customer")
    make_purchase_order(session, "PO-A-1", sup_a, lines=3)
    make_purchase_order(session, "PO-B-1", sup_b)
    make_sales_order(session, "SO-A-1", cus_a)
    make_sales_order(session, "SO-B-1", cus_b)
    make_account(session, "a@sup601.example.com", partners=(sup_a,))
    make_account(session, "a@cus601.example.com", partners=(cus_a,))
    return {"sup_a": sup_a, "sup_b": sup_b, "cus_a": cus_a, "cus_b": cus_b}


def test_a_supplier_reads_its_own_purchase_order_with_lines(client, world):
    sign_in(client, "a@sup601.example.com")
    page = client.get("/supplier/purchase-orders/PO-A-1")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Purchase order PO-A-1" in body
    assert body.count("Part PO-A-1-") == 3
    assert "300 EA" in body
    assert "PO-B-1" not in client.get("/supplier/purchase-orders").get_data(as_text=True)


def test_another_partners_documents_are_404_not_403(client, world):
    sign_in(client, "a@sup601.example.com")
    for path in (
        "/supplier/purchase-orders/PO-B-1",
        "/supplier/purchase-orders/NO-SUCH",
        "/customer/orders/SO-A-1",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "There is no page at this address, or it is not yours to see." in response.get_data(
            as_text=True
        )


def test_a_customer_reads_its_orders_and_not_another_customers(client, world):
    sign_in(client, "a@cus601.example.com")
    assert "SO-A-1" in client.get("/customer/").get_data(as_text=True)
    assert client.get("/customer/orders/SO-A-1").status_code == 200
    assert client.get("/customer/orders/SO-B-1").status_code == 404
    assert client.get("/supplier/purchase-orders/PO-A-1").status_code == 404


def test_purchase_orders_page_newest_first_with_a_cursor(client, session, world):
    for n in range(30):
        make_purchase_order(session, f"PO-A-P{n:02d}", world["sup_a"], days_ago=n + 1, lines=1)
    sign_in(client, "a@sup601.example.com")
    first = client.get("/supplier/purchase-orders").get_data(as_text=True)
    assert first.index("PO-A-1<") < first.index("PO-A-P00") < first.index("PO-A-P23")
    assert "PO-A-P24" not in first
    cursor = first.split('data-testid="next-page" href="/supplier/purchase-orders?after=')[1].split('"')[0]
    second = client.get(f"/supplier/purchase-orders?after={cursor}").get_data(as_text=True)
    assert "PO-A-P24" in second
    assert "PO-A-P29" in second
    assert "PO-A-P23" not in second
    assert client.get("/supplier/purchase-orders?after=garbage").status_code == 400


def test_each_page_view_writes_one_ledger_record_with_row_keys(client, session, world):
    sign_in(client, "a@sup601.example.com")
    before = session.scalar(select(DisclosureRecord.id).order_by(DisclosureRecord.id.desc()).limit(1)) or 0
    client.get("/supplier/purchase-orders/PO-A-1")
    records = session.scalars(select(DisclosureRecord).where(DisclosureRecord.id > before)).all()
    assert [r.dataset for r in records] == ["purchase_orders", "purchase_order_lines"]
    assert records[0].row_keys == [["PO-A-1"]]
    assert records[1].row_keys == [["PO-A-1", 1], ["PO-A-1", 2], ["PO-A-1", 3]]
    assert records[1].partner_id == world["sup_a"].id
    assert records[1].channel == "web"
    assert records[1].fields["qty"] == "exact"


def viewer(partner, kind):
    return policies.Viewer(
        account_id=None,
        partner_id=partner.id,
        partner_code=partner.code,
        partner_kind=kind,
        groups=frozenset(),
    )


def test_the_gate_refuses_unknown_datasets_filters_and_cursors(session, world):
    v = viewer(world["sup_a"], "supplier")
    with pytest.raises(policies.UnknownDataset):
        policies.disclose(session, v, "salaries")
    with pytest.raises(policies.UnknownFilter, match="use one of number, status"):
        policies.disclose(session, v, "purchase_orders", filters={"supplier_id": world["sup_b"].id})
    with pytest.raises(policies.UnknownFilter, match="cursor"):
        policies.disclose(session, v, "purchase_orders", page=policies.Page(after="bm90LWpzb24"))


def test_the_gate_shows_a_customer_nothing_of_supplier_datasets(session, world):
    wrong_side = viewer(world["cus_a"], "customer")
    disclosed = policies.disclose(session, wrong_side, "purchase_orders")
    assert disclosed.rows == ()
    assert disclosed.columns == ()


def test_disclosed_rows_are_immutable_and_carry_only_declared_fields(session, world):
    disclosed = policies.disclose(session, viewer(world["sup_a"], "supplier"), "purchase_orders")
    (row,) = disclosed.rows
    assert set(row) == {"number", "order_date", "status", "deliver_to", "revision", "lines", "currency"}
    with pytest.raises(TypeError):
        row["number"] = "changed"  # type: ignore[index]


@pytest.mark.parametrize("orders", [1, 30])
def test_the_purchase_order_list_costs_the_same_queries_whatever_its_length(
    client, session, connection, world, orders
):
    from tests.factories import QueryCounter

    for n in range(orders):
        make_purchase_order(session, f"PO-A-Q{n:02d}", world["sup_a"], days_ago=n + 1, lines=2)
    sign_in(client, "a@sup601.example.com")
    client.get("/supplier/")  # warm: the session's last-seen stamp is written once a minute
    with QueryCounter(connection) as counter:
        assert client.get("/supplier/purchase-orders").status_code == 200
    # The session with its account, memberships and groups (one statement), the active policy (once,
    # though the navigation asks it again whether consumption is shared), the gate's query, and one
    # ledger insert, whatever the number of rows.
    assert counter.count == 4, counter.statements
    # Viewed again, the page is served as rendered (internal/web/page_cache.py): the session, and the
    # ledger record written again.
    with QueryCounter(connection) as counter:
        assert client.get("/supplier/purchase-orders").status_code == 200
    assert counter.count == 2, counter.statements


def answer(client, number, line_no, **data):
    token = csrf_token(client, f"/supplier/purchase-orders/{number}")
    return client.post(
        f"/supplier/purchase-orders/{number}/lines/{line_no}",
        data={"csrf_token": token, **data},
        follow_redirects=True,
    )


def test_a_supplier_answers_lines_on_the_purchase_order_page(client, session, world):
    from internal.models import LineStatus, PurchaseOrder

    sign_in(client, "a@sup601.example.com")
    assert "Your answer to line 1 was saved." in answer(
        client, "PO-A-1", 1, action="accept", version="1"
    ).get_data(as_text=True)
    page = answer(
        client, "PO-A-1", 2, action="propose", proposed_qty="150", proposed_date="2027-01-08", version="1"
    )
    assert "Your answer to line 2 was saved." in page.get_data(as_text=True)
    stale = answer(client, "PO-A-1", 1, action="reject", reason="late", version="1").get_data(as_text=True)
    assert "Line 1 changed since you opened this page" in stale
    refused = answer(client, "PO-A-1", 3, action="reject", version="1").get_data(as_text=True)
    assert "Line 3: Give a reason for rejecting the line." in refused
    order = session.scalar(select(PurchaseOrder).where(PurchaseOrder.number == "PO-A-1"))
    session.refresh(order)
    assert [line.status for line in order.lines] == [
        LineStatus.accepted,
        LineStatus.change_proposed,
        LineStatus.open,
    ]


def test_answering_another_suppliers_line_is_404(client, world):
    sign_in(client, "a@sup601.example.com")
    token = csrf_token(client, "/supplier/purchase-orders/PO-A-1")
    response = client.post(
        "/supplier/purchase-orders/PO-B-1/lines/1",
        data={"csrf_token": token, "action": "accept", "version": "1"},
    )
    assert response.status_code == 404


def test_a_supplier_sends_a_ship_notice_over_two_orders(client, session, world):
    make_purchase_order(session, "PO-A-2", world["sup_a"], lines=1)
    sign_in(client, "a@sup601.example.com")
    form = client.get("/supplier/ship-notices/new").get_data(as_text=True)
    assert 'name="qty-PO-A-1-3"' in form
    assert 'name="qty-PO-B-1-1"' not in form  # another supplier's line is not offered
    data = {
        "csrf_token": csrf_token(client, "/supplier/ship-notices/new"),
        "ship_date": "2026-11-26",
        "expected_arrival": "2026-11-30",
        "carrier": "DB Schenker",
        "tracking_number": "TRK-1",
        "qty-PO-A-1-1": "100",
        "qty-PO-A-2-1": "999",
    }
    refused = client.post("/supplier/ship-notices/new", data=data)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "PO-A-2 line 1: 999 is more than the 100 EA still open." in body
    assert 'value="999"' in body  # what was typed is kept
    data["qty-PO-A-2-1"] = "40"
    sent = client.post("/supplier/ship-notices/new", data=data, follow_redirects=True)
    page = sent.get_data(as_text=True)
    assert "was sent" in page
    assert "TRK-1" in page
    after = client.get("/supplier/ship-notices/new").get_data(as_text=True)
    assert 'name="qty-PO-A-1-1"' not in after  # fully shipped: no longer open
    assert "60" in after.split('name="qty-PO-A-2-1"')[0].rsplit("<tr>", 1)[1]


def test_ship_notice_for_another_suppliers_line_is_refused(client, world):
    sign_in(client, "a@sup601.example.com")
    data = {
        "csrf_token": csrf_token(client, "/supplier/ship-notices/new"),
        "ship_date": "2026-11-26",
        "expected_arrival": "2026-11-30",
        "carrier": "DHL",
        "qty-PO-B-1-1": "1",
    }
    response = client.post("/supplier/ship-notices/new", data=data)
    assert response.status_code == 400
    assert "PO-B-1 line 1: there is no such purchase-order line." in response.get_data(as_text=True)


def test_the_purchase_order_export_holds_only_the_suppliers_lines(client, world):
    import csv
    import io

    sign_in(client, "a@sup601.example.com")
    with client.get("/supplier/purchase-orders.csv") as response:
        rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [(r["order_number"], r["line_no"]) for r in rows] == [
        ("PO-A-1", "1"),
        ("PO-A-1", "2"),
        ("PO-A-1", "3"),
    ]


def test_the_ledger_records_which_of_our_sites_a_partner_was_shown(session, world):
    """A purchase order names the site it is delivered to: the ledger can answer site:CODE."""
    from policies import ledger

    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    policies.disclose(session, viewer(world["sup_a"], "supplier"), "purchase_orders")
    until = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    seen = ledger.query(
        session, partner_code="SUP-601", subject="PL01", kind="site", since=since, until=until
    )
    assert [(s.dataset, s.subject_kind) for s in seen] == [("purchase_orders", "site")]
    assert ledger.parse_subject("site:PL01") == ("site", "PL01")
    nothing = ledger.query(
        session, partner_code="SUP-602", subject="PL01", kind="site", since=since, until=until
    )
    assert nothing == []
