"""The two apps: health, separation of staff routes, error pages and languages."""

from __future__ import annotations

import re

from tests.factories import make_account, make_partner, sign_in

#: Routes both apps have on purpose (sign-in, health, assets, language).
SHARED_PATHS = {
    "/login",
    "/logout",
    "/account/password",
    "/healthz",
    "/language",
    "/",
    "/assets/<path:filename>",
    # One's own account, on either app.
    "/login/two-factor",
    "/password/forgot",
    "/password/reset/<token>",
    "/account",
    "/account/sessions/<int:session_id>/end",
    "/account/two-factor",
}


def test_both_apps_report_health_with_the_database_state(client, console_client):
    for http, app_name in ((client, "extranet"), (console_client, "console")):
        response = http.get("/healthz")
        assert response.status_code == 200
        body = response.get_json()
        assert body["status"] == "ok"
        assert body["app"] == app_name
        assert body["database"]["ok"] is True
        assert body["database"]["revision"]
        assert body["database"]["backend"] in {"sqlite", "postgresql"}


def test_the_extranet_answers_404_for_every_staff_console_path(console, client, session):
    partner = make_partner(session, "SUP-301", "supplier")
    make_account(session, "s301@example.com", partners=(partner,))
    sign_in(client, "s301@example.com")
    staff_paths = []
    for rule in console.url_map.iter_rules():
        if rule.rule in SHARED_PATHS:
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", "SUP-301", rule.rule)
        staff_paths.append(path)
        assert client.get(path).status_code == 404, path
        assert client.post(path).status_code in (400, 404), path  # CSRF refuses a bare POST first
    assert "/partners" in staff_paths
    assert "/partners/SUP-301" in staff_paths


def test_unknown_pages_get_a_clear_page_not_a_traceback(client):
    response = client.get("/no/such/page")
    body = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "There is no page at this address" in body
    assert "Traceback" not in body


def test_chinese_browser_gets_chinese_pages(client):
    response = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    body = response.get_data(as_text=True)
    assert '<html lang="zh-CN">' in body
    assert "登录" in body
    assert "Sign in" not in body.replace('lang="en">English', "")


def test_english_is_the_default_language(client):
    body = client.get("/login", headers={"Accept-Language": "fr-FR"}).get_data(as_text=True)
    assert '<html lang="en">' in body
    assert "Sign in" in body


def test_the_users_saved_language_wins_over_the_browser(client, session):
    partner = make_partner(session, "SUP-302", "supplier")
    make_account(session, "s302@example.com", partners=(partner,), locale="zh_CN")
    sign_in(client, "s302@example.com")
    body = client.get("/supplier/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "供应商工作台" in body


def test_error_pages_are_in_the_users_language(client):
    body = client.get("/no/such/page", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "找不到" in body


def test_pages_send_security_headers(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_assets_are_served_locally(client):
    body = client.get("/login").get_data(as_text=True)
    assert "/assets/vendor/bootstrap/bootstrap.min.css" in body
    assert "cdn" not in body.lower()
    with client.get("/assets/vendor/bootstrap/bootstrap.min.css") as css:
        assert css.status_code == 200
        assert b"Bootstrap" in css.data[:400]


def test_staff_console_home_shows_figures_and_role(console_client, session):
    make_partner(session, "SUP-303", "supplier")
    make_account(session, "viewer303@example.com", staff_role="viewer")
    sign_in(console_client, "viewer303@example.com")
    body = console_client.get("/").get_data(as_text=True)
    assert 'data-testid="console-home"' in body
    assert 'data-testid="staff-role">Viewer' in body


def test_signed_out_visitors_see_no_navigation(client, console_client):
    for http in (client, console_client):
        body = http.get("/login").get_data(as_text=True)
        nav = body.split('data-testid="main-nav">')[1].split("</ul>")[0]
        assert "nav-link" not in nav


def test_a_policy_admin_sets_a_partners_groups_and_status_with_an_audit_event(
    console_client, client, session
):
    from sqlalchemy import select

    from internal.models import AuditEvent, Partner
    from tests.factories import csrf_token

    partner = make_partner(session, "SUP-304", "supplier", groups=("suppliers",))
    make_partner(session, "SUP-305", "supplier", groups=("strategic-suppliers",))
    make_account(session, "s304@example.com", partners=(partner,))
    make_account(session, "pa304@example.com", staff_role="policy_admin")
    sign_in(console_client, "pa304@example.com")
    token = csrf_token(console_client, "/partners/SUP-304")
    response = console_client.post(
        "/partners/SUP-304/settings",
        data={
            "settings-csrf_token": token,
            "settings-groups": ["suppliers", "strategic-suppliers"],
            "settings-status": "suspended",
        },
    )
    assert response.status_code == 302
    session.expire_all()
    changed = session.scalar(select(Partner).where(Partner.code == "SUP-304"))
    assert {g.name for g in changed.groups} == {"suppliers", "strategic-suppliers"}
    assert changed.status.value == "suspended"
    event = session.scalar(select(AuditEvent).where(AuditEvent.object_id == "SUP-304"))
    assert event.detail["before"] == {"groups": ["suppliers"], "status": "active"}
    # A suspended partner's users can no longer sign in.
    assert sign_in(client, "s304@example.com").status_code == 401


def test_a_staff_viewer_cannot_change_partner_settings(console_client, session):
    from tests.factories import csrf_token

    make_partner(session, "SUP-306", "supplier")
    make_account(session, "v306@example.com", staff_role="viewer")
    sign_in(console_client, "v306@example.com")
    page = console_client.get("/partners/SUP-306").get_data(as_text=True)
    assert 'data-testid="partner-settings"' not in page
    token = csrf_token(console_client, "/")
    response = console_client.post(
        "/partners/SUP-306/settings", data={"settings-csrf_token": token, "settings-status": "suspended"}
    )
    assert response.status_code == 403


def test_console_partner_list_pages_and_searches(console_client, session):
    for n in range(55):
        make_partner(session, f"PG-{n:03d}", "customer")
    make_account(session, "v307@example.com", staff_role="viewer")
    sign_in(console_client, "v307@example.com")
    first = console_client.get("/partners?q=PG-").get_data(as_text=True)
    assert "Page 1 of 2" in first
    assert "PG-049" in first
    assert "PG-050" not in first
    second = console_client.get("/partners?q=PG-&page=2").get_data(as_text=True)
    assert "PG-050" in second
    assert "PG-054" in second
    assert "PG-000" not in second
