"""Sign-in, sessions that die on the server, CSRF, throttling and partner switching."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from internal.models import AccountSession, LoginFailure
from tests.factories import PASSWORD, csrf_token, make_account, make_partner, sign_in


@pytest.fixture
def supplier_user(session):
    partner = make_partner(session, "SUP-101", "supplier", groups=("suppliers",))
    return make_account(session, "sam@sup101.example.com", partners=(partner,))


@pytest.fixture
def customer_user(session):
    partner = make_partner(session, "CUS-101", "customer")
    return make_account(session, "cora@cus101.example.com", partners=(partner,))


def test_supplier_user_signs_in_and_lands_on_their_workspace(client, supplier_user):
    response = sign_in(client, supplier_user.email, follow_redirects=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-testid="supplier-home"' in body
    assert "SUP-101 Industries" in body
    # Only the supplier's own navigation, nothing of customers or staff.
    nav = body.split('data-testid="main-nav">')[1].split("</ul>")[0]
    for section in ("Supplier workspace", "Forecast", "Purchase orders", "Ship notices"):
        assert section in nav
    assert "Customer service" not in nav
    assert "Team" not in nav  # a plain user, not a partner admin


def test_email_is_matched_case_insensitively(client, supplier_user):
    response = sign_in(client, "  SAM@Sup101.example.com ")
    assert response.status_code == 302


def test_unknown_user_and_wrong_password_get_the_same_message(client, supplier_user):
    wrong = sign_in(client, supplier_user.email, "not-the-password")
    unknown = sign_in(client, "nobody@example.com", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong e-mail or password." in wrong.get_data(as_text=True)
    assert "Wrong e-mail or password." in unknown.get_data(as_text=True)


def test_login_starts_a_new_session(client, supplier_user):
    with client.session_transaction() as cookie_session:
        cookie_session["planted"] = "by an attacker"
    sign_in(client, supplier_user.email)
    with client.session_transaction() as cookie_session:
        assert "planted" not in cookie_session
        assert cookie_session["_user_id"]


def test_logout_ends_the_session_on_the_server_so_a_replayed_cookie_is_refused(
    extranet, client, supplier_user, session
):
    sign_in(client, supplier_user.email)
    stolen = client.get_cookie("extranet_session").value
    assert client.get("/supplier/").status_code == 200

    client.post("/logout", data={"csrf_token": csrf_token(client, "/supplier/")})
    assert session.scalar(select(AccountSession).where(AccountSession.account_id == supplier_user.id)) is None

    replay = extranet.test_client()
    replay.set_cookie("extranet_session", stolen)
    response = replay.get("/supplier/", follow_redirects=True)
    assert 'data-testid="supplier-home"' not in response.get_data(as_text=True)
    assert "Your session has ended" in response.get_data(as_text=True)


def test_logout_without_csrf_token_is_refused_with_a_clear_page(client, supplier_user):
    sign_in(client, supplier_user.email)
    response = client.post("/logout")
    assert response.status_code == 400
    assert "The form has expired" in response.get_data(as_text=True)
    # Still signed in: the forged request changed nothing.
    assert client.get("/supplier/").status_code == 200


def test_login_post_without_csrf_token_is_refused(client, supplier_user):
    response = client.post("/login", data={"email": supplier_user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "Reload the page and try again" in response.get_data(as_text=True)


def test_password_change_ends_every_other_session(extranet, supplier_user):
    here, elsewhere = extranet.test_client(), extranet.test_client()
    sign_in(here, supplier_user.email)
    sign_in(elsewhere, supplier_user.email)
    assert elsewhere.get("/supplier/").status_code == 200

    token = csrf_token(here, "/account/password")
    response = here.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "new": "a-brand-new-secret",
            "confirm": "a-brand-new-secret",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert here.get("/supplier/").status_code == 200
    assert elsewhere.get("/supplier/").status_code == 302
    # The new password works, the old one does not.
    fresh = extranet.test_client()
    assert sign_in(fresh, supplier_user.email, PASSWORD).status_code == 401
    assert sign_in(fresh, supplier_user.email, "a-brand-new-secret").status_code == 302


def test_password_change_with_wrong_current_password_rerenders_with_the_error(client, supplier_user):
    sign_in(client, supplier_user.email)
    token = csrf_token(client, "/account/password")
    response = client.post(
        "/account/password",
        data={
            "current": "nope",
            "new": "a-brand-new-secret",
            "confirm": "a-brand-new-secret",
            "csrf_token": token,
        },
    )
    assert response.status_code == 400
    assert "The current password is wrong." in response.get_data(as_text=True)


def test_password_change_rejects_a_short_or_mismatched_password(client, supplier_user):
    sign_in(client, supplier_user.email)
    token = csrf_token(client, "/account/password")
    response = client.post(
        "/account/password",
        data={"current": PASSWORD, "new": "short", "confirm": "other", "csrf_token": token},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Use at least 10 characters." in body
    assert "The two new passwords differ." in body


def test_expired_session_is_sent_to_sign_in_with_a_message(client, supplier_user, session):
    sign_in(client, supplier_user.email)
    session.execute(
        update(AccountSession)
        .where(AccountSession.account_id == supplier_user.id)
        .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    )
    session.flush()
    response = client.get("/supplier/", follow_redirects=True)
    assert "Your session has ended. Please sign in again." in response.get_data(as_text=True)


def test_repeated_failures_throttle_that_account_from_that_address_only(extranet, supplier_user, session):
    attacker = extranet.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for _ in range(5):
        assert sign_in(attacker, supplier_user.email, "guess").status_code == 401
    throttled = sign_in(attacker, supplier_user.email, PASSWORD)
    assert throttled.status_code == 429
    assert "Too many failed sign-ins" in throttled.get_data(as_text=True)

    # The real user, elsewhere, is not locked out by someone else's failures.
    owner = extranet.test_client()
    owner.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert sign_in(owner, supplier_user.email, PASSWORD).status_code == 302


def test_an_address_failing_across_many_accounts_is_throttled(extranet, supplier_user, session):
    for n in range(20):
        session.add(LoginFailure(email=f"victim{n}@example.com", address="203.0.113.50"))
    session.flush()
    sprayer = extranet.test_client()
    sprayer.environ_base["REMOTE_ADDR"] = "203.0.113.50"
    assert sign_in(sprayer, supplier_user.email, PASSWORD).status_code == 429


def test_staff_cannot_sign_in_to_the_extranet_and_partners_not_to_the_console(
    client, console_client, session, supplier_user
):
    staff = make_account(session, "pat.admin@example.com", staff_role="policy_admin")
    assert sign_in(client, staff.email).status_code == 401
    assert sign_in(console_client, supplier_user.email).status_code == 401
    assert sign_in(console_client, staff.email).status_code == 302


def test_a_customer_gets_404_on_supplier_pages(client, customer_user):
    sign_in(client, customer_user.email)
    assert client.get("/supplier/").status_code == 404
    assert client.get("/customer/").status_code == 200


def test_a_user_of_two_partners_switches_the_active_partner(client, session):
    supplier = make_partner(session, "SUP-201", "supplier")
    customer = make_partner(session, "CUS-201", "customer")
    user = make_account(session, "dual@example.com", partners=(supplier, customer))
    sign_in(client, user.email)
    assert client.get("/", follow_redirects=False).location.endswith("/supplier/")

    token = csrf_token(client, "/supplier/")
    response = client.post("/partner", data={"partner": "CUS-201", "csrf_token": token})
    assert response.status_code == 302
    assert client.get("/").location.endswith("/customer/")
    assert client.get("/supplier/").status_code == 404
    page = client.get("/customer/").get_data(as_text=True)
    assert "CUS-201 Industries" in page


def test_switching_to_a_partner_one_does_not_belong_to_is_404(client, supplier_user, session):
    make_partner(session, "SUP-999", "supplier")
    sign_in(client, supplier_user.email)
    token = csrf_token(client, "/supplier/")
    for code in ("SUP-999", "NO-SUCH-CODE"):
        response = client.post("/partner", data={"partner": code, "csrf_token": token})
        assert response.status_code == 404
        assert 'data-testid="error-page"' in response.get_data(as_text=True)


def test_deactivated_membership_ends_the_users_sessions(client, supplier_user, session):
    from internal.accounts import deactivate_membership

    sign_in(client, supplier_user.email)
    assert client.get("/supplier/").status_code == 200
    deactivate_membership(session, supplier_user.memberships[0].id)
    assert client.get("/supplier/").status_code == 302


def test_login_redirects_only_to_local_pages(client, supplier_user):
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=https://evil.example.com/",
        data={"email": supplier_user.email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.location == "/"


def test_sign_in_posts_are_rate_limited_per_address(connection, supplier_user):
    import portal
    from tests.conftest import app_config

    app = portal.create_app(app_config(connection, RATELIMIT_ENABLED=True))
    http = app.test_client()
    http.environ_base["REMOTE_ADDR"] = "192.0.2.77"
    token = csrf_token(http, "/login")
    statuses = [
        http.post(
            "/login", data={"email": f"u{n}@example.com", "password": "x", "csrf_token": token}
        ).status_code
        for n in range(31)
    ]
    assert statuses[:20] == [401] * 20  # the database throttle starts after 20 failures from one address
    assert statuses[-1] == 429
    assert "Too many" in http.post("/login", data={"csrf_token": token}).get_data(as_text=True)
