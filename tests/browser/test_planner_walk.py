"""A planner finds shortfalls in the inbox and changes a draft of the demand plan, in a real browser.

Publishing is left to tests/integration/test_demo_planning.py: the other walks read the published plan.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from internal.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def test_the_planner_copies_the_plan_and_changes_a_week_by_its_label(page: Page, servers):
    page.goto(f"{servers.console}/login")
    page.get_by_label("E-mail").fill("planner@example.com")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_test_id("main-nav").get_by_role("link", name="Inbox").click()
    expect(page.get_by_test_id("shortfalls").get_by_test_id("shortfall").first).to_be_visible()
    expect(page.get_by_role("button", name="Accept the change")).to_have_count(0)  # buyers decide those

    page.get_by_test_id("main-nav").get_by_role("button", name="Supply").click()
    page.get_by_test_id("main-nav").get_by_role("link", name="Forecast plans").click()
    page.get_by_role("button", name="Copy to a new draft").first.click()
    expect(page.get_by_text("is a draft copy of the published plan")).to_be_visible()
    first = page.get_by_test_id("plan-grid").locator("input[name='qty-0-0']")
    label = page.locator("label[for='qty-0-0']").inner_text()
    cell = page.get_by_label(label, exact=True)
    before = cell.input_value()

    cell.fill("a lot")
    page.get_by_role("button", name="Save the changes on this page").click()
    expect(page.get_by_test_id("plan-errors")).to_contain_text("is not a number")
    expect(first).to_have_value("a lot")  # what was typed is kept

    first.fill(str(int(float(before)) + 10))
    page.get_by_role("button", name="Save the changes on this page").click()
    expect(page.get_by_text("Saved: 1 quantity changed.")).to_be_visible()
    expect(first).to_have_value(str(int(float(before)) + 10))
    expect(page.get_by_role("button", name="Publish")).to_be_visible()
