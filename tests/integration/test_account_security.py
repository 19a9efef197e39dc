"""Password reset by e-mail, two-factor sign-in, and one's sign-ins and sessions on the account page."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pyotp
import pytest
from sqlalchemy import select, update

from internal import accounts, two_factor
from internal.models import Account, AccountSession, PasswordReset, RecoveryCode, SignInEvent
from tests.conftest import app_config
from tests.factories import PASSWORD, csrf_token, make_account, make_partner, sign_in
from tests.smtp_sink import smtp_sink  # noqa: F401 - pytest fixture

RESET_LINK = re.compile(r"http://(portal|console)\.test/password/reset/([A-Za-z0-9_-]+)")
SENT = "If an account uses that address, we have sent it a link to choose a new password."


@pytest.fixture
def apps(connection, smtp_sink):  # noqa: F811 - the fixture above
    import internal
    import portal

    inbox, port = smtp_sink
    config = app_config(
        connection,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=port,
        EXTRANET_URL="http://portal.test",
        CONSOLE_URL="http://console.test",
    )
    return internal.create_app(config), portal.create_app(config), inbox


@pytest.fixture
def user(session):
    partner = make_partner(session, "SUP-121", "supplier")
    return make_account(session, "rita@sup121.example.com", partners=(partner,))


def ask_reset(client, email, **kw):
    token = csrf_token(client, "/password/forgot")
    return client.post("/password/forgot", data={"email": email, "csrf_token": token}, **kw)


def reset_to(client, link_token, password):
    path = f"/password/reset/{link_token}"
    token = csrf_token(client, path)
    return client.post(path, data={"new": password, "confirm": password, "csrf_token": token})


# -- password reset --


def test_the_sign_in_page_links_to_the_reset(apps):
    console, extranet, _inbox = apps
    for app in (console, extranet):
        assert 'href="/password/forgot"' in app.test_client().get("/login").get_data(as_text=True)


def _without_tokens(page: str) -> str:
    # Each token is a hidden input's value, whichever order its attributes are written in.
    return re.sub(r'<input[^>]*name="csrf_token"[^>]*>', "<input csrf_token>", page)


def test_a_reset_answers_the_same_for_known_and_unknown_addresses_and_mails_only_the_known(apps, user):
    _console, extranet, inbox = apps
    client = extranet.test_client()
    known, unknown = ask_reset(client, "Rita@SUP121.example.com"), ask_reset(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert SENT in known.get_data(as_text=True)
    # The pages differ only in their CSRF tokens, which are signed with the second they were made in.
    assert _without_tokens(known.get_data(as_text=True)) == _without_tokens(unknown.get_data(as_text=True))
    (mail,) = inbox.wait_for(1)
    assert mail["To"] == "rita@sup121.example.com"
    assert mail["Subject"] == "Reset your password for the partner portal"
    assert "expires in one hour" in mail.get_content()


def test_the_link_is_stored_hashed_sets_the_password_once_and_ends_every_session(apps, user, session):
    _console, extranet, inbox = apps
    elsewhere = extranet.test_client()
    sign_in(elsewhere, user.email)
    assert elsewhere.get("/supplier/").status_code == 200
    client = extranet.test_client()
    ask_reset(client, user.email)
    host, token = RESET_LINK.search(inbox.wait_for(1)[0].get_content()).groups()
    assert host == "portal"  # the configured address, never the request's Host header
    stored = session.scalar(select(PasswordReset).where(PasswordReset.account_id == user.id))
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()

    response = reset_to(client, token, "a-fresh-secret-123")
    assert response.status_code == 302
    assert session.scalar(select(AccountSession).where(AccountSession.account_id == user.id)) is None
    assert elsewhere.get("/supplier/").status_code == 302  # signed out there too
    assert sign_in(extranet.test_client(), user.email, PASSWORD).status_code == 401
    assert sign_in(extranet.test_client(), user.email, "a-fresh-secret-123").status_code == 302
    # Single use.
    again = client.get(f"/password/reset/{token}")
    assert again.status_code == 404
    assert "This link is not valid" in again.get_data(as_text=True)


def test_a_link_older_than_an_hour_does_not_work(apps, user, session):
    _console, extranet, inbox = apps
    client = extranet.test_client()
    ask_reset(client, user.email)
    _host, token = RESET_LINK.search(inbox.wait_for(1)[0].get_content()).groups()
    session.execute(
        update(PasswordReset).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    )
    assert client.get(f"/password/reset/{token}").status_code == 404
    assert reset_to(extranet.test_client(), "made-up", "whatever-long-enough").status_code == 404


def test_a_rejected_new_password_keeps_the_link_and_says_why(apps, user):
    _console, extranet, inbox = apps
    client = extranet.test_client()
    ask_reset(client, user.email)
    _host, token = RESET_LINK.search(inbox.wait_for(1)[0].get_content()).groups()
    response = reset_to(client, token, "short")
    assert response.status_code == 400
    assert "Use at least 10 characters." in response.get_data(as_text=True)
    assert reset_to(client, token, "long-enough-now-1").status_code == 302


def test_resets_are_throttled_per_address_visibly_and_per_account_silently(apps, user, session):
    _console, extranet, inbox = apps
    client = extranet.test_client()
    for _ in range(3):
        ask_reset(client, user.email)
    fourth = ask_reset(client, user.email)
    assert SENT in fourth.get_data(as_text=True)  # the same answer, but no fourth mail
    assert len(inbox.wait_for(3)) == 3
    assert session.query(PasswordReset).filter_by(account_id=user.id).count() == 3
    for n in range(6):
        ask_reset(client, f"someone{n}@example.com")
    throttled = ask_reset(client, "another@example.com")
    assert throttled.status_code == 429
    assert "Too many requests from your network" in throttled.get_data(as_text=True)


def test_the_console_resets_staff_passwords_only_and_links_to_the_console(apps, user, session):
    console, _extranet, inbox = apps
    make_account(session, "staff121@example.com", staff_role="viewer")
    client = console.test_client()
    assert SENT in ask_reset(client, user.email).get_data(as_text=True)  # a partner user: no mail
    ask_reset(client, "staff121@example.com")
    (mail,) = inbox.wait_for(1)
    assert mail["To"] == "staff121@example.com"
    assert mail["Subject"] == "Reset your password for the staff console"
    host, _token = RESET_LINK.search(mail.get_content()).groups()
    assert host == "console"


def test_the_reset_mail_is_in_the_readers_language(apps, user, session):
    _console, extranet, inbox = apps
    session.execute(update(Account).where(Account.id == user.id).values(locale="zh_CN"))
    ask_reset(extranet.test_client(), user.email)
    (mail,) = inbox.wait_for(1)
    assert mail["Subject"] == "重置您在合作伙伴门户的密码"


def test_an_account_that_proved_itself_by_reset_passes_its_addresses_throttle(apps, user):
    _console, extranet, inbox = apps
    client = extranet.test_client()
    for n in range(20):
        token = csrf_token(client, "/login")
        client.post("/login", data={"email": f"x{n}@example.com", "password": "nope", "csrf_token": token})
    assert sign_in(client, user.email).status_code == 429
    ask_reset(client, user.email)
    _host, link = RESET_LINK.search(inbox.wait_for(1)[0].get_content()).groups()
    reset_to(client, link, "proved-myself-123")
    assert sign_in(client, user.email, "proved-myself-123").status_code == 302


# -- two-factor sign-in --


def enrol(client, session, account):
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)
    assert 'src="data:image/svg+xml' in page
    token = csrf_token(client, "/account/two-factor")
    response = client.post(
        "/account/two-factor",
        data={"action": "confirm", "code": pyotp.TOTP(secret).now(), "csrf_token": token},
    )
    codes = re.findall(
        r"<li>([0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4})</li>", response.get_data(as_text=True)
    )
    return secret, codes


def second_step(client, code):
    token = csrf_token(client, "/login/two-factor")
    return client.post("/login/two-factor", data={"code": code, "csrf_token": token})


def test_enrolment_shows_recovery_codes_once_and_keeps_the_secret_encrypted(client, session, user):
    sign_in(client, user.email)
    secret, codes = enrol(client, session, user)
    assert len(codes) == 10
    session.refresh(user)
    assert user.totp_enabled_at is not None
    assert secret not in user.totp_secret
    stored = session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.account_id == user.id)).all()
    assert hashlib.sha256(codes[0].replace("-", "").encode()).hexdigest() in stored
    assert codes[0] not in stored
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "You have 10 unused recovery codes." in page
    assert codes[0] not in page


def test_a_wrong_confirmation_code_does_not_turn_it_on(client, session, user):
    sign_in(client, user.email)
    client.get("/account/two-factor")
    token = csrf_token(client, "/account/two-factor")
    response = client.post(
        "/account/two-factor", data={"action": "confirm", "code": "000000", "csrf_token": token}
    )
    assert response.status_code == 400
    assert "That code is not right" in response.get_data(as_text=True)
    session.refresh(user)
    assert user.totp_enabled_at is None


def test_sign_in_then_asks_for_the_code_and_a_code_works_once(extranet, session, user):
    first = extranet.test_client()
    sign_in(first, user.email)
    secret, _codes = enrol(first, session, user)
    client = extranet.test_client()
    response = sign_in(client, user.email)
    assert response.headers["Location"] == "/login/two-factor"
    assert client.get("/supplier/").status_code == 302  # not signed in yet
    assert second_step(client, "123456").status_code == 401
    session.execute(update(Account).where(Account.id == user.id).values(totp_last_step=None))
    code = pyotp.TOTP(secret).now()
    assert second_step(client, code).headers["Location"] == "/"
    assert client.get("/supplier/").status_code == 200
    replay = extranet.test_client()
    sign_in(replay, user.email)
    assert second_step(replay, code).status_code == 401  # the same code does not sign in twice


def test_a_recovery_code_signs_in_once_and_disabling_needs_a_code(extranet, session, user):
    first = extranet.test_client()
    sign_in(first, user.email)
    _secret, codes = enrol(first, session, user)
    client = extranet.test_client()
    sign_in(client, user.email)
    assert second_step(client, codes[0].upper()).status_code == 302
    again = extranet.test_client()
    sign_in(again, user.email)
    assert second_step(again, codes[0]).status_code == 401
    token = csrf_token(client, "/account/two-factor")
    assert (
        client.post(
            "/account/two-factor", data={"action": "disable", "code": "nope", "csrf_token": token}
        ).status_code
        == 400
    )
    client.post("/account/two-factor", data={"action": "disable", "code": codes[1], "csrf_token": token})
    session.refresh(user)
    assert user.totp_enabled_at is None
    assert user.totp_secret == ""
    assert session.scalar(select(RecoveryCode).where(RecoveryCode.account_id == user.id)) is None


def test_staff_must_enrol_before_using_the_console_when_required(connection, session):
    import internal

    make_account(session, "staff122@example.com", staff_role="viewer")
    required = internal.create_app(app_config(connection, STAFF_MFA="required")).test_client()
    sign_in(required, "staff122@example.com")
    response = required.get("/partners")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/two-factor"
    assert required.get("/account/two-factor").status_code == 200
    optional = internal.create_app(app_config(connection, STAFF_MFA="optional")).test_client()
    sign_in(optional, "staff122@example.com")
    assert optional.get("/partners").status_code == 200


def test_a_partner_admin_can_require_a_second_factor_of_its_users(extranet, session):
    partner = make_partner(session, "SUP-123", "supplier")
    make_account(session, "admin@sup123.example.com", partners=(partner,), role="partner_admin")
    make_account(session, "user@sup123.example.com", partners=(partner,))
    admin = extranet.test_client()
    sign_in(admin, "admin@sup123.example.com")
    admin.post("/team/two-factor", data={"required": "1", "csrf_token": csrf_token(admin, "/team")})
    session.refresh(partner)
    assert partner.requires_two_factor
    member = extranet.test_client()
    sign_in(member, "user@sup123.example.com")
    assert member.get("/supplier/").headers["Location"] == "/account/two-factor"
    outsider = make_account(session, "user@sup124.example.com", partners=(make_partner(session, "SUP-124"),))
    other = extranet.test_client()
    sign_in(other, outsider.email)
    assert other.get("/supplier/").status_code == 200


def test_a_plain_user_cannot_require_it_for_the_partner(client, session, user):
    sign_in(client, user.email)
    response = client.post(
        "/team/two-factor", data={"required": "1", "csrf_token": csrf_token(client, "/supplier/")}
    )
    assert response.status_code == 404


def test_the_totp_secret_cannot_be_read_with_another_secret_key(session, user):
    enrolment = two_factor.begin_enrolment(session, user.id, secret_key="key-one")
    session.refresh(user)
    assert two_factor._secret(user, "key-one") == enrolment.secret
    assert two_factor._secret(user, "key-two") == ""


# -- sign-in history and open sessions --


def test_the_account_page_lists_sign_ins_and_sessions_and_ends_one(extranet, session, user):
    here, there = extranet.test_client(), extranet.test_client()
    sign_in(here, user.email, headers={"User-Agent": "HereBrowser/1"})
    sign_in(there, user.email, headers={"User-Agent": "ThereBrowser/2"})
    page = here.get("/account").get_data(as_text=True)
    history = page.split('data-testid="sign-in-history"')[1]
    assert history.count("<tr>") == 3  # header and two sign-ins
    assert "ThereBrowser/2" in history
    assert "Password</td>" in history
    theirs = session.scalar(select(AccountSession).where(AccountSession.user_agent == "ThereBrowser/2"))
    assert f'data-testid="session-{theirs.id}"' in page
    response = here.post(
        f"/account/sessions/{theirs.id}/end", data={"csrf_token": csrf_token(here, "/account")}
    )
    assert response.headers["Location"] == "/account"
    assert there.get("/supplier/").status_code == 302
    assert here.get("/supplier/").status_code == 200
    assert session.query(SignInEvent).filter_by(account_id=user.id).count() == 2


def test_another_accounts_session_cannot_be_ended(extranet, session, user):
    stranger = make_account(
        session,
        "sam@sup121.example.com",
        partners=tuple(user.active_memberships()[0:1] and [user.memberships[0].partner]),
    )
    theirs_client = extranet.test_client()
    sign_in(theirs_client, stranger.email)
    theirs = session.scalar(select(AccountSession).where(AccountSession.account_id == stranger.id))
    mine = extranet.test_client()
    sign_in(mine, user.email)
    response = mine.post(
        f"/account/sessions/{theirs.id}/end", data={"csrf_token": csrf_token(mine, "/account")}
    )
    assert response.status_code == 404
    assert theirs_client.get("/supplier/").status_code == 200


def test_a_sign_in_with_a_second_factor_is_recorded_as_such(session, user):
    accounts.record_sign_in(
        session, user, audience="extranet", method="password+totp", address="1.2.3.4", user_agent="x"
    )
    [event] = accounts.sign_in_history(session, user.id)
    assert (event.method, event.address) == ("password+totp", "1.2.3.4")
    session.refresh(user)
    assert user.proven_until is not None


def test_an_account_with_a_second_factor_passes_its_addresses_throttle_but_still_needs_the_code(
    extranet, session, user
):
    first = extranet.test_client()
    sign_in(first, user.email)
    enrol(first, session, user)
    client = extranet.test_client()
    for n in range(20):
        token = csrf_token(client, "/login")
        client.post("/login", data={"email": f"x{n}@example.com", "password": "nope", "csrf_token": token})
    assert sign_in(client, "someone.else@example.com").status_code == 429
    response = sign_in(client, user.email)
    assert response.headers["Location"] == "/login/two-factor"
    assert client.get("/supplier/").status_code == 302


def test_asking_for_resets_does_not_count_as_failed_sign_ins(apps, user):
    _console, extranet, _inbox = apps
    client = extranet.test_client()
    for _ in range(6):
        ask_reset(client, user.email)
    assert sign_in(client, user.email).status_code == 302
