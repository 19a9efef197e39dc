"""Customer self-service: orders with search and timeline, shipments, invoices, statement, exports.

Every page reads through the gate as the signed-in customer; another customer's document is 404.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

import policies
from internal.models import (
    DisclosureRecord,
    Invoice,
    InvoiceStatus,
    OrderStatus,
    SalesOrderEvent,
    Shipment,
    ShipmentStatus,
)
from tests.factories import count_queries, make_account, make_partner, make_sales_order, sign_in

TODAY = dt.date.today()  # noqa: DTZ011 - pages age invoices by the calendar day
#: The day the sales-order factory dates its orders from.
FACTORY_DAY = dt.date(2026, 11, 25)


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


def add_events(session, order, *steps: str) -> None:
    for n, step in enumerate(steps):
        session.add(
            SalesOrderEvent(
                order_id=order.id,
                status=OrderStatus(step),
                at=_at(order.order_date + dt.timedelta(days=n)),
                note="Shipped with DHL Freight" if step == "shipped" else "",
            )
        )
    order.status = OrderStatus(steps[-1])
    session.flush()


def add_shipment(
    session, order, number: str, *, carrier="DHL Freight", tracking="4711", eta=None
) -> Shipment:
    shipment = Shipment(
        number=number,
        order_id=order.id,
        customer_id=order.customer_id,
        from_site_id=order.site_id,
        carrier=carrier,
        tracking_number=tracking,
        status=ShipmentStatus.in_transit,
        shipped_at=_at(order.order_date + dt.timedelta(days=3)),
        eta=eta or TODAY,
    )
    session.add(shipment)
    session.flush()
    return shipment


def add_invoice(session, order, number: str, amount: str, *, due_days_ago: int, status="open") -> Invoice:
    invoice = Invoice(
        number=number,
        customer_id=order.customer_id,
        order_id=order.id,
        issued_on=TODAY - dt.timedelta(days=due_days_ago + 30),
        due_on=TODAY - dt.timedelta(days=due_days_ago),
        amount=Decimal(amount),
        currency="EUR",
        status=InvoiceStatus(status),
    )
    session.add(invoice)
    session.flush()
    return invoice


@pytest.fixture
def world(session):
    mine = make_partner(session, "CUS-701", "customer")
    theirs = make_partner(session, "CUS-702", "customer")
    a1 = make_sales_order(session, "SO-701-1", mine, days_ago=10)
    a1.customer_reference = "ACME-PO-555"
    a2 = make_sales_order(session, "SO-701-2", mine, days_ago=3)
    a2.customer_reference = "ACME-PO-777"
    a2.total_amount = Decimal("2100.10")  # the lines add up to 1999.00: freight of 101.10
    b1 = make_sales_order(session, "SO-702-1", theirs, days_ago=5)
    b1.customer_reference = "SECRET-PO-999"
    add_events(session, a1, "received", "confirmed", "in_production", "shipped")
    add_shipment(session, a1, "DN-701-1", tracking="JD014600006")
    add_shipment(session, b1, "DN-702-1")
    add_invoice(session, a1, "INV-701-1", "1999.00", due_days_ago=45, status="overdue")
    add_invoice(session, a2, "INV-701-2", "0.10", due_days_ago=-5)
    add_invoice(session, a2, "INV-701-3", "0.20", due_days_ago=-5)
    add_invoice(session, a1, "INV-701-4", "500.00", due_days_ago=100, status="paid")
    add_invoice(session, b1, "INV-702-1", "777.00", due_days_ago=95, status="overdue")
    make_account(session, "a@cus701.example.com", partners=(mine,))
    return {"mine": mine, "theirs": theirs, "a1": a1, "a2": a2, "b1": b1}


def body(response) -> str:
    return response.get_data(as_text=True)


def test_search_finds_an_order_by_po_reference_number_or_item(client, world):
    sign_in(client, "a@cus701.example.com")
    by_reference = body(client.get("/customer/orders?q=acme-po-555"))
    assert "SO-701-1" in by_reference
    assert "SO-701-2" not in by_reference
    assert "SO-701-2" in body(client.get("/customer/orders?q=SO-701-2"))
    by_item = body(client.get("/customer/orders?q=Part SO-701-1-1"))
    assert "SO-701-1" in by_item
    assert "SO-701-2<" not in by_item


def test_search_for_another_customers_po_reference_finds_nothing(client, world):
    sign_in(client, "a@cus701.example.com")
    for path in ("/customer/orders?q=SECRET-PO-999", "/customer/orders?q=SO-702", "/customer/invoices?q=702"):
        page = body(client.get(path))
        table = page.split("<table")[1]
        assert "SO-702-1" not in table, path
        assert "SECRET" not in table, path
        assert "INV-702-1" not in table, path
        assert "No orders." in table or "No invoices." in table, path
    assert "SO-702-1" not in body(client.get("/customer/orders.csv?q=SECRET-PO-999"))


def test_a_like_wildcard_typed_in_the_search_matches_itself_only(client, world):
    sign_in(client, "a@cus701.example.com")
    page = body(client.get("/customer/orders?q=%25"))
    assert "No orders." in page


def test_status_and_date_filters_narrow_the_list(client, world):
    sign_in(client, "a@cus701.example.com")
    shipped = body(client.get("/customer/orders?status=shipped"))
    assert "SO-701-1" in shipped
    assert "SO-701-2" not in shipped
    since = (FACTORY_DAY - dt.timedelta(days=5)).isoformat()
    recent = body(client.get(f"/customer/orders?date_from={since}"))
    assert "SO-701-2" in recent
    assert "SO-701-1" not in recent


def test_a_bad_date_filter_says_what_to_fix_and_keeps_what_was_typed(client, world):
    sign_in(client, "a@cus701.example.com")
    page = body(client.get("/customer/orders?date_from=31.12.2026&q=ACME"))
    assert "Not a valid date value." in page
    assert 'value="31.12.2026"' in page
    assert 'value="ACME"' in page
    assert "SO-701-1" in page  # the valid part of the search still applies
    backwards = body(client.get("/customer/orders?date_from=2026-12-01&date_to=2026-11-01"))
    assert "The end date must not be before the start date." in backwards


def test_orders_paginate_by_keyset_with_the_filters_kept(client, session, world):
    for n in range(30):
        make_sales_order(session, f"SO-701-P{n:02d}", world["mine"], days_ago=20 + n)
    sign_in(client, "a@cus701.example.com")
    first = body(client.get("/customer/orders?q=701-P"))
    assert "SO-701-P00" in first
    assert "SO-701-P24" in first  # a page holds 25
    assert "SO-701-P25" not in first
    assert "SO-701-1<" not in first  # the search holds on every page
    link = first.split('data-testid="next-page" href="')[1].split('"')[0].replace("&amp;", "&")
    assert "q=701-P" in link
    second = body(client.get(link))
    assert "SO-701-P25" in second
    assert "SO-701-P29" in second
    assert "SO-701-P24" not in second


@pytest.mark.parametrize("path", ["/customer/orders", "/customer/invoices", "/customer/shipments"])
def test_a_list_page_costs_the_same_number_of_statements_whatever_its_rows(
    client, connection, session, world, path
):
    sign_in(client, "a@cus701.example.com")
    client.get(path)  # warm up: policy version, session
    with count_queries(connection) as few:
        assert client.get(path + "?q=SO").status_code == 200
    for n in range(40):
        order = make_sales_order(session, f"SO-701-Q{n:02d}", world["mine"], days_ago=n)
        add_shipment(session, order, f"DN-701-Q{n:02d}")
        add_invoice(session, order, f"INV-701-Q{n:02d}", "10.00", due_days_ago=-10)
    with count_queries(connection) as many:
        page = client.get(path + "?q=SO")
    assert page.status_code == 200
    assert body(page).count("701-Q") >= 25  # a full page of the new rows
    assert many.count == few.count
    # The session (3), then per disclosure (the ship-to sites, the list) the policy version, the query
    # and the ledger insert, and the regions that generalize the shipping site.
    assert many.count <= 10


def test_order_detail_shows_timeline_lines_shipments_invoices_and_totals(client, world):
    sign_in(client, "a@cus701.example.com")
    page = body(client.get("/customer/orders/SO-701-1"))
    timeline = page.split('data-testid="timeline"')[1].split("</ol>")[0]
    assert timeline.index('data-step="received"') < timeline.index('data-step="shipped"')
    assert 'data-step="shipped" data-done="yes"' in timeline
    assert 'data-step="delivered" data-done="no"' in timeline
    assert "Shipped with DHL Freight" in timeline
    assert "DN-701-1" in page
    tracking = "https://www.dhl.com/global-en/home/tracking/tracking-freight.html?tracking-id=JD014600006"
    assert f'href="{tracking}"' in page
    assert "INV-701-1" in page
    assert "INV-702-1" not in page
    assert 'data-testid="lines-total">€1,999.00' in page
    assert 'data-testid="difference"' not in page  # the total matches its lines


def test_order_detail_shows_the_difference_between_total_and_lines(client, world):
    sign_in(client, "a@cus701.example.com")
    page = body(client.get("/customer/orders/SO-701-2"))
    assert 'data-testid="lines-total">€1,999.00' in page
    assert 'data-testid="difference">€101.10' in page
    assert 'data-testid="order-total">€2,100.10' in page


def test_amounts_are_decimal_through_the_gate(session, world):
    viewer = policies.Viewer(None, world["mine"].id, "CUS-701", "customer", frozenset())
    order = policies.disclose(session, viewer, "orders", filters={"number": "SO-701-2"}).rows[0]
    assert order["total_amount"] == Decimal("2100.10")
    assert isinstance(order["lines_total"], Decimal)
    assert order["lines_total"] == Decimal("1999.00")
    invoices = policies.disclose(session, viewer, "invoices", filters={"unpaid": True}).rows
    assert all(isinstance(i["amount"], Decimal) for i in invoices)
    assert sum(i["amount"] for i in invoices if i["number"] in ("INV-701-2", "INV-701-3")) == Decimal("0.30")


def test_shipments_list_with_tracking_links_where_the_carrier_is_known(client, session, world):
    add_shipment(session, world["a2"], "DN-701-2", carrier="Gati", tracking="GATI-1")
    sign_in(client, "a@cus701.example.com")
    page = body(client.get("/customer/shipments"))
    assert "DN-701-1" in page
    assert "DN-702-1" not in page
    assert "tracking-id=JD014600006" in page
    assert "GATI-1" in page
    assert "tracking-id=GATI-1" not in page
    per_order = body(client.get("/customer/orders/SO-701-2"))
    assert "DN-701-2" in per_order
    assert "DN-701-1" not in per_order


def test_invoices_list_and_detail(client, world):
    sign_in(client, "a@cus701.example.com")
    page = body(client.get("/customer/invoices?status=overdue"))
    assert "INV-701-1" in page
    assert "INV-701-2" not in page
    detail = body(client.get("/customer/invoices/INV-701-1"))
    assert 'data-testid="invoice-amount">€1,999.00' in detail
    assert "45 days past due" in detail


def test_anothers_documents_answer_404_on_every_page(client, world):
    sign_in(client, "a@cus701.example.com")
    for path in (
        "/customer/orders/SO-702-1",
        "/customer/invoices/INV-702-1",
        "/customer/service-requests/SR-NOPE",
        "/customer/orders/NO-SUCH",
    ):
        assert client.get(path).status_code == 404, path


def test_exports_hold_only_the_customers_own_rows(client, world):
    sign_in(client, "a@cus701.example.com")
    orders = body(client.get("/customer/orders.csv"))
    rows = list(csv.reader(io.StringIO(orders.lstrip("\ufeff"))))
    assert rows[0][:2] == ["number", "customer_reference"]
    assert {r[0] for r in rows[1:]} == {"SO-701-1", "SO-701-2"}
    searched = body(client.get("/customer/orders.csv?q=ACME-PO-777"))
    assert "SO-701-2" in searched
    assert "SO-701-1" not in searched
    shipments = body(client.get("/customer/shipments.csv"))
    assert "DN-701-1" in shipments
    assert "DN-702-1" not in shipments
    book = load_workbook(io.BytesIO(client.get("/customer/invoices.xlsx").data))
    numbers = {row[0] for row in book.active.iter_rows(min_row=2, values_only=True)}
    assert numbers == {"INV-701-1", "INV-701-2", "INV-701-3", "INV-701-4"}
    assert client.get("/customer/orders.pdf").status_code == 404


def test_statement_of_account_ages_what_is_owed(client, session, world):
    sign_in(client, "a@cus701.example.com")
    response = client.get("/customer/statement.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    summary = next(r for r in rows if r and r[0] == "EUR")
    # current 0.30 (two invoices not yet due), 31-60 days 1999.00; the paid invoice is not owed.
    assert [Decimal(str(v)) for v in summary[1:7]] == [
        Decimal("0.30"),
        Decimal(0),
        Decimal("1999.00"),
        Decimal(0),
        Decimal(0),
        Decimal("1999.30"),
    ]
    invoices = {r[0] for r in rows if r and str(r[0]).startswith("INV-")}
    assert invoices == {"INV-701-1", "INV-701-2", "INV-701-3"}

    pdf = client.get("/customer/statement.pdf")
    assert pdf.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Statement of account" in text
    assert "INV-701-1" in text
    assert "€1,999.30" in text
    assert "INV-702-1" not in text
    assert "INV-701-4" not in text
    records = session.scalars(
        select(DisclosureRecord).where(
            DisclosureRecord.dataset == "invoices", DisclosureRecord.channel == "export"
        )
    ).all()
    assert len(records) == 2  # one per statement, each through the gate


def test_every_list_filters_by_the_customers_own_ship_to_sites(client, session, world):
    from internal.models import ShipToSite

    north = ShipToSite(customer_id=world["mine"].id, code="NORTH", name="North works", city="Hamburg")
    south = ShipToSite(customer_id=world["mine"].id, code="SOUTH", name="South works", city="Munich")
    elsewhere = ShipToSite(customer_id=world["theirs"].id, code="THEIRS", name="Their site")
    session.add_all([north, south, elsewhere])
    session.flush()
    world["a1"].ship_to_id = north.id
    world["a2"].ship_to_id = south.id
    world["b1"].ship_to_id = elsewhere.id
    session.flush()
    sign_in(client, "a@cus701.example.com")
    orders = body(client.get("/customer/orders?ship_to=NORTH"))
    assert 'data-testid="ship-to-filter"' in orders
    assert "South works" in orders  # offered as a choice
    assert "Their site" not in orders
    assert "SO-701-1" in orders.split("<table")[1]
    assert "SO-701-2" not in orders.split("<table")[1]
    invoices = body(client.get("/customer/invoices?ship_to=SOUTH")).split("<table")[1]
    assert "INV-701-2" in invoices
    assert "INV-701-1" not in invoices
    shipments = body(client.get("/customer/shipments?ship_to=NORTH")).split("<table")[1]
    assert "DN-701-1" in shipments
    assert "SO-701-2" not in body(client.get("/customer/orders.csv?ship_to=NORTH"))
    # Another customer's site is not a choice: the filter says so and is not applied.
    theirs = body(client.get("/customer/orders?ship_to=THEIRS"))
    assert "Not a valid choice" in theirs
    assert "SO-702-1" not in theirs


def test_the_statement_and_pages_speak_chinese(client, world):
    sign_in(client, "a@cus701.example.com")
    headers = {"Accept-Language": "zh-CN"}
    sheet = load_workbook(io.BytesIO(client.get("/customer/statement.xlsx", headers=headers).data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "对账单"
    assert next(r for r in rows if r and r[0] == "币种")[1:3] == ("未到期", "1-30 天")
    pdf = client.get("/customer/statement.pdf", headers=headers)
    assert len(PdfReader(io.BytesIO(pdf.data)).pages) >= 1
    assert "STSong-Light" in pdf.data.decode("latin-1")  # a CJK font reportlab ships, not Helvetica
    page = body(client.get("/customer/invoices", headers=headers))
    assert "对账单" in page
    assert "已逾期" in page


@pytest.mark.parametrize(
    ("path", "theirs"),
    [
        ("/customer/orders?q=SO-702-1", "SO-702-1"),
        ("/customer/orders?q=SECRET-PO-999", "SO-702-1"),
        ("/customer/orders.csv?q=SECRET", "SO-702-1"),
        ("/customer/orders.xlsx?q=SECRET", "SO-702-1"),
        ("/customer/shipments?q=DN-702-1", "DN-702-1"),
        ("/customer/shipments.csv?q=DN-702", "DN-702-1"),
        ("/customer/invoices?q=INV-702-1", "INV-702-1"),
        ("/customer/invoices.csv?q=702", "INV-702-1"),
        ("/customer/invoices?q=SO-702-1", "INV-702-1"),
        ("/customer/statement.xlsx", "INV-702-1"),
        ("/customer/", "SO-702-1"),
    ],
)
def test_no_page_export_or_search_shows_another_customers_document(client, world, path, theirs):
    sign_in(client, "a@cus701.example.com")
    response = client.get(path)
    assert response.status_code == 200
    if path.endswith(".xlsx") or ".xlsx?" in path:
        sheet = load_workbook(io.BytesIO(response.data)).active
        shown = " ".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None)
    else:
        # What the page shows, not the search echoed in the box and in the export links.
        shown = re.sub(r'(value|href)="[^"]*"', "", body(response))
    assert theirs not in shown


def test_a_search_cannot_probe_a_field_the_policy_hides(client, session, world):
    from internal.models import PolicyStatus, PolicyVersion
    from policies import versions

    author = make_account(session, "author701@example.com", staff_role="policy_admin")
    approver = make_account(session, "approver701@example.com", staff_role="buyer")
    text = policies.DEFAULT_SET.read_text().replace("customer_reference: exact, ", "", 1)
    assert text != policies.DEFAULT_SET.read_text()
    proposed = versions.propose(session, text, author_id=author.id, comment="no PO references")
    versions.approve(session, proposed.id, approver_id=approver.id)
    assert session.get(PolicyVersion, proposed.id).status == PolicyStatus.active
    viewer = policies.Viewer(None, world["mine"].id, "CUS-701", "customer", frozenset())
    with pytest.raises(policies.UnknownFilter, match="customer_reference not shared"):
        policies.disclose(session, viewer, "orders", filters={"q": "ACME-PO"})
    sign_in(client, "a@cus701.example.com")
    assert client.get("/customer/orders?q=ACME-PO-555").status_code == 400
    assert client.get("/customer/orders?status=shipped").status_code == 200


def test_home_lists_open_orders_with_next_step_arrivals_overdue_invoices_and_requests(client, session, world):
    from internal.models import ServiceRequest, ServiceRequestStatus

    world["a1"].lines[0].promised_date = dt.date(2026, 12, 18)
    world["a2"].status = OrderStatus.confirmed
    world["a2"].lines[0].promised_date = dt.date(2026, 12, 19)
    session.add(
        ServiceRequest(
            number="SR-701-1", customer_id=world["mine"].id, subject="Seal", status=ServiceRequestStatus.open
        )
    )
    session.flush()
    sign_in(client, "a@cus701.example.com")
    page = body(client.get("/customer/"))
    orders = page.split('data-testid="open-orders"')[1].split("</section>")[0]
    assert "Shipped → next: Delivered" in orders  # SO-701-1
    assert "Confirmed → next: In production (promised by Dec 19, 2026)" in orders  # SO-701-2
    assert 'href="/customer/orders/SO-701-2"' in orders
    arriving = page.split('data-testid="arriving"')[1].split("</section>")[0]
    assert "DN-701-1" in arriving  # expected today
    assert "DN-702-1" not in arriving
    overdue = page.split('data-testid="overdue"')[1].split("</section>")[0]
    assert 'href="/customer/invoices/INV-701-1"' in overdue
    assert "INV-701-2" not in overdue  # open, not yet due
    requests = page.split('data-testid="open-requests"')[1].split("</section>")[0]
    assert 'href="/customer/service-requests/SR-701-1"' in requests


def test_a_tracking_link_is_built_only_for_known_carriers_and_quotes_the_number():
    from portal.customer.views import tracking_url

    assert tracking_url("UPS Supply Chain", "1Z 99&x") == "https://www.ups.com/track?tracknum=1Z%2099%26x"
    assert tracking_url("SF Express", "SF123").endswith("/waybill-detail/SF123")
    assert tracking_url("Gati", "G1") is None
    assert tracking_url("DHL Freight", "") is None


@pytest.mark.parametrize("dataset", ["orders", "shipments", "invoices", "order_lines"])
def test_a_searched_page_costs_the_same_statements_whatever_the_page_size(
    connection, session, world, dataset
):
    for n in range(30):
        order = make_sales_order(session, f"SO-701-S{n:02d}", world["mine"], days_ago=n)
        add_shipment(session, order, f"DN-701-S{n:02d}")
        add_invoice(session, order, f"INV-701-S{n:02d}", "1.00", due_days_ago=-3)
    viewer = policies.Viewer(None, world["mine"].id, "CUS-701", "customer", frozenset())
    wanted = {"order_lines": {"order_number": "SO-701-S01"}}.get(dataset, {"q": "701-S"})
    counts = {}
    for size in (1, 5, 100):
        with count_queries(connection) as counted:
            shown = policies.disclose(session, viewer, dataset, filters=wanted, page=policies.Page(size=size))
            session.flush()  # the ledger record is written when the session flushes (a page: at its end)
        counts[size] = counted.count
        assert len(shown.rows) == (1 if dataset == "order_lines" else min(size, 30))
    assert counts[1] == counts[5] == counts[100]
    assert counts[100] <= 4  # policy version, the page, the ledger insert (and the regions when generalizing)
