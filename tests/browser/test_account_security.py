"""In a real browser: a forgotten password is reset through the e-mail link, then two-factor sign-in."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator

import pyotp
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from werkzeug.serving import make_server

from internal import jobs
from internal.db import make_engine, make_session_factory
from internal.models import Account, Partner
from internal.web import dispose_database
from tests.factories import make_account
from tests.smtp_sink import free_port, smtp_sink  # noqa: F401 - pytest fixture

pytestmark = pytest.mark.browser

EMAIL = "forgetful@sup002.example.com"


@pytest.fixture
def extranet(servers, smtp_sink) -> Iterator[tuple[str, object]]:  # noqa: F811 - the fixture above
    """The extranet on the browser tests' demo database, mailing the sink, with one more SUP-002 user."""
    import portal

    inbox, smtp_port = smtp_sink
    engine = make_engine(servers.database_url)
    with make_session_factory(engine)() as session:
        if session.scalar(select(Account).where(Account.email == EMAIL)) is None:
            make_account(
                session, EMAIL, partners=(session.scalar(select(Partner).where(Partner.code == "SUP-002")),)
            )
        session.commit()
    engine.dispose()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # Tasks read the settings of the last app made; the servers' apps get theirs back afterwards.
    previous = jobs.current_config()
    app = portal.create_app(
        {
            "DATABASE_URL": servers.database_url,
            "SECRET_KEY": "browser-test-secret",
            "RATELIMIT_ENABLED": False,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": smtp_port,
            "EXTRANET_URL": base,
            "CELERY_BROKER_URL": "",
            "CELERY_ALWAYS_EAGER": True,
        }
    )
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield base, inbox
    finally:
        server.shutdown()
        server.server_close()
        dispose_database(app)
        jobs.configure(previous)


def sign_in(page: Page, base: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_password_reset_by_email_then_a_sign_in_with_an_authenticator_code(page: Page, extranet):
    base, inbox = extranet
    page.goto(f"{base}/login")
    page.get_by_test_id("forgot-password").click()
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_test_id("reset-requested")).to_be_visible()

    (mail,) = inbox.wait_for(1)
    link = re.search(rf"{re.escape(base)}/password/reset/\S+", mail.get_content()).group(0)
    page.goto(link)
    page.get_by_label("New password", exact=True).fill("a-new-browser-secret")
    page.get_by_label("Repeat the new password").fill("a-new-browser-secret")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.get_by_text("Your password was changed and every session signed out.")).to_be_visible()

    sign_in(page, base, "a-new-browser-secret")
    expect(page.get_by_test_id("supplier-home")).to_be_visible()
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("account").click()
    page.get_by_role("link", name=re.compile("Two-factor sign-in")).click()
    expect(page.get_by_test_id("qr")).to_be_visible()
    totp = pyotp.TOTP(page.get_by_test_id("totp-secret").inner_text())
    page.get_by_label("Code").fill(totp.now())
    page.get_by_test_id("confirm-two-factor").click()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    page.get_by_role("link", name="I have saved them").click()
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()

    sign_in(page, base, "a-new-browser-secret")
    expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
    # A code is accepted once per 30-second step: the enrolment used this step's, so type the next one,
    # as an authenticator whose clock runs a little ahead would show it.
    page.get_by_label("Code").fill(totp.at(time.time() + totp.interval))
    page.get_by_test_id("verify-code").click()
    expect(page.get_by_test_id("supplier-home")).to_be_visible()
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("account").click()
    expect(page.get_by_test_id("sign-in-history")).to_contain_text("Password and authenticator code")
