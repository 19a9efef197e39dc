"""A supplier's working session in a real browser, on the demo enterprise."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from internal.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def test_a_supplier_plans_acknowledges_ships_and_exports(page: Page, servers):
    base = servers.extranet
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill("supplier.user@example.com")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("supplier-home")).to_be_visible()

    # Read the forecast: the chart is drawn from the page's own Chart.js.
    page.get_by_test_id("main-nav").get_by_role("link", name="Forecast", exact=True).click()
    expect(page.locator("#forecast-chart")).to_have_attribute("data-drawn", "yes")
    expect(page.get_by_test_id("plan-version")).to_contain_text("Published plan version 2")

    # Commit the open weeks of the horizon: the demand everywhere, one week far below it.
    inputs = page.locator("input[name^='commit-']")
    count = inputs.count()
    assert count >= 4
    for n in range(count):
        row = inputs.nth(n).locator("xpath=ancestor::tr")
        share = row.locator("td").nth(4).inner_text().replace(",", "")
        inputs.nth(n).fill(share if n != 1 else "0")
    page.get_by_role("button", name="Save commits").click()
    expect(page.get_by_text(re.compile(rf"{count} commits saved; 1 flagged"))).to_be_visible()
    expect(page.locator("[data-testid^='flag-']").filter(has_text="Shortfall")).to_have_count(1)

    # The same demand read per month, then the stock of the supplied items at the precision allowed.
    page.get_by_label("Buckets").select_option("month")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("forecast-monthly")).to_be_visible()
    expect(page.locator("#forecast-chart")).to_have_attribute("data-drawn", "yes")
    page.get_by_test_id("main-nav").get_by_role("link", name="Inventory", exact=True).click()
    expect(page.get_by_test_id("inventory-table").locator("tbody tr").first).to_be_visible()
    # The strategic supplier sees every stock figure exactly: nothing to explain, so no box.
    expect(page.get_by_test_id("explained")).to_have_count(0)

    # Acknowledge an open purchase order: accept every line but one, propose another quantity there.
    page.get_by_test_id("main-nav").get_by_role("link", name="Supplier workspace", exact=True).click()
    page.get_by_test_id("po-table").get_by_role("link").first.click()
    number = page.get_by_test_id("po-number").inner_text().split()[-1]
    forms = page.locator("form[data-testid^='answer-']")
    line_ids = [forms.nth(n).get_attribute("data-testid") for n in range(forms.count())]
    for n, test_id in enumerate(line_ids):
        form = page.get_by_test_id(test_id)
        if n == 0:
            form.locator("select").select_option("propose")
            form.get_by_placeholder("Quantity").fill("7")
            form.get_by_placeholder("Reason or comment").fill("Only seven castings pass inspection")
        else:
            form.locator("select").select_option("accept")
        form.get_by_role("button", name="Send").click()
        expect(page.get_by_text(re.compile(r"Your answer to line \d+ was saved"))).to_be_visible()
    status = page.locator("dt", has_text="Status").locator("xpath=following-sibling::dd[1]")
    expect(status).to_have_text("Acknowledged")

    # Ship the accepted lines of that order.
    page.get_by_test_id("main-nav").get_by_role("link", name="Ship notices", exact=True).click()
    page.get_by_role("link", name="New ship notice").click()
    page.get_by_label("Ship date").fill("2026-11-27")
    page.get_by_label("Expected arrival").fill("2026-12-02")
    page.get_by_label("Carrier").fill("DB Schenker")
    page.get_by_label("Tracking number").fill("DBS-WALK-1")
    boxes = page.locator(f"input[name^='qty-{number}-']")
    assert boxes.count() >= 1
    boxes.first.fill("1")
    page.get_by_role("button", name="Send ship notice").click()
    expect(page.get_by_text(re.compile(r"Ship notice ASN-\d+ was sent"))).to_be_visible()
    expect(page.get_by_test_id("notice-table")).to_contain_text("DBS-WALK-1")

    # Export the forecast.
    page.get_by_test_id("main-nav").get_by_role("link", name="Forecast", exact=True).click()
    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    content = download.value.path().read_text(encoding="utf-8-sig")
    assert content.splitlines()[0].startswith("sku,item,uom,site,week,qty")
    assert len(content.splitlines()) > count
