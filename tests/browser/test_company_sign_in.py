"""In Chromium: a staff member signs in through the company's OpenID Connect provider (a real one on
loopback), asks the ledger what SUP-002 was shown about an item, downloads the answer, and finds the
sign-in in the audit log."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import selectinload

import policies
from internal.db import make_engine, make_session_factory
from internal.models import Partner
from tests.browser.conftest import SUBJECT

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore::authlib.deprecate.AuthlibDeprecationWarning"),
    pytest.mark.filterwarnings("ignore:.*get_jwt_config.*:DeprecationWarning"),
]


def inventory_shown_to(database_url: str, code: str) -> str:
    """Show ``code`` a page of its inventory through the gate (as its web page does); one SKU it saw."""
    engine = make_engine(database_url)
    with make_session_factory(engine)() as session:
        partner = session.scalar(
            select(Partner).where(Partner.code == code).options(selectinload(Partner.groups))
        )
        assert partner is not None
        viewer = policies.Viewer(
            None, partner.id, partner.code, partner.kind.value, frozenset(g.name for g in partner.groups)
        )
        shown = policies.disclose(session, viewer, "inventory", channel="web", page=policies.Page(size=5))
        session.commit()
    engine.dispose()
    assert shown.rows
    return str(shown.rows[0]["sku"])


def test_staff_sign_in_with_the_company_account_then_ask_the_ledger(page: Page, servers, company_console):
    sku = inventory_shown_to(servers.database_url, "SUP-002")

    page.goto(f"{company_console}/ledger")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_role("link", name="Sign in with your company account").click()
    page.get_by_placeholder("sub").fill(SUBJECT)
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_test_id("ledger-question")).to_be_visible()  # back where the sign-in started
    expect(page.get_by_test_id("signed-in-as")).to_be_visible()

    page.get_by_label("Partner code").fill("SUP-002")
    page.get_by_label("Kind of subject").select_option("item")
    page.get_by_label("SKU, code or number").fill(sku)
    page.get_by_role("button", name="Ask the ledger").click()
    expect(page.get_by_test_id("ledger-answer")).to_contain_text(f"SUP-002 was shown {sku}")
    expect(page.get_by_test_id("ledger-entries")).to_contain_text("inventory")
    with page.expect_download() as download:
        page.get_by_test_id("ledger-csv").click()
    assert download.value.suggested_filename == f"ledger-SUP-002-{sku}.csv"

    page.goto(f"{company_console}/audit?action=sign_in.")
    entries = page.get_by_test_id("audit-entries")
    expect(entries).to_contain_text("policy.admin@example.com")
    expect(entries).to_contain_text("method=oidc")
    page.goto(f"{company_console}/audit?action=staff.identity_linked")
    expect(page.get_by_test_id("audit-entries")).to_contain_text(SUBJECT)
