"""Every demo login reaches its home page in a real browser; a wrong password shows the error."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from internal.demo import DEMO_LOGINS

pytestmark = pytest.mark.browser

HOME_MARKER = {
    "supplier.user@example.com": "supplier-home",
    "supplier.admin@example.com": "supplier-home",
    "customer.user@example.com": "customer-home",
    "policy.admin@example.com": "console-home",
    "staff.viewer@example.com": "console-home",
    "buyer@example.com": "console-home",
    "planner@example.com": "console-home",
}


def sign_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("login", DEMO_LOGINS, ids=lambda login: login.email)
def test_each_demo_login_reaches_its_home_page(page: Page, servers, login):
    assert set(HOME_MARKER) == {d.email for d in DEMO_LOGINS}
    base = servers.extranet if login.app == "extranet" else servers.console
    sign_in(page, base, login.email, login.password)
    expect(page.get_by_test_id(HOME_MARKER[login.email])).to_be_visible()
    expect(page.get_by_test_id("signed-in-as")).to_be_visible()
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()


def test_wrong_password_shows_the_error_and_keeps_the_email(page: Page, servers):
    sign_in(page, servers.extranet, "supplier.user@example.com", "not-the-password")
    expect(page.get_by_test_id("form-error")).to_have_text("Wrong e-mail or password.")
    expect(page.get_by_label("E-mail")).to_have_value("supplier.user@example.com")
    expect(page.get_by_test_id("supplier-home")).to_have_count(0)


def test_supplier_admin_switches_between_their_partners(page: Page, servers):
    sign_in(page, servers.extranet, "supplier.admin@example.com", DEMO_LOGINS[0].password)
    expect(page.get_by_test_id("active-partner")).to_contain_text("SUP-001")
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("partner-switch").get_by_role("button", name="SUP-002").click()
    expect(page.get_by_text("You are now working for SUP-002.")).to_be_visible()
    expect(page.get_by_test_id("active-partner")).to_contain_text("SUP-002")


def test_chinese_language_choice_translates_the_page(page: Page, servers):
    page.goto(f"{servers.extranet}/login")
    page.get_by_role("button", name="简体中文").click()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
