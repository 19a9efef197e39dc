"""A customer finds out for itself where its order is and what it owes, in a real browser, on the demo."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader
from sqlalchemy import create_engine, text

from internal.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def shipped_order(database_url: str) -> tuple[str, str, str]:
    """A CUS-001 order of the demo whose shipment has a tracking number: (PO reference, order, tracking)."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT o.customer_reference, o.number, s.tracking_number FROM sales_order o "
                "JOIN shipment s ON s.order_id = o.id JOIN partner p ON p.id = o.customer_id "
                "WHERE p.code = 'CUS-001' AND s.tracking_number <> '' ORDER BY o.order_date DESC, o.id DESC"
            )
        ).first()
    engine.dispose()
    assert row is not None
    return row[0], row[1], row[2]


def test_a_customer_follows_an_order_reads_its_statement_asks_for_help_and_reorders(
    page: Page, browser: Browser, servers
):
    reference, number, tracking = shipped_order(servers.database_url)
    base = servers.extranet
    sign_in(page, base, "customer.user@example.com")
    expect(page.get_by_test_id("customer-home")).to_be_visible()
    expect(page.get_by_test_id("overdue").get_by_role("link").first).to_be_visible()

    # Find the order by the customer's own purchase-order reference.
    page.get_by_test_id("main-nav").get_by_role("link", name="Orders", exact=True).click()
    page.get_by_test_id("list-filter").get_by_label("Search").fill(reference)
    page.get_by_role("button", name="Search").click()
    rows = page.get_by_test_id("order-table").locator("tbody tr")
    expect(rows).to_have_count(1)
    rows.get_by_role("link", name=number).click()
    expect(page.get_by_test_id("order-reference")).to_have_text(reference)

    # Its timeline has reached shipping, and the shipment's tracking number is on the page.
    expect(page.get_by_test_id("timeline").locator("[data-step='shipped']")).to_have_attribute(
        "data-done", "yes"
    )
    expect(page.get_by_test_id("shipment-table").get_by_test_id("tracking")).to_contain_text(tracking)

    # The statement of account, as PDF and as XLSX, both read back.
    page.get_by_test_id("main-nav").get_by_role("link", name="Invoices", exact=True).click()
    with page.expect_download() as pdf_download:
        page.get_by_test_id("statement").get_by_role("link", name="PDF").click()
    pdf = PdfReader(io.BytesIO(pdf_download.value.path().read_bytes()))
    pdf_text = "".join(p.extract_text() for p in pdf.pages)
    assert "Statement of account" in pdf_text
    assert "CUS-001" in pdf_text
    assert re.search(r"INV-\d{4}-\d{7}", pdf_text)
    with page.expect_download() as xlsx_download:
        page.get_by_test_id("statement").get_by_role("link", name="XLSX").click()
    sheet = load_workbook(io.BytesIO(xlsx_download.value.path().read_bytes())).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "Statement of account"
    header = next(r for r in values if r and r[0] == "Currency")
    assert list(header[1:7]) == ["Current", "1-30 days", "31-60 days", "61-90 days", "Over 90 days", "Total"]
    eur = next(r for r in values if r and r[0] == "EUR")
    assert eur[6] > 0  # CUS-001 owes something, overdue included

    # Open a service request about the order.
    page.goto(f"{base}/customer/orders/{number}")
    page.get_by_role("link", name="Ask about this order").click()
    page.get_by_label("Subject").fill("Delivery note missing")
    page.get_by_label("Message").fill("The delivery arrived without its delivery note.")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_test_id("request-number")).to_contain_text("Delivery note missing")
    request_number = page.get_by_test_id("request-number").inner_text().split()[0]
    request_url = page.url

    # A buyer answers from the console's inbox.
    staff = browser.new_page()
    sign_in(staff, servers.console, "buyer@example.com")
    staff.get_by_test_id("main-nav").get_by_role("button", name="Customers").click()
    staff.get_by_test_id("main-nav").get_by_role("link", name="Service requests", exact=True).click()
    staff.get_by_test_id("inbox").get_by_role("link", name=request_number).click()
    staff.get_by_label("Reply").fill("We are sending a copy of the delivery note today.")
    staff.get_by_role("button", name="Send reply").click()
    expect(staff.get_by_text("The reply was sent")).to_be_visible()
    expect(staff.get_by_test_id("messages")).to_contain_text("a copy of the delivery note today")
    staff.close()
    # The customer's users were e-mailed the reply, through the gate.
    mails = [m for m in servers.mailbox.wait_for(1) if request_number in m["Subject"]]
    assert "customer.user@example.com" in {m["To"] for m in mails}
    assert "We are sending a copy of the delivery note today." in mails[0].get_content()

    # The customer sees the reply.
    page.goto(request_url)
    expect(page.get_by_test_id("messages")).to_contain_text(
        "We are sending a copy of the delivery note today."
    )
    expect(page.get_by_test_id("request-status")).to_have_text("Waiting for your answer")

    # And asks for the same lines again: a draft awaiting confirmation by sales.
    page.goto(f"{base}/customer/orders/{number}")
    page.get_by_test_id("reorder").click()
    expect(page.get_by_text(re.compile(r"Your reorder SO-\d+ was sent"))).to_be_visible()
    expect(page.get_by_test_id("order-number")).to_contain_text("Awaiting our confirmation")
