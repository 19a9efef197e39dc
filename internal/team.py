"""A partner-admin manages their own partner's users: list, change role, deactivate.

Every function checks that the actor is an active partner-admin of that partner; a membership of
another partner is reported as not found. Results are plain values, never ORM objects.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from internal import audit
from internal.accounts import end_all_sessions, token_hash
from internal.invitations import INVITATION_LIFETIME
from internal.models import Account, AuditEvent, Invitation, Membership, MembershipRole, utcnow


@dataclass(frozen=True, slots=True)
class Member:
    membership_id: int
    name: str
    email: str
    role: str
    active: bool
    last_login_at: str | None


class TeamChangeRefused(ValueError):
    """The change is not allowed; the message says why."""


class NotPartnerAdmin(PermissionError):
    """The actor is not a partner-admin of this partner."""


class MemberNotFound(LookupError):
    """No such membership in this partner."""


def _require_admin(session: Session, actor_id: int, partner_id: int) -> None:
    ok = session.scalar(
        select(Membership.id).where(
            Membership.account_id == actor_id,
            Membership.partner_id == partner_id,
            Membership.role == MembershipRole.partner_admin,
            Membership.active.is_(True),
        )
    )
    if ok is None:
        raise NotPartnerAdmin(partner_id)


def members(session: Session, *, actor_id: int, partner_id: int) -> tuple[Member, ...]:
    _require_admin(session, actor_id, partner_id)
    rows = session.execute(
        select(Membership, Account)
        .join(Account, Account.id == Membership.account_id)
        .where(Membership.partner_id == partner_id)
        .order_by(Membership.active.desc(), Account.name)
    ).all()
    return tuple(
        Member(
            membership_id=m.id,
            name=a.name,
            email=a.email,
            role=m.role.value,
            active=m.active and a.active,
            last_login_at=a.last_login_at.isoformat() if a.last_login_at else None,
        )
        for m, a in rows
    )


def _membership(session: Session, partner_id: int, membership_id: int) -> Membership:
    membership = session.get(Membership, membership_id)
    if membership is None or membership.partner_id != partner_id:
        raise MemberNotFound(membership_id)
    return membership


def _other_active_admins(session: Session, partner_id: int, membership_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(
                Membership.partner_id == partner_id,
                Membership.role == MembershipRole.partner_admin,
                Membership.active.is_(True),
                Membership.id != membership_id,
            )
        )
        or 0
    )


def set_role(session: Session, *, actor_id: int, partner_id: int, membership_id: int, role: str) -> None:
    _require_admin(session, actor_id, partner_id)
    membership = _membership(session, partner_id, membership_id)
    new_role = MembershipRole(role)
    if (
        membership.role is MembershipRole.partner_admin
        and new_role is not MembershipRole.partner_admin
        and not _other_active_admins(session, partner_id, membership_id)
    ):
        raise TeamChangeRefused(
            _l("A partner needs at least one partner admin: make someone else admin first.")
        )
    membership.role = new_role
    session.flush()


def deactivate(session: Session, *, actor_id: int, partner_id: int, membership_id: int) -> None:
    """Deactivate a colleague's membership; their sessions end at once."""
    _require_admin(session, actor_id, partner_id)
    membership = _membership(session, partner_id, membership_id)
    if membership.account_id == actor_id:
        raise TeamChangeRefused(_l("You cannot deactivate yourself; ask another partner admin."))
    membership.active = False
    session.flush()
    audit.record(
        session,
        "membership.deactivated",
        actor_id=actor_id,
        object_type="membership",
        object_id=str(membership.id),
        detail={"account_id": membership.account_id, "partner_id": partner_id},
    )
    # Sessions hold no per-partner state worth keeping: end them all so access stops now.
    end_all_sessions(session, membership.account_id)


def reactivate(session: Session, *, actor_id: int, partner_id: int, membership_id: int) -> None:
    _require_admin(session, actor_id, partner_id)
    membership = _membership(session, partner_id, membership_id)
    membership.active = True
    session.flush()
    audit.record(
        session,
        "membership.reactivated",
        actor_id=actor_id,
        object_type="membership",
        object_id=str(membership.id),
        detail={"account_id": membership.account_id, "partner_id": partner_id},
    )


@dataclass(frozen=True, slots=True)
class PendingInvitation:
    invitation_id: int
    email: str
    role: str
    created_at: dt.datetime
    expires_at: dt.datetime
    sent: bool


def pending_invitations(session: Session, *, actor_id: int, partner_id: int) -> tuple[PendingInvitation, ...]:
    """Invitations of this partner not yet accepted and still valid, newest first."""
    _require_admin(session, actor_id, partner_id)
    rows = session.scalars(
        select(Invitation)
        .where(
            Invitation.partner_id == partner_id,
            Invitation.accepted_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    )
    return tuple(
        PendingInvitation(i.id, i.email, i.role.value, i.created_at, i.expires_at, i.sent_at is not None)
        for i in rows
    )


def _pending(session: Session, partner_id: int, invitation_id: int) -> Invitation:
    invitation = session.scalar(
        select(Invitation).where(
            Invitation.id == invitation_id,
            Invitation.partner_id == partner_id,
            Invitation.accepted_at.is_(None),
        )
    )
    if invitation is None:
        raise MemberNotFound(invitation_id)
    return invitation


def renew_invitation(
    session: Session, *, actor_id: int, partner_id: int, invitation_id: int
) -> tuple[Invitation, str]:
    """A fresh link for a pending invitation (the old link stops working) and a full lifetime again.

    Returns the invitation and the new token for the caller to e-mail (only its hash is stored).
    """
    _require_admin(session, actor_id, partner_id)
    invitation = _pending(session, partner_id, invitation_id)
    token = secrets.token_urlsafe(32)
    invitation.token_hash = token_hash(token)
    invitation.expires_at = utcnow() + INVITATION_LIFETIME
    invitation.sent_at = None
    session.add(_invitation_event(actor_id, "invitation.renewed", invitation))
    session.flush()
    return invitation, token


def revoke_invitation(session: Session, *, actor_id: int, partner_id: int, invitation_id: int) -> str:
    """Withdraw a pending invitation: its link stops working at once. Returns the address it was for."""
    _require_admin(session, actor_id, partner_id)
    invitation = _pending(session, partner_id, invitation_id)
    invitation.expires_at = utcnow()
    session.add(_invitation_event(actor_id, "invitation.revoked", invitation))
    session.flush()
    return invitation.email


def _invitation_event(actor_id: int, action: str, invitation: Invitation) -> AuditEvent:
    return AuditEvent(
        account_id=actor_id,
        action=action,
        object_type="invitation",
        object_id=str(invitation.id),
        detail={"email": invitation.email, "partner_id": invitation.partner_id},
    )
