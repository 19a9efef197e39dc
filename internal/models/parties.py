"""Parties: partners and their groups, accounts, memberships, sessions and invitations."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from internal.models.types import Base, account_fk, code, created_now, enum_column, intpk, name, partner_fk

if TYPE_CHECKING:
    from collections.abc import Sequence


class PartnerKind(enum.StrEnum):
    supplier = "supplier"
    customer = "customer"
    both = "both"


class PartnerStatus(enum.StrEnum):
    active = "active"
    suspended = "suspended"


class MembershipRole(enum.StrEnum):
    user = "user"
    partner_admin = "partner_admin"


class StaffRole(enum.StrEnum):
    policy_admin = "policy_admin"
    buyer = "buyer"
    viewer = "viewer"
    #: Keeps the demand plan: drafts, edits and publishes it, and follows suppliers' shortfalls.
    planner = "planner"


partner_group_member = Table(
    "partner_group_member",
    Base.metadata,
    Column("partner_id", ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("partner_group.id", ondelete="CASCADE"), primary_key=True),
)


class PartnerGroup(Base):
    __tablename__ = "partner_group"

    id: Mapped[intpk]
    #: Referenced by policy rules as ``group:NAME``.
    name: Mapped[str] = mapped_column(String(60), unique=True)
    description: Mapped[str] = mapped_column(String(400), default="")

    partners: Mapped[list[Partner]] = relationship(secondary=partner_group_member, back_populates="groups")


class Partner(Base):
    __tablename__ = "partner"

    id: Mapped[intpk]
    #: Referenced by policy rules as ``partner:CODE`` and shown to staff; stable across source systems.
    code: Mapped[code]
    name: Mapped[name]
    kind: Mapped[PartnerKind] = mapped_column(enum_column(PartnerKind))
    status: Mapped[PartnerStatus] = mapped_column(enum_column(PartnerStatus), default=PartnerStatus.active)
    country: Mapped[str] = mapped_column(String(2), default="")
    #: Key accounts are customers whose demand is a trade secret even in aggregate.
    is_key_account: Mapped[bool] = mapped_column(default=False)
    #: Set by the partner's admin: its users must sign in with a second factor (TOTP).
    requires_two_factor: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[created_now]

    groups: Mapped[list[PartnerGroup]] = relationship(
        secondary=partner_group_member, back_populates="partners"
    )
    memberships: Mapped[list[Membership]] = relationship(back_populates="partner")

    @property
    def is_supplier(self) -> bool:
        return self.kind in (PartnerKind.supplier, PartnerKind.both)

    @property
    def is_customer(self) -> bool:
        return self.kind in (PartnerKind.customer, PartnerKind.both)


class Account(Base):
    """A person who signs in: enterprise staff, or a user of one or more partners."""

    __tablename__ = "account"
    __table_args__ = (
        CheckConstraint("staff_role IS NULL OR is_staff", name="staff_role_needs_staff"),
        UniqueConstraint("oidc_issuer", "oidc_subject"),
    )

    id: Mapped[intpk]
    #: Stored lower-cased; the sign-in name.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[name]
    #: argon2id hash; empty until an invited user sets a password.
    password_hash: Mapped[str] = mapped_column(String(200), default="")
    is_staff: Mapped[bool] = mapped_column(default=False)
    staff_role: Mapped[StaffRole | None] = mapped_column(enum_column(StaffRole), nullable=True)
    #: Preferred language ("en", "zh_CN"); None follows the browser.
    locale: Mapped[str | None] = mapped_column(String(10), nullable=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_now]
    last_login_at: Mapped[dt.datetime | None]
    password_changed_at: Mapped[dt.datetime | None]
    #: The TOTP secret, encrypted with a key derived from SECRET_KEY (Fernet); empty when not enrolled.
    totp_secret: Mapped[str] = mapped_column(String(300), default="")
    #: When a confirmed authenticator was enrolled; None while enrolment is unconfirmed or absent.
    totp_enabled_at: Mapped[dt.datetime | None]
    #: The last TOTP time step accepted, so one code signs in once.
    totp_last_step: Mapped[int | None]
    #: Until when the account has proved itself (reset link, second factor) and passes the address throttle.
    proven_until: Mapped[dt.datetime | None]
    #: The company identity (OpenID Connect issuer and subject) a staff member signs in with, once linked.
    oidc_issuer: Mapped[str | None] = mapped_column(String(300), nullable=True)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), nullable=True)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="account", cascade="all, delete-orphan"
    )

    def active_memberships(self) -> Sequence[Membership]:
        return [m for m in self.memberships if m.active and m.partner.status is PartnerStatus.active]


class Membership(Base):
    """An account's role in one partner."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("account_id", "partner_id"),)

    id: Mapped[intpk]
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int] = partner_fk()
    role: Mapped[MembershipRole] = mapped_column(enum_column(MembershipRole), default=MembershipRole.user)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_now]

    account: Mapped[Account] = relationship(back_populates="memberships")
    partner: Mapped[Partner] = relationship(back_populates="memberships")


class AccountSession(Base):
    """A signed-in session, kept on the server so logout and password changes end it for real."""

    __tablename__ = "account_session"

    id: Mapped[intpk]
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the random token held in the signed cookie; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Which app the session belongs to: "extranet" or "console".
    audience: Mapped[str] = mapped_column(String(20))
    active_partner_id: Mapped[int | None] = partner_fk(nullable=True)
    created_at: Mapped[created_now]
    last_seen_at: Mapped[created_now]
    expires_at: Mapped[dt.datetime]
    address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")


class LoginFailure(Base):
    """One failed sign-in, counted for throttling per account and per address."""

    __tablename__ = "login_failure"
    __table_args__ = (
        Index("ix_login_failure_email_at", "email", "at"),
        Index("ix_login_failure_address_at", "address", "at"),
    )

    id: Mapped[intpk]
    #: As typed, lower-cased, whether or not an account has it.
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[created_now]
    #: The app signed in to ("extranet", "console", or "reset" for reset requests): limits are per app.
    audience: Mapped[str] = mapped_column(String(20), default="extranet", server_default="extranet")


class PasswordReset(Base):
    """A password-reset link sent by e-mail: single use, short-lived, kept only as a hash."""

    __tablename__ = "password_reset"

    id: Mapped[intpk]
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the link's token.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The app whose sign-in page asked for it: the link leads back there.
    audience: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[created_now]
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]


class RecoveryCode(Base):
    """A one-time code that stands in for the authenticator; only its argon2 hash is kept."""

    __tablename__ = "recovery_code"

    id: Mapped[intpk]
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(200))
    used_at: Mapped[dt.datetime | None]


class SignInEvent(Base):
    """One successful sign-in, shown to its owner as their sign-in history."""

    __tablename__ = "sign_in_event"
    __table_args__ = (Index("ix_sign_in_event_account_at", "account_id", "at"),)

    id: Mapped[intpk]
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    at: Mapped[created_now]
    audience: Mapped[str] = mapped_column(String(20))
    #: How the account proved itself: "password", "password+totp", "password+recovery-code".
    method: Mapped[str] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")


class Invitation(Base):
    """A partner-admin's invitation for a colleague; accepted through a one-time link."""

    __tablename__ = "invitation"

    id: Mapped[intpk]
    partner_id: Mapped[int] = partner_fk()
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[MembershipRole] = mapped_column(enum_column(MembershipRole), default=MembershipRole.user)
    #: SHA-256 of the link's token.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = account_fk()
    created_at: Mapped[created_now]
    expires_at: Mapped[dt.datetime]
    accepted_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]

    partner: Mapped[Partner] = relationship()
