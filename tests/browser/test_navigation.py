"""The navigation bar: one row at 1280 px even with the partner menu and in Chinese, a menu button at
phone width, and everything reachable from the keyboard (skip link, partner menu)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.walks import sign_in

pytestmark = pytest.mark.browser

#: Top edge, height and line count of the bar, each main link and the partner menu.
GEOMETRY = """() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return {top: r.top, height: r.height}; };
  const links = [...document.querySelectorAll("[data-testid=main-nav] .nav-link")];
  const bar = document.querySelector("nav.navbar .container-fluid");
  return {
    bar: box(bar),
    links: links.map((a) => ({text: a.textContent.trim(), lines: a.getClientRects().length, ...box(a)})),
    menu: box(document.querySelector("[data-testid=user-menu]")),
    overflow: bar.scrollWidth - bar.clientWidth,
  };
}"""


@pytest.mark.parametrize("locale", ["zh-CN", "en-GB"])
def test_the_bar_keeps_to_one_row_at_1280_px_with_the_partner_menu(browser: Browser, servers, locale: str):
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in(page, servers.extranet, "supplier.admin@example.com")
    shape = page.evaluate(GEOMETRY)
    context.close()
    assert len(shape["links"]) >= 7, shape["links"]  # supplier pages, team and API clients
    assert shape["overflow"] <= 0, shape
    # One row: the bar is no taller than one button row, and every item starts on the same line.
    assert shape["bar"]["height"] < 60, shape["bar"]
    tops = {round(item["top"]) for item in [*shape["links"], shape["menu"]]}
    assert max(tops) - min(tops) <= 8, shape
    # No label breaks inside itself (in Chinese, after every character).
    assert all(link["lines"] == 1 and link["height"] < 45 for link in shape["links"]), shape["links"]


@pytest.mark.parametrize("locale", ["zh-CN", "en-GB"])
def test_the_consoles_bar_keeps_to_one_row_at_1280_px(browser: Browser, servers, locale: str):
    """Thirteen console pages: the related ones sit in menus, so the bar stays one row."""
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in(page, servers.console, "policy.admin@example.com")
    shape = page.evaluate(GEOMETRY)
    menus = page.get_by_test_id("main-nav").locator(".dropdown-toggle")
    expect(menus).to_have_count(4)
    menus.nth(2).click()  # the sharing menu: policy, ledger, Explain, audit log
    expect(page.get_by_test_id("main-nav").locator(".dropdown-menu.show a")).to_have_count(4)
    context.close()
    assert shape["overflow"] <= 0, shape
    assert shape["bar"]["height"] < 60, shape["bar"]
    tops = {round(item["top"]) for item in [*shape["links"], shape["menu"]]}
    assert max(tops) - min(tops) <= 8, shape
    assert all(link["lines"] == 1 and link["height"] < 45 for link in shape["links"]), shape["links"]


def test_the_partner_menu_and_skip_link_work_from_the_keyboard(browser: Browser, servers):
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in(page, servers.extranet, "supplier.admin@example.com")
    expect(page.get_by_test_id("active-partner")).to_contain_text("SUP-001")

    # The first Tab reaches the skip link, which takes the focus past the navigation to the page.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    # The partner menu opens with Enter; the arrow keys move through the partners; Enter switches.
    menu = page.get_by_test_id("user-menu")
    menu.focus()
    expect(menu).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    choices = page.get_by_test_id("partner-switch").get_by_role("button")
    expect(choices).to_have_count(2)  # and the account link and sign-out button after them
    page.keyboard.press("ArrowDown")
    expect(choices.nth(0)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(choices.nth(1)).to_be_focused()
    expect(choices.nth(1)).to_contain_text("SUP-002")
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.get_by_text("You are now working for SUP-002.")).to_be_visible()
    expect(page.get_by_test_id("active-partner")).to_contain_text("SUP-002")
    expect(page.get_by_test_id("partner-menu")).to_have_text("SUP-002")
    context.close()


def test_at_phone_width_the_links_sit_behind_a_menu_button(browser: Browser, servers):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, servers.extranet, "supplier.admin@example.com", wait_visible=False)
    links = page.get_by_test_id("main-nav")
    expect(links).to_be_hidden()
    toggler = page.locator(".navbar-toggler")
    expect(toggler).to_have_attribute("aria-expanded", "false")
    toggler.click()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(links.get_by_role("link").first).to_be_visible()
    expect(page.get_by_test_id("user-menu")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
