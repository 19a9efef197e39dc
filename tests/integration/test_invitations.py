"""Invitations: staff invite a partner user, a real e-mail carries the link, the link creates the account."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from sqlalchemy import select

from internal import config as settings
from internal import invitations, jobs
from internal.accounts import PasswordRejected
from internal.db import make_session_factory
from internal.models import Account, Invitation, Membership, PartnerStatus
from internal.passwords import verify_password
from tests.conftest import app_config
from tests.factories import csrf_token, make_account, make_partner, sign_in
from tests.smtp_sink import smtp_sink  # noqa: F401 - pytest fixture

LINK = re.compile(r"http://portal\.test/invitation/([A-Za-z0-9_-]+)")


@pytest.fixture
def eager_mail(connection, smtp_sink):  # noqa: F811 - the fixture above
    """Tasks run in-process on the test's connection (they see its uncommitted rows) and mail the sink."""
    inbox, port = smtp_sink
    previous_config = jobs.current_config()
    jobs.configure(
        settings.load(
            {
                "CELERY_BROKER_URL": "",
                "SECRET_KEY": "test-secret-key",
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": port,
                "EXTRANET_URL": "http://portal.test",
            }
        )
    )
    previous_factory = jobs.use_session_factory(make_session_factory(connection))
    yield inbox
    jobs.configure(previous_config)
    jobs.use_session_factory(previous_factory)


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


def test_invite_and_send_mails_a_link_whose_token_the_database_only_knows_hashed(session, eager_mail):
    partner = make_partner(session, "SUP-406", "supplier")
    invitation = jobs.invite_and_send(
        session, partner_id=partner.id, email="Fresh@Example.com", role="user", invited_by_id=None
    )
    assert eager_mail.messages == []  # nothing goes out before the commit
    session.commit()

    (mail,) = eager_mail.wait_for(1)
    assert mail["To"] == "fresh@example.com"
    assert "SUP-406 Industries" in mail["Subject"]
    assert mail["Message-ID"].endswith("@example.com>")
    assert mail["Date"].datetime.tzinfo is not None
    token = LINK.search(mail.get_content()).group(1)
    session.refresh(invitation)
    assert invitation.sent_at is not None
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    row = session.execute(select(Invitation.__table__).where(Invitation.id == invitation.id)).one()
    assert not any(token in str(value) for value in row)

    assert invitations.find_invitation(session, token).id == invitation.id
    account = invitations.accept(session, token, name=" Fresh Colleague ", password="a-long-new-password")
    assert (account.email, account.name) == ("fresh@example.com", "Fresh Colleague")
    assert verify_password(account.password_hash, "a-long-new-password")
    assert [(m.partner_id, m.role.value) for m in account.memberships] == [(partner.id, "user")]
    # Used once, the link is dead.
    assert invitations.find_invitation(session, token) is None
    with pytest.raises(invitations.InvitationError, match="expired or was already used"):
        invitations.accept(session, token, name="Again", password="another-long-password")


def test_a_rolled_back_invitation_mails_nothing(session, eager_mail):
    partner = make_partner(session, "SUP-407", "supplier")
    session.commit()
    jobs.invite_and_send(session, partner_id=partner.id, email="never@example.com", invited_by_id=None)
    session.rollback()
    session.commit()  # a later commit does not send the forgotten invitation either
    assert eager_mail.messages == []
    assert session.scalar(select(Invitation).where(Invitation.partner_id == partner.id)) is None


def test_the_send_task_mails_once_and_only_a_matching_token(session, eager_mail):
    partner = make_partner(session, "SUP-408", "supplier")
    invitation, token = invitations.invite(
        session, partner_id=partner.id, email="once@example.com", invited_by_id=None
    )
    session.commit()
    assert jobs.send_invitation.delay(invitation.id, "not-" + token).get() is False
    assert jobs.send_invitation.delay(invitation.id, token).get() is True
    # Delivered again, as after a worker died before acknowledging: nothing more is sent.
    assert jobs.send_invitation.delay(invitation.id, token).get() is False
    assert jobs.send_invitation.delay(invitation.id + 1000, token).get() is False
    assert len(eager_mail.messages) == 1


@pytest.mark.parametrize(
    ("email", "role", "partner_state", "reason"),
    [
        ("not-an-address", "user", "active", "is not a valid e-mail address"),
        ("someone@example.com", "owner", "active", "is not a role"),
        ("someone@example.com", "user", "unknown", "does not exist or is suspended"),
        ("someone@example.com", "user", "suspended", "does not exist or is suspended"),
        ("Member409@Example.com", "user", "active", "already a user of SUP-409"),
    ],
)
def test_invite_refuses_bad_input_and_stores_nothing(session, email, role, partner_state, reason):
    partner = make_partner(session, "SUP-409", "supplier")
    make_account(session, "member409@example.com", partners=(partner,))
    partner_id = partner.id + 1000 if partner_state == "unknown" else partner.id
    if partner_state == "suspended":
        partner.status = PartnerStatus.suspended
        session.flush()
    with pytest.raises(invitations.InvitationError, match=reason):
        invitations.invite(session, partner_id=partner_id, email=email, role=role, invited_by_id=None)
    assert session.scalars(select(Invitation)).all() == []


def test_a_former_member_may_be_invited_again(session):
    partner = make_partner(session, "SUP-410", "supplier")
    account = make_account(session, "former410@example.com", partners=(partner,))
    account.memberships[0].active = False
    session.flush()
    _invitation, token = invitations.invite(
        session, partner_id=partner.id, email=account.email, role="partner_admin", invited_by_id=None
    )
    invitations.accept(session, token, name="ignored", password="ignored-too-long")
    session.refresh(account.memberships[0])
    assert (account.memberships[0].active, account.memberships[0].role.value) == (True, "partner_admin")


def test_a_refused_password_leaves_the_link_usable(session):
    partner = make_partner(session, "SUP-411", "supplier")
    _invitation, token = invitations.invite(
        session, partner_id=partner.id, email="careful411@example.com", invited_by_id=None
    )
    with pytest.raises(PasswordRejected, match="e-mail"):
        invitations.accept(session, token, name="Careful", password="careful411@example.com")
    assert invitations.find_invitation(session, token) is not None


def test_on_commit_waits_for_the_real_commit_forgets_rollbacks_and_survives_failures(session, caplog):
    ran = []
    jobs.on_commit(session, lambda: ran.append("rolled back"))
    session.begin_nested().commit()  # a released savepoint is not the commit
    assert ran == []
    session.rollback()
    session.commit()
    assert ran == []

    jobs.on_commit(session, lambda: 1 / 0)
    jobs.on_commit(session, lambda: ran.append("committed"))
    session.commit()  # the failing callback is logged; the commit and the next callback stand
    assert ran == ["committed"]
    assert "ZeroDivisionError" in caplog.text
