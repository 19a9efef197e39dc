"""Staff sign-in through a real OpenID Connect provider on loopback (oidc-provider-mock), and its refusals."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from oidc_provider_mock import User, run_server_in_thread
from sqlalchemy import select

from internal.models import Account, AuditEvent
from tests.conftest import app_config
from tests.factories import make_account, make_partner

pytestmark = [
    # The provider (in this process) runs Authlib's server side, which warns about its own deprecations.
    pytest.mark.filterwarnings("ignore::authlib.deprecate.AuthlibDeprecationWarning"),
    pytest.mark.filterwarnings("ignore:.*get_jwt_config.*:DeprecationWarning"),
]

CLIENT_ID = "portal-console"
STAFF = "oidc.admin@example.com"
PROVIDER_USERS = (
    User(sub="alice-7f3", claims={"email": STAFF, "email_verified": True}),
    User(sub="unverified", claims={"email": STAFF, "email_verified": False}),
    User(sub="partner-bob", claims={"email": "oidc.partner@example.com"}),
    User(sub="stranger", claims={"email": "nobody@example.com"}),
    # A provider's token meant for another client, from another issuer, or for another sign-in.
    User(sub="other-audience", claims={"email": STAFF, "aud": "someone-else"}),
    User(sub="other-issuer", claims={"email": STAFF, "iss": "http://issuer.invalid"}),
    User(sub="replayed", claims={"email": STAFF, "nonce": "a-nonce-from-another-sign-in"}),
)


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with run_server_in_thread(user_claims=PROVIDER_USERS) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def company_console(connection, provider):
    import internal

    app = internal.create_app(
        app_config(
            connection,
            OIDC_DISCOVERY_URL=f"{provider}/.well-known/openid-configuration",
            OIDC_CLIENT_ID=CLIENT_ID,
            OIDC_CLIENT_SECRET="console-secret",
        )
    )
    return app.test_client()


def provider_answer(client, sub: str, start: str = "/login/company") -> str:
    """Go to the provider, sign in there as ``sub``, and return the callback path it sends back."""
    leaving = client.get(start)
    assert leaving.status_code == 302
    authorize = leaving.headers["Location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["client_id"] == [CLIENT_ID]
    assert query["nonce"]
    assert query["state"]
    consent = requests.post(authorize, data={"sub": sub}, allow_redirects=False, timeout=10)
    assert consent.status_code == 302, consent.text
    back = urlsplit(consent.headers["Location"])
    return f"{back.path}?{back.query}"


def failures(session) -> list[dict]:
    return [
        e.detail
        for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action == "sign_in.failed").order_by(AuditEvent.seq)
        )
    ]


def test_the_sign_in_page_offers_the_company_account_only_when_configured(company_console, console_client):
    assert "Sign in with your company account" in company_console.get("/login").get_data(as_text=True)
    assert "Sign in with your company account" not in console_client.get("/login").get_data(as_text=True)
    assert console_client.get("/login/company").status_code == 404


def test_a_staff_member_signs_in_and_is_linked_by_issuer_and_subject(company_console, session, provider):
    account = make_account(session, STAFF, staff_role="policy_admin")
    landed = company_console.get(provider_answer(company_console, "alice-7f3", "/login/company?next=/audit"))
    assert landed.status_code == 302
    assert landed.headers["Location"] == "/audit"
    page = company_console.get("/").get_data(as_text=True)
    assert 'data-testid="console-home"' in page
    session.refresh(account)
    assert (account.oidc_issuer, account.oidc_subject) == (provider, "alice-7f3")
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.account_id == account.id).order_by(AuditEvent.seq)
    ).all()
    assert actions == ["staff.identity_linked", "sign_in.succeeded"]
    # Later the subject, not the e-mail, finds the account: a renamed address still signs in.
    account.email = "renamed.admin@example.com"
    session.flush()
    company_console.post("/logout", data={"csrf_token": _csrf(company_console)})
    again = company_console.get(provider_answer(company_console, "alice-7f3"))
    assert again.status_code == 302
    assert again.headers["Location"] == "/"


def _csrf(client) -> str:
    import re

    body = client.get("/").get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body)
    assert match
    return match.group(1)


@pytest.mark.parametrize(
    ("sub", "reason"),
    [
        ("stranger", "no staff account"),
        ("partner-bob", "no staff account"),
        ("unverified", "no verified e-mail"),
    ],
)
def test_people_without_a_staff_account_are_refused(company_console, session, sub, reason):
    make_account(session, STAFF, staff_role="viewer")
    make_account(session, "oidc.partner@example.com", partners=(make_partner(session, "SUP-OI1"),))
    refused = company_console.get(provider_answer(company_console, sub))
    assert refused.status_code == 302
    assert refused.headers["Location"] == "/login"
    assert company_console.get("/").status_code == 302  # still signed out
    assert failures(session)[-1]["reason"] == reason
    assert session.scalar(select(Account.oidc_subject).where(Account.email == STAFF)) is None


@pytest.mark.parametrize(
    ("sub", "claim"),
    [("other-audience", "aud"), ("other-issuer", "iss"), ("replayed", "nonce")],
)
def test_a_token_for_another_client_issuer_or_sign_in_is_refused(company_console, session, sub, claim):
    make_account(session, STAFF, staff_role="viewer")
    refused = company_console.get(provider_answer(company_console, sub))
    assert refused.headers["Location"] == "/login"
    assert "Signing in with your company account failed" in company_console.get("/login").get_data(
        as_text=True
    )
    assert company_console.get("/").status_code == 302
    failure = failures(session)[-1]
    assert failure["reason"] == "company sign-in: invalid_claim"
    assert f"'{claim}'" in failure["description"]
    assert session.scalar(select(Account.oidc_subject).where(Account.email == STAFF)) is None


def test_an_answer_with_a_state_this_browser_did_not_send_is_refused(company_console, session):
    make_account(session, STAFF, staff_role="viewer")
    callback = provider_answer(company_console, "alice-7f3")
    forged = callback.replace("state=", "state=x")
    refused = company_console.get(forged)
    assert refused.headers["Location"] == "/login"
    assert company_console.get("/").status_code == 302
    assert failures(session)[-1]["reason"] == "company sign-in: mismatching_state"
    # Nor does another browser's answer work in a browser that never started a sign-in.
    assert company_console.application.test_client().get(callback).headers["Location"] == "/login"
