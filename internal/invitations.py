"""Invitations: a partner's colleague joins through a one-time link. Only the link's hash is stored."""

from __future__ import annotations

import datetime as dt
import secrets

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from internal import audit
from internal.accounts import check_new_password, normalize_email, token_hash
from internal.models import Account, Invitation, Membership, MembershipRole, Partner, PartnerStatus, utcnow
from internal.passwords import hash_password

INVITATION_LIFETIME = dt.timedelta(days=7)


class InvitationError(ValueError):
    """The invitation cannot be made or used; the message says why, in words for the user."""


def invite(
    session: Session,
    *,
    partner_id: int,
    email: str,
    role: str = MembershipRole.user.value,
    invited_by_id: int | None,
    expires_in: dt.timedelta = INVITATION_LIFETIME,
) -> tuple[Invitation, str]:
    """Create an invitation and return it with the link's token (the caller e-mails it, never stores it).

    Only the token's SHA-256 is stored. Refuses (InvitationError) an invalid e-mail address, an unknown
    role, a partner that does not exist or is suspended, and someone already an active user of it.
    ``internal.jobs.invite_and_send`` also queues the e-mail for when the session commits.
    """
    try:
        member_role = MembershipRole(role)
    except ValueError:
        raise InvitationError(_l("%(role)s is not a role.", role=repr(role))) from None
    try:
        email = normalize_email(validate_email(email, check_deliverability=False).normalized)
    except EmailNotValidError as error:
        raise InvitationError(
            _l("%(email)s is not a valid e-mail address: %(error)s", email=repr(email), error=error)
        ) from None
    partner = session.get(Partner, partner_id)
    if partner is None or partner.status is not PartnerStatus.active:
        raise InvitationError(_l("This partner does not exist or is suspended."))
    already = session.scalar(
        select(Membership)
        .join(Account)
        .where(Account.email == email, Membership.partner_id == partner_id, Membership.active.is_(True))
    )
    if already is not None:
        raise InvitationError(_l("%(email)s is already a user of %(code)s.", email=email, code=partner.code))
    token = secrets.token_urlsafe(32)
    now = utcnow()
    invitation = Invitation(
        partner_id=partner_id,
        email=email,
        role=member_role,
        token_hash=token_hash(token),
        invited_by_id=invited_by_id,
        created_at=now,
        expires_at=now + expires_in,
    )
    session.add(invitation)
    session.flush()
    audit.record(
        session,
        "invitation.created",
        actor_id=invited_by_id,
        object_type="invitation",
        object_id=str(invitation.id),
        detail={"email": email, "partner_id": partner_id, "role": member_role.value},
    )
    return invitation, token


def find_invitation(session: Session, token: str) -> Invitation | None:
    """The open invitation for a link's token: not expired, not yet accepted."""
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at <= utcnow():
        return None
    return invitation


def accept(session: Session, token: str, *, name: str, password: str) -> Account:
    """Accept an invitation: create the account (or add the membership to an existing one).

    An existing account keeps its name and password. Refuses (InvitationError) an unknown, expired or
    used token; PasswordRejected for a weak password.
    """
    invitation = find_invitation(session, token)
    if invitation is None:
        raise InvitationError(_l("This invitation link has expired or was already used."))
    account = session.scalar(select(Account).where(Account.email == invitation.email))
    if account is None:
        check_new_password(password, email=invitation.email)
    # Claimed with a conditional UPDATE (after every refusal, so a refused try leaves the link usable):
    # of two concurrent accepts, one finds nothing left to claim.
    claimed: CursorResult[tuple[()]] = session.execute(  # type: ignore[assignment]
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None))
        .values(accepted_at=utcnow())
    )
    if claimed.rowcount != 1:
        raise InvitationError(_l("This invitation link has expired or was already used."))
    if account is None:
        account = Account(email=invitation.email, name=name.strip(), password_hash=hash_password(password))
        session.add(account)
        session.flush()
    membership = session.scalar(
        select(Membership).where(
            Membership.account_id == account.id, Membership.partner_id == invitation.partner_id
        )
    )
    if membership is None:
        session.add(Membership(account_id=account.id, partner_id=invitation.partner_id, role=invitation.role))
    else:
        membership.active = True
        membership.role = invitation.role
    session.flush()
    audit.record(
        session,
        "invitation.accepted",
        actor_id=account.id,
        object_type="invitation",
        object_id=str(invitation.id),
        detail={"partner_id": invitation.partner_id},
    )
    return account
