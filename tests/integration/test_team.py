"""A supplier's partner-admin invites colleagues, sets their role and deactivates them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from internal.models import AccountSession, Membership
from tests.conftest import app_config
from tests.factories import csrf_token, make_account, make_partner, sign_in
from tests.smtp_sink import smtp_sink  # noqa: F401 - pytest fixture


@pytest.fixture
def team(session, connection, smtp_sink):  # noqa: F811
    import portal

    inbox, port = smtp_sink
    app = portal.create_app(app_config(connection, SMTP_HOST="127.0.0.1", SMTP_PORT=port))
    partner = make_partner(session, "SUP-951", "supplier")
    admin = make_account(session, "admin@sup951.example.com", partners=(partner,), role="partner_admin")
    colleague = make_account(session, "colleague@sup951.example.com", partners=(partner,))
    client = app.test_client()
    sign_in(client, admin.email)
    return app, client, inbox, partner, admin, colleague


def membership_id(session, account, partner):
    return session.scalar(
        select(Membership.id).where(Membership.account_id == account.id, Membership.partner_id == partner.id)
    )


def test_the_team_page_lists_members_and_invites_by_email(session, team):
    _app, client, inbox, _partner, _admin, _colleague = team
    page = client.get("/team").get_data(as_text=True)
    assert "colleague@sup951.example.com" in page
    response = client.post(
        "/team",
        data={"email": "new@sup951.example.com", "role": "user", "csrf_token": csrf_token(client, "/team")},
    )
    assert response.status_code == 302
    (mail,) = inbox.wait_for(1)
    assert mail["To"] == "new@sup951.example.com"
    assert re.search(r"/invitation/[A-Za-z0-9_-]{20,}", mail.get_content())


def test_deactivating_a_colleague_ends_their_sessions_at_once(session, team):
    app, client, _inbox, partner, _admin, colleague = team
    theirs = app.test_client()
    sign_in(theirs, colleague.email)
    assert theirs.get("/supplier/").status_code == 200
    target = membership_id(session, colleague, partner)
    response = client.post(f"/team/{target}/deactivate", data={"csrf_token": csrf_token(client, "/team")})
    assert response.status_code == 302
    assert theirs.get("/supplier/").status_code == 302
    assert session.scalar(select(AccountSession).where(AccountSession.account_id == colleague.id)) is None
    assert sign_in(app.test_client(), colleague.email).status_code == 401


def test_the_last_partner_admin_cannot_step_down(session, team):
    _app, client, _inbox, partner, admin, colleague = team
    token = csrf_token(client, "/team")
    client.post(
        f"/team/{membership_id(session, admin, partner)}/role", data={"role": "user", "csrf_token": token}
    )
    page = client.get("/team").get_data(as_text=True)
    assert "A partner needs at least one partner admin" in page
    client.post(
        f"/team/{membership_id(session, colleague, partner)}/role",
        data={"role": "partner_admin", "csrf_token": token},
    )
    roles = dict(session.execute(select(Membership.account_id, Membership.role)).all())
    assert roles[colleague.id].value == "partner_admin"
    assert roles[admin.id].value == "partner_admin"


def test_another_partners_membership_is_404(session, team):
    _app, client, _inbox, _partner, _admin, _colleague = team
    other = make_partner(session, "SUP-952", "supplier")
    stranger = make_account(session, "x@sup952.example.com", partners=(other,))
    target = membership_id(session, stranger, other)
    response = client.post(f"/team/{target}/deactivate", data={"csrf_token": csrf_token(client, "/team")})
    assert response.status_code == 404
    assert session.get(Membership, target).active is True


def test_plain_users_have_no_team_page(session, team):
    app, _client, _inbox, _partner, _admin, colleague = team
    theirs = app.test_client()
    sign_in(theirs, colleague.email)
    assert theirs.get("/team").status_code == 404
    assert "/team" not in theirs.get("/supplier/").get_data(as_text=True)


def test_refusals_from_services_reach_the_user_in_their_language(session, team):
    _app, client, _inbox, partner, admin, _colleague = team
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    token = csrf_token(client, "/team")
    client.post(f"/team/{membership_id(session, admin, partner)}/deactivate", data={"csrf_token": token})
    page = client.get("/team").get_data(as_text=True)
    assert "您不能停用自己；请联系其他合作伙伴管理员。" in page
