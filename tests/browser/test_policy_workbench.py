"""The sharing-policy workbench in a real browser: a policy admin signs in with the company account
(a real OpenID Connect provider on loopback), drafts a change of SUP-002's inventory from banded to
rounded, weighs its impact, previews SUP-002's page, cannot activate their own version; a buyer
activates it; asked on its page, the ledger shows no disclosure to SUP-002 for the preview.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from internal.db import make_engine, make_session_factory
from internal.demo import DEMO_PASSWORD
from internal.models import DisclosureRecord, Partner
from policies import ledger
from tests.browser.conftest import SUBJECT

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore::authlib.deprecate.AuthlibDeprecationWarning"),
    pytest.mark.filterwarnings("ignore:.*get_jwt_config.*:DeprecationWarning"),
]


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("console-home")).to_be_visible()


def sup_002_records(url: str) -> list[tuple[str, str]]:
    engine = make_engine(url)
    with make_session_factory(engine)() as db:
        rows = db.execute(
            select(DisclosureRecord.channel, DisclosureRecord.dataset)
            .join(Partner, Partner.id == DisclosureRecord.partner_id)
            .where(Partner.code == "SUP-002")
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def sign_in_with_company_account(page: Page, base: str) -> None:
    page.goto(f"{base}/policies")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_role("link", name="Sign in with your company account").click()
    page.get_by_placeholder("sub").fill(SUBJECT)
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_test_id("signed-in-as")).to_be_attached()


def ask_the_ledger(page: Page, base: str, sku: str) -> str:
    """The ledger page's answer to what SUP-002 was shown about ``sku``, over the whole ledger."""
    page.goto(f"{base}/ledger")
    page.get_by_label("Partner code").fill("SUP-002")
    page.get_by_label("Kind of subject").select_option("item")
    page.get_by_label("SKU, code or number").fill(sku)
    page.get_by_role("button", name="Ask the ledger").click()
    return page.get_by_test_id("ledger-answer").inner_text()


def test_a_change_is_drafted_weighed_previewed_and_activated_by_a_second_person(
    page: Page, browser: Browser, servers, company_console
):
    console = company_console
    started = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    before = sup_002_records(servers.database_url)

    # The policy admin signs in through the company's identity provider, starts a draft from the
    # active version and writes the rule through the form.
    sign_in_with_company_account(page, console)
    page.goto(f"{console}/policies")
    page.get_by_test_id("new-draft").click()
    expect(page.get_by_label("Policy document (YAML)")).to_contain_text("suppliers-inventory")
    page.get_by_test_id("rule-form-link").click()
    page.get_by_label("For").select_option("partner:SUP-002")
    page.get_by_label("Dataset").select_option("inventory")
    page.get_by_test_id("show-fields").click()
    expect(page.get_by_label("How on_hand is shown")).to_have_value("band")
    page.get_by_label("How on_hand is shown").select_option("round")
    page.get_by_label("Setting for on_hand").fill("{to: 100, mode: floor}")
    page.get_by_test_id("write-rule").click()
    expect(page.get_by_text("The rule partner-sup-002-inventory is written into the draft.")).to_be_visible()
    expect(page.get_by_label("Policy document (YAML)")).to_contain_text("to: partner:SUP-002")
    page.get_by_label("What changes, and why").fill("SUP-002 plans on stock rounded to 100")
    page.get_by_test_id("propose").click()

    # The approval page weighs the change on the real data.
    expect(page.get_by_test_id("version-status")).to_have_text("Waiting for approval")
    number = int(page.url.rstrip("/").rsplit("/", 1)[1])
    row = page.get_by_test_id("impact-SUP-002-inventory")
    expect(row).to_contain_text("on_hand banded → rounded to 100")
    rows_affected = int(row.locator("td").last.inner_text().replace(",", ""))
    assert rows_affected > 0

    # The author previews SUP-002's inventory page under the new version.
    row.get_by_role("link", name="SUP-002").click()
    section = page.get_by_test_id("preview-inventory")
    explanation = f"on_hand rounded down to 100 by rule partner-sup-002-inventory, version {number}."
    expect(section.get_by_test_id("preview-why")).to_contain_text(explanation)
    treated = section.locator("td[data-treatment='round:100:floor']")
    expect(treated.first).to_have_attribute("title", explanation)
    values = [int(v.replace(",", "")) for v in treated.all_inner_texts()]
    assert values
    assert all(v % 100 == 0 for v in values)
    sku = section.locator("tbody tr").first.locator("td").first.inner_text()
    # The other pages preview too: SUP-002's forecast and orders, a customer's availability.
    for partner, name, dataset in (
        ("SUP-002", "forecast", "forecast"),
        ("SUP-002", "orders", "purchase_orders"),
        ("CUS-001", "availability", "availability"),
        ("CUS-001", "orders", "orders"),
    ):
        page.goto(f"{console}/policies/preview?partner={partner}&page={name}&under=active")
        expect(page.get_by_test_id(f"preview-{dataset}").locator("tbody tr").first).to_be_visible()
        expect(page.get_by_test_id(f"preview-{dataset}").get_by_test_id("preview-why")).to_contain_text(
            "version 1"
        )

    # The author cannot activate their own version: no button, and the request is refused.
    page.goto(f"{console}/policies/{number}")
    expect(page.get_by_test_id("approve")).to_have_count(0)
    expect(page.get_by_test_id("needs-second-person")).to_be_visible()
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    refused = page.request.post(
        f"{console}/policies/{number}/approve", form={"csrf_token": token or ""}, max_redirects=0
    )
    assert refused.status == 302
    page.reload()
    expect(page.get_by_text("The author cannot approve their own version")).to_be_visible()
    expect(page.get_by_test_id("version-status")).to_have_text("Waiting for approval")

    # A buyer activates it.
    second = browser.new_context()
    buyer = second.new_page()
    sign_in(buyer, console, "buyer@example.com")
    buyer.goto(f"{console}/policies/{number}")
    expect(buyer.get_by_test_id("impact-SUP-002-inventory")).to_contain_text("on_hand")
    buyer.get_by_test_id("approve").click()
    expect(buyer.get_by_test_id("version-status")).to_have_text("Active")

    # The ledger: nothing was disclosed to SUP-002 by the preview.
    assert sup_002_records(servers.database_url) == before
    engine = make_engine(servers.database_url)
    with make_session_factory(engine)() as db:
        seen = ledger.query(
            db, partner_code="SUP-002", subject=sku, since=started, until=dt.datetime.now(dt.UTC)
        )
        previews = db.scalar(
            select(func.count()).select_from(DisclosureRecord).where(DisclosureRecord.channel == "preview")
        )
    engine.dispose()
    assert seen == []
    assert previews == 0
    # Asked on its page (from its first day on), the ledger tells what SUP-002 was shown about the
    # previewed item: only what it was shown before this test began (other tests' pages), nothing more.
    with make_session_factory(engine)() as db:
        earlier = ledger.query(
            db,
            partner_code="SUP-002",
            subject=sku,
            since=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
            until=started,
        )
    engine.dispose()
    answer = ask_the_ledger(page, console, sku)
    if earlier:
        assert f"in {len(earlier)} disclosure" in answer, answer
    else:
        assert "was shown nothing about" in answer, answer
    expect(page.get_by_text("Staff previews are not disclosures and are not listed.")).to_be_visible()

    # Back to version 1, the way every activation goes: proposed by one, approved by another.
    page.goto(f"{console}/policies/1")
    page.get_by_label("Why roll back").fill("the browser test restores the demo policy")
    page.get_by_test_id("propose-rollback").click()
    expect(page.get_by_test_id("approve-rollback")).to_have_count(0)
    buyer.goto(f"{console}/policies/1")
    buyer.get_by_test_id("approve-rollback").click()
    expect(buyer.get_by_test_id("version-status")).to_have_text("Active")
    expect(buyer.get_by_text(re.compile("Version 1 is active again"))).to_be_visible()
    second.close()
