"""A customer's partner-admin manages its team as suppliers' admins do; pending invitations of either
kind of partner are listed, resent with a fresh link, or revoked."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from internal.models import AuditEvent, Membership, MembershipRole
from tests.conftest import app_config
from tests.factories import csrf_token, make_account, make_partner, sign_in
from tests.smtp_sink import smtp_sink  # noqa: F401 - pytest fixture

LINK = re.compile(r"/invitation/([A-Za-z0-9_-]{20,})")


@pytest.fixture(params=["customer", "supplier"])
def team(request, session, connection, smtp_sink):  # noqa: F811
    import portal

    inbox, port = smtp_sink
    app = portal.create_app(app_config(connection, SMTP_HOST="127.0.0.1", SMTP_PORT=port))
    partner = make_partner(session, f"P-{request.param}-971", request.param)
    other = make_partner(session, "CUS-972", "customer")
    admin = make_account(
        session, f"admin@{request.param}971.example.com", partners=(partner,), role="partner_admin"
    )
    colleague = make_account(session, f"colleague@{request.param}971.example.com", partners=(partner,))
    make_account(session, "admin@cus972.example.com", partners=(other,), role="partner_admin")
    client = app.test_client()
    sign_in(client, admin.email)
    return app, client, inbox, partner, colleague


def invite(client, email):
    return client.post(
        "/team", data={"email": email, "role": "user", "csrf_token": csrf_token(client, "/team")}
    )


def pending_row(client, email):
    page = client.get("/team").get_data(as_text=True)
    match = re.search(
        rf'data-testid="invitation-{re.escape(email)}".*?/team/invitations/(\d+)/resend', page, re.DOTALL
    )
    return int(match.group(1)) if match else None


def test_a_customer_admin_invites_changes_roles_and_deactivates(session, team):
    _app, client, inbox, partner, colleague = team
    assert 'href="/team"' in client.get("/", follow_redirects=True).get_data(
        as_text=True
    )  # in the navigation
    assert invite(client, "new@example.com").status_code == 302
    assert LINK.search(inbox.wait_for(1)[0].get_content())
    target = session.scalar(
        select(Membership.id).where(
            Membership.account_id == colleague.id, Membership.partner_id == partner.id
        )
    )
    token = csrf_token(client, "/team")
    client.post(f"/team/{target}/role", data={"csrf_token": token, "role": "partner_admin"})
    membership = session.get(Membership, target)
    session.refresh(membership)
    assert membership.role == MembershipRole.partner_admin
    client.post(f"/team/{target}/deactivate", data={"csrf_token": token})
    session.refresh(membership)
    assert membership.active is False


def test_pending_invitations_are_resent_with_a_new_link_or_revoked(session, team):
    app, client, inbox, _partner, _colleague = team
    invite(client, "later@example.com")
    first = LINK.search(inbox.wait_for(1)[0].get_content()).group(1)
    invitation_id = pending_row(client, "later@example.com")
    assert invitation_id is not None

    token = csrf_token(client, "/team")
    assert (
        client.post(f"/team/invitations/{invitation_id}/resend", data={"csrf_token": token}).status_code
        == 302
    )
    second = LINK.search(inbox.wait_for(2)[1].get_content()).group(1)
    assert second != first
    visitor = app.test_client()
    assert visitor.get(f"/invitation/{first}").status_code == 404  # the old link stopped working
    assert visitor.get(f"/invitation/{second}").status_code == 200

    assert (
        client.post(f"/team/invitations/{invitation_id}/revoke", data={"csrf_token": token}).status_code
        == 302
    )
    assert visitor.get(f"/invitation/{second}").status_code == 404
    assert pending_row(client, "later@example.com") is None
    audit = session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.object_type == "invitation", AuditEvent.object_id == str(invitation_id))
        .order_by(AuditEvent.seq)
    ).all()
    assert audit == ["invitation.created", "invitation.renewed", "invitation.revoked"]


def test_another_partners_invitation_cannot_be_touched(session, team):
    app, client, inbox, _partner, _colleague = team
    other_admin = app.test_client()
    sign_in(other_admin, "admin@cus972.example.com")
    invite(other_admin, "theirs@example.com")
    inbox.wait_for(1)
    theirs = pending_row(other_admin, "theirs@example.com")
    token = csrf_token(client, "/team")
    for change in ("resend", "revoke"):
        assert (
            client.post(f"/team/invitations/{theirs}/{change}", data={"csrf_token": token}).status_code == 404
        )
    assert pending_row(other_admin, "theirs@example.com") == theirs
