"""Invitations: staff invite a partner user, a real e-mail carries the link, the link creates the account."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from internal import invitations
from internal.models import Account, Invitation, Membership
from tests.conftest import app_config
from tests.factories import csrf_token, make_account, make_partner, sign_in
from tests.smtp_sink import smtp_sink  # noqa: F401 - pytest fixture

LINK = re.compile(r"http://portal\.test/invitation/([A-Za-z0-9_-]+)")


@pytest.fixture
def apps(connection, smtp_sink):  # noqa: F811 - the fixture above
    import internal
    import portal

    inbox, port = smtp_sink
    config = app_config(connection, SMTP_HOST="127.0.0.1", SMTP_PORT=port, EXTRANET_URL="http://portal.test")
    return internal.create_app(config), portal.create_app(config), inbox


def test_staff_invite_sends_a_real_email_whose_link_creates_the_account(apps, session):
    console, extranet, inbox = apps
    partner = make_partner(session, "SUP-401", "supplier")
    make_account(session, "buyer401@example.com", staff_role="buyer")
    staff = console.test_client()
    sign_in(staff, "buyer401@example.com")
    response = staff.post(
        "/partners/SUP-401",
        data={
            "email": "New.Colleague@SUP401.example.com",
            "role": "partner_admin",
            "csrf_token": csrf_token(staff, "/partners/SUP-401"),
        },
    )
    assert response.status_code == 302

    (mail,) = inbox.wait_for(1)
    assert mail["To"] == "new.colleague@sup401.example.com"
    assert "SUP-401 Industries" in mail["Subject"]
    token = LINK.search(mail.get_content()).group(1)
    stored = session.scalar(select(Invitation).where(Invitation.partner_id == partner.id))
    assert stored.sent_at is not None
    assert token not in (stored.token_hash, stored.email)  # only the hash is kept
    assert len(stored.token_hash) == 64

    partner_user = extranet.test_client()
    page = partner_user.get(f"/invitation/{token}")
    assert page.status_code == 200
    assert "Join SUP-401 Industries" in page.get_data(as_text=True)
    accepted = partner_user.post(
        f"/invitation/{token}",
        data={
            "name": "Nia Colleague",
            "password": "a-long-new-password",
            "confirm": "a-long-new-password",
            "csrf_token": csrf_token(partner_user, f"/invitation/{token}"),
        },
    )
    assert accepted.status_code == 302
    account = session.scalar(select(Account).where(Account.email == "new.colleague@sup401.example.com"))
    membership = session.scalar(select(Membership).where(Membership.account_id == account.id))
    assert (membership.partner_id, membership.role.value) == (partner.id, "partner_admin")
    assert sign_in(partner_user, account.email, "a-long-new-password").status_code == 302
    # The link works once.
    assert extranet.test_client().get(f"/invitation/{token}").status_code == 404


def test_a_staff_viewer_may_not_invite(apps, session):
    console, _extranet, inbox = apps
    make_partner(session, "SUP-402", "supplier")
    make_account(session, "viewer402@example.com", staff_role="viewer")
    staff = console.test_client()
    sign_in(staff, "viewer402@example.com")
    page = staff.get("/partners/SUP-402").get_data(as_text=True)
    assert "Send invitation" not in page
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', staff.get("/").get_data(as_text=True)).group(
        1
    )
    response = staff.post(
        "/partners/SUP-402", data={"email": "x@example.com", "role": "user", "csrf_token": token}
    )
    assert response.status_code == 403
    assert inbox.messages == []


def test_invalid_invitation_input_rerenders_with_a_clear_message(apps, session):
    console, _extranet, inbox = apps
    partner = make_partner(session, "SUP-403", "supplier")
    make_account(session, "member403@example.com", partners=(partner,))
    make_account(session, "admin403@example.com", staff_role="policy_admin")
    staff = console.test_client()
    sign_in(staff, "admin403@example.com")
    token = csrf_token(staff, "/partners/SUP-403")
    bad = staff.post(
        "/partners/SUP-403", data={"email": "not-an-address", "role": "user", "csrf_token": token}
    )
    assert bad.status_code == 400
    assert "Enter a valid e-mail address" in bad.get_data(as_text=True)
    dup = staff.post(
        "/partners/SUP-403", data={"email": "member403@example.com", "role": "user", "csrf_token": token}
    )
    assert dup.status_code == 400
    assert "already a user of SUP-403" in dup.get_data(as_text=True)
    assert inbox.messages == []
    assert session.scalar(select(Invitation).where(Invitation.partner_id == partner.id)) is None


def test_expired_or_unknown_links_are_refused(session, client):
    partner = make_partner(session, "SUP-404", "supplier")
    invitation, token = invitations.invite(
        session, partner_id=partner.id, email="late@example.com", invited_by_id=None
    )
    invitation.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    session.flush()
    assert invitations.find_invitation(session, token) is None
    with pytest.raises(invitations.InvitationError, match="expired or was already used"):
        invitations.accept(session, token, name="Late", password="a-long-new-password")
    page = client.get(f"/invitation/{token}")
    assert page.status_code == 404
    assert "This invitation link is not valid" in page.get_data(as_text=True)
    assert client.get("/invitation/made-up-token").status_code == 404


def test_an_existing_account_gains_a_membership_instead_of_a_second_account(session):
    first = make_partner(session, "SUP-405", "supplier")
    second = make_partner(session, "CUS-405", "customer")
    account = make_account(session, "multi405@example.com", partners=(first,))
    _invitation, token = invitations.invite(
        session, partner_id=second.id, email=account.email, invited_by_id=None
    )
    same = invitations.accept(session, token, name="ignored", password="ignored-too-long")
    assert same.id == account.id
    partners = set(session.scalars(select(Membership.partner_id).where(Membership.account_id == account.id)))
    assert partners == {first.id, second.id}
