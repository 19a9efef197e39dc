"""Every page of every demo role, in English and Chinese: axe-core finds no serious or critical
WCAG 2.1 AA violation, and each partner page fits a 390-pixel phone without sideways scrolling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from internal.demo import DEMO_PASSWORD
from internal.models import Account, Membership, Partner
from internal.models.parties import MembershipRole, PartnerKind
from internal.passwords import hash_password
from tests.browser.walks import WALKS, Walk, pages_of, sign_in, switch_partner

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
#: WCAG 2.0/2.1 A and AA, and the best practices about landmarks, headings and table headers.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
#: Moderate by axe's measure, but part of what the pages promise: landmarks, one h1, table headers.
ALSO_ENFORCED = {
    "region",
    "landmark-one-main",
    "page-has-heading-one",
    "scope-attr-valid",
    "th-has-data-cells",
}
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
    why: (v.nodes[0] && v.nodes[0].failureSummary || "").split(String.fromCharCode(10)).slice(-1)[0],
  }));
}"""

#: Whatever is wider than its box and scrolls sideways: the page itself, or a scrolling table.
SIDEWAYS = """() => {
  const wide = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) wide.push(`page ${root.scrollWidth}px`);
  for (const el of document.querySelectorAll("main *")) {
    const overflow = getComputedStyle(el).overflowX;
    if ((overflow === "auto" || overflow === "scroll") && el.scrollWidth > el.clientWidth + 1) {
      const name = el.dataset.testid || el.firstElementChild?.dataset?.testid || el.className;
      wide.push(`${el.tagName.toLowerCase()} ${name} ${el.scrollWidth}px in ${el.clientWidth}px`);
    }
  }
  return wide;
}"""


def settle(page: Page) -> None:
    """Let the page lay itself out at its new width (the chart redraws on a resize observer)."""
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    if page.locator("#forecast-chart").count():
        page.wait_for_function("() => document.getElementById('forecast-chart').clientWidth <= innerWidth")


@pytest.fixture(scope="module")
def customer_admin(servers) -> str:
    """A customer's partner admin who can sign in: the demo's contacts have no password, give one."""
    engine = create_engine(servers.database_url)
    try:
        with Session(engine) as session:
            account = session.scalars(
                select(Account)
                .join(Membership, Membership.account_id == Account.id)
                .join(Partner, Partner.id == Membership.partner_id)
                .where(Membership.role == MembershipRole.partner_admin, Partner.kind == PartnerKind.customer)
                .order_by(Partner.code)
                .limit(1)
            ).one()
            if not account.password_hash:
                account.password_hash = hash_password(DEMO_PASSWORD)
                session.commit()
            return account.email
    finally:
        engine.dispose()


def start(browser: Browser, servers, walk: Walk, locale: str, customer_admin: str) -> tuple[Page, str]:
    """One browser context per role and language, signed in (and switched partner) if the walk says."""
    context = browser.new_context(locale=locale, viewport=DESKTOP)
    page = context.new_page()
    base = servers.extranet if walk.app == "extranet" else servers.console
    if walk.email:
        sign_in(page, base, customer_admin if walk.email == "customer.admin" else walk.email)
        if walk.switch_to:
            switch_partner(page, walk.switch_to)
            expect(page.get_by_test_id("active-partner")).to_contain_text(walk.switch_to)
    return page, base


@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
@pytest.mark.parametrize("walk", WALKS, ids=lambda w: w.name)
def test_every_page_passes_axe_and_partner_pages_fit_a_phone(
    browser: Browser, servers, customer_admin: str, walk: Walk, locale: str
):
    axe_source = AXE.read_text(encoding="utf-8")
    page, base = start(browser, servers, walk, locale, customer_admin)
    expected_lang = "zh-CN" if locale == "zh-CN" else "en"
    problems: list[str] = []
    too_wide: list[str] = []
    visited = []
    for path, stop in pages_of(page, base, walk):
        visited.append(path)
        assert page.locator("html").get_attribute("lang") == (stop.lang or expected_lang), path
        # Evaluated through the debugging protocol, so the pages' CSP (no inline script) does not apply.
        page.evaluate(axe_source)
        for v in page.evaluate(RUN_AXE, AXE_TAGS):
            if v["impact"] in ("serious", "critical") or v["id"] in ALSO_ENFORCED:
                where = json.dumps(v["nodes"])
                problems.append(f"{path}: {v['id']} ({v['impact']}) {v['help']} at {where}: {v['why']}")
        if walk.partner:
            page.set_viewport_size(PHONE)
            settle(page)
            too_wide += [f"{path}: {w}" for w in page.evaluate(SIDEWAYS)]
            chart = page.locator("#forecast-chart")
            if chart.count():
                height = chart.bounding_box()["height"]  # type: ignore[index]
                if height < 200:
                    too_wide.append(f"{path}: forecast chart only {height:.0f}px high at 390px")
            page.set_viewport_size(DESKTOP)
    page.context.close()
    assert len(visited) >= len(walk.stops), visited
    assert not problems, "axe-core found:\n" + "\n".join(problems)
    assert not too_wide, "At 390 px wide:\n" + "\n".join(too_wide)
