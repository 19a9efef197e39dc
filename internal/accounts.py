"""Sign-in, server-side sessions, password changes and the active partner.

A session is a random token in the signed cookie and its SHA-256 in ``account_session``; deleting
the row ends the session for every copy of the cookie. Services flush and never commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from internal.db import PlainQuery, write_after_reads
from internal.models import (
    Account,
    AccountSession,
    DataGeneration,
    LoginFailure,
    Membership,
    Partner,
    PartnerGroup,
    PartnerStatus,
    SignInEvent,
    partner_group_member,
    utcnow,
)
from internal.models import StaffRole as StaffRole  # the roles the console's pages ask for
from internal.passwords import hash_password, needs_rehash, verify_password

#: Failed sign-ins for one e-mail from one address before that pair is throttled.
ACCOUNT_FAILURES_PER_ADDRESS = 5
#: Failed sign-ins from one address, whatever the e-mail, before the address is throttled.
ADDRESS_FAILURES = 20
THROTTLE_WINDOW = dt.timedelta(minutes=15)
#: How long an account that proved itself (reset link, second factor) passes the address throttle.
PROVEN_FOR = dt.timedelta(days=30)
#: How often last_seen_at is written, so a page view is not a write.
TOUCH_EVERY = dt.timedelta(minutes=1)
MIN_PASSWORD_LENGTH = 10

AUDIENCES = ("extranet", "console")


class SignInRefused(Exception):
    """Sign-in failed. ``throttled`` says whether to wait rather than retype."""

    def __init__(self, *, throttled: bool = False, retry_after: dt.timedelta | None = None) -> None:
        super().__init__("throttled" if throttled else "invalid credentials")
        self.throttled = throttled
        self.retry_after = retry_after


class PasswordRejected(Exception):
    """A new password, or the current one given to change it, is not acceptable; the message says why
    (in the reader's language when shown), and ``code`` says which check refused it.
    """

    def __init__(self, message: object, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class NotAMember(Exception):
    """The account has no active membership in that partner."""


@dataclass(frozen=True, slots=True)
class MembershipView:
    partner_id: int
    partner_code: str
    partner_name: str
    partner_kind: str
    role: str
    groups: frozenset[str]
    #: The partner's admin requires its users to sign in with a second factor.
    requires_two_factor: bool = False

    @property
    def is_supplier(self) -> bool:
        return self.partner_kind in ("supplier", "both")

    @property
    def is_customer(self) -> bool:
        return self.partner_kind in ("customer", "both")

    @property
    def is_partner_admin(self) -> bool:
        return self.role == "partner_admin"


@dataclass(frozen=True, slots=True)
class SignedInUser:
    """Who is signed in, as plain values: what the web layer and Flask-Login need, no ORM object."""

    token: str
    account_id: int
    email: str
    name: str
    is_staff: bool
    staff_role: str | None
    locale: str | None
    audience: str
    memberships: tuple[MembershipView, ...]
    active_partner_id: int | None
    #: A confirmed authenticator is enrolled.
    two_factor_enabled: bool = False
    #: data_generation.number as this request began: what its rendered pages are kept under.
    data_generation: int | None = None

    # Flask-Login's user protocol: the session token is the id, so a deleted session is no user.
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return self.token

    @property
    def active_membership(self) -> MembershipView | None:
        for m in self.memberships:
            if m.partner_id == self.active_partner_id:
                return m
        return None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_email(email: str) -> str:
    return email.strip().lower()


#: Password-reset requests are kept beside failed sign-ins (to throttle them) under this audience.
RESET_REQUESTS = "reset"


def _recent_failures(session: Session, *, since: dt.datetime, **where: str) -> int:
    query = (
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.at >= since, LoginFailure.audience != RESET_REQUESTS)
    )
    for column, value in where.items():
        query = query.where(getattr(LoginFailure, column) == value)
    return session.scalar(query) or 0


def authenticate(session: Session, email: str, password: str, *, address: str, audience: str) -> Account:
    """The account for these credentials, or SignInRefused.

    Unknown e-mail, wrong password, inactive account and the wrong app all fail the same way.
    Throttling counts failures per (e-mail, address) and per address, never per e-mail alone, so
    nobody can lock another person out by failing on purpose from elsewhere.
    """
    email = normalize_email(email)
    now = utcnow()
    since = now - THROTTLE_WINDOW
    if _recent_failures(session, since=since, email=email, address=address) >= ACCOUNT_FAILURES_PER_ADDRESS:
        raise SignInRefused(throttled=True, retry_after=THROTTLE_WINDOW)
    account = session.scalar(select(Account).where(Account.email == email))
    # The address limit is per app, and an account that proved itself lately (a reset link, a second
    # factor), or that will have to give a second factor before any session starts, passes it: many
    # honest people share one address behind a proxy or an office NAT. The per-pair limit still holds.
    proven = account is not None and (
        account.totp_enabled_at is not None
        or (account.proven_until is not None and account.proven_until > now)
    )
    if (
        not proven
        and _recent_failures(session, since=since, address=address, audience=audience) >= ADDRESS_FAILURES
    ):
        raise SignInRefused(throttled=True, retry_after=THROTTLE_WINDOW)

    ok = verify_password(account.password_hash if account else None, password)
    allowed = (
        account is not None
        and account.active
        and (account.is_staff if audience == "console" else bool(account.active_memberships()))
    )
    if not (ok and allowed):
        session.add(LoginFailure(email=email, address=address, at=now, audience=audience))
        session.flush()
        raise SignInRefused()
    assert account is not None
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    # A success clears this pair's failures, so a typo-prone user is not throttled later.
    session.execute(
        delete(LoginFailure).where(
            LoginFailure.email == email,
            LoginFailure.address == address,
            LoginFailure.audience != RESET_REQUESTS,
        )
    )
    account.last_login_at = now
    session.flush()
    return account


def start_session(
    session: Session,
    account: Account,
    *,
    audience: str,
    address: str = "",
    user_agent: str = "",
    lifetime: dt.timedelta = dt.timedelta(hours=8),
    active_partner_id: int | None = None,
) -> str:
    """Create a server-side session and return its token (for the cookie; only its hash is kept)."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    if active_partner_id is None and audience == "extranet":
        memberships = account.active_memberships()
        active_partner_id = memberships[0].partner_id if memberships else None
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        AccountSession(
            account_id=account.id,
            token_hash=token_hash(token),
            audience=audience,
            active_partner_id=active_partner_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
            address=address[:64],
            user_agent=user_agent[:300],
        )
    )
    session.flush()
    return token


def _session_row(session: Session, token: str) -> AccountSession | None:
    return session.scalar(select(AccountSession).where(AccountSession.token_hash == token_hash(token)))


# Built once: load_user runs on every request, and building a statement costs more than running it.
# One statement answers it all: the session with its account, and each active membership of an active
# partner with the partner's groups (a row per membership and group; one row when there are none).
_MEMBERSHIP_GROUP = partner_group_member.alias("membership_group")
_SIGNED_IN = (
    select(
        AccountSession.id,
        AccountSession.audience,
        AccountSession.expires_at,
        AccountSession.last_seen_at,
        AccountSession.active_partner_id,
        Account.id.label("account_id"),
        Account.email,
        Account.name,
        Account.is_staff,
        Account.staff_role,
        Account.locale,
        Account.active,
        Account.totp_enabled_at,
        Partner.id.label("partner_id"),  # NULL for a membership of a partner not active
        Membership.role,
        Partner.code.label("partner_code"),
        Partner.name.label("partner_name"),
        Partner.kind.label("partner_kind"),
        Partner.requires_two_factor,
        PartnerGroup.name.label("group_name"),
        # What rendered pages are kept under (internal/web/page_cache.py), read in the same statement.
        select(DataGeneration.number).where(DataGeneration.id == 1).scalar_subquery().label("generation"),
    )
    .join(Account, Account.id == AccountSession.account_id)
    # Two plain outer joins (not one onto a nested join, which SQLite answers by materializing every
    # membership of every account): the account's memberships by index, then each one's partner if active.
    .outerjoin(Membership, and_(Membership.account_id == Account.id, Membership.active.is_(True)))
    .outerjoin(Partner, and_(Partner.id == Membership.partner_id, Partner.status == PartnerStatus.active))
    .outerjoin(_MEMBERSHIP_GROUP, _MEMBERSHIP_GROUP.c.partner_id == Partner.id)
    .outerjoin(PartnerGroup, PartnerGroup.id == _MEMBERSHIP_GROUP.c.group_id)
    .where(AccountSession.token_hash == bindparam("token_hash"))
    .order_by(Partner.code)
)
_SIGNED_IN_ROWS = PlainQuery(_SIGNED_IN)


def load_user(session: Session, token: str, *, audience: str) -> SignedInUser | None:
    """The signed-in user for a cookie's token, or None when the session ended, expired or is foreign.

    Runs on every request, so it reads plain rows, in one statement, rather than loading ORM objects.
    """
    found = _SIGNED_IN_ROWS.rows(session, {"token_hash": token_hash(token)})
    now = utcnow()
    if not found:
        return None
    row = found[0]
    if row.audience != audience or not row.active:
        return None
    if row.expires_at <= now:
        write_after_reads(session, delete(AccountSession).where(AccountSession.id == row.id))
        return None
    groups: dict[int, set[str]] = {}
    for m in found:
        if m.partner_id is not None:
            named = groups.setdefault(m.partner_id, set())
            if m.group_name is not None:
                named.add(m.group_name)
    memberships = tuple(
        MembershipView(
            partner_id=m.partner_id,
            partner_code=m.partner_code,
            partner_name=m.partner_name,
            partner_kind=m.partner_kind.value,
            role=m.role.value,
            groups=frozenset(groups[m.partner_id]),
            requires_two_factor=m.requires_two_factor,
        )
        for m in {m.partner_id: m for m in found if m.partner_id is not None}.values()
    )
    if audience == "extranet" and not memberships:
        return None
    active = row.active_partner_id
    changes: dict[str, object] = {}
    if audience == "extranet" and active not in {m.partner_id for m in memberships}:
        active = changes["active_partner_id"] = memberships[0].partner_id
    if now - row.last_seen_at >= TOUCH_EVERY:
        changes["last_seen_at"] = now
    if changes:
        write_after_reads(
            session, update(AccountSession).where(AccountSession.id == row.id).values(**changes)
        )
    return SignedInUser(
        token=token,
        account_id=row.account_id,
        email=row.email,
        name=row.name,
        is_staff=row.is_staff,
        staff_role=row.staff_role.value if row.staff_role else None,
        locale=row.locale,
        audience=audience,
        memberships=memberships,
        active_partner_id=active,
        two_factor_enabled=row.totp_enabled_at is not None,
        data_generation=row.generation,
    )


def end_session(session: Session, token: str) -> None:
    """Log out: the session row goes, so a copied cookie no longer signs anyone in."""
    session.execute(delete(AccountSession).where(AccountSession.token_hash == token_hash(token)))
    session.flush()


def end_all_sessions(session: Session, account_id: int) -> int:
    """End every session of an account (deactivation, password change); returns how many."""
    result = session.execute(delete(AccountSession).where(AccountSession.account_id == account_id))
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def check_new_password(password: str, *, email: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected(_l("at least %(n)d characters", n=MIN_PASSWORD_LENGTH), "too_short")
    if password.strip().lower() == normalize_email(email) or password.lower() in normalize_email(email):
        raise PasswordRejected(_l("must not be your e-mail address"), "is_email")


def change_password(session: Session, token: str, current: str, new: str) -> str:
    """Change the password of the session's account; every session ends and a fresh one is returned."""
    row = _session_row(session, token)
    if row is None:
        raise PasswordRejected(_l("session ended"), "session_ended")
    account = session.get(Account, row.account_id)
    assert account is not None
    if not verify_password(account.password_hash, current):
        raise PasswordRejected(_l("current password is wrong"), "wrong_current")
    check_new_password(new, email=account.email)
    account.password_hash = hash_password(new)
    account.password_changed_at = utcnow()
    audience, partner_id, address, agent = row.audience, row.active_partner_id, row.address, row.user_agent
    end_all_sessions(session, account.id)
    return start_session(
        session, account, audience=audience, address=address, user_agent=agent, active_partner_id=partner_id
    )


def switch_partner(session: Session, token: str, partner_code: str) -> int:
    """Make ``partner_code`` the session's active partner; NotAMember when the account may not."""
    row = _session_row(session, token)
    if row is None:
        raise NotAMember(partner_code)
    membership = session.scalar(
        select(Membership)
        .join(Partner)
        .where(
            Membership.account_id == row.account_id,
            Membership.active.is_(True),
            Partner.code == partner_code,
            Partner.status == PartnerStatus.active,
        )
    )
    if membership is None:
        raise NotAMember(partner_code)
    row.active_partner_id = membership.partner_id
    session.flush()
    return membership.partner_id


def set_locale(session: Session, account_id: int, locale: str | None) -> None:
    account = session.get(Account, account_id)
    if account is not None:
        account.locale = locale
        session.flush()


def deactivate_membership(session: Session, membership_id: int) -> None:
    """Deactivate a membership; an account left with no active partner is signed out everywhere."""
    membership = session.get(Membership, membership_id)
    if membership is None:
        return
    membership.active = False
    session.flush()
    account = session.get(Account, membership.account_id)
    if account is not None and not account.is_staff and not account.active_memberships():
        end_all_sessions(session, account.id)


@dataclass(frozen=True, slots=True)
class Recipient:
    """Someone to e-mail on a partner's behalf, as plain values."""

    account_id: int
    email: str
    name: str
    partner_code: str
    partner_kind: str
    groups: frozenset[str]
    #: The language the account saved (None: the default, English); e-mails are written in it.
    locale: str | None = None


def partner_recipients(session: Session, partner_id: int) -> tuple[Recipient, ...]:
    """The active users of an active partner (accounts without a password yet are skipped)."""
    rows = session.execute(
        select(Account.id, Account.email, Account.name, Partner.code, Partner.kind, Account.locale)
        .join(Membership, Membership.account_id == Account.id)
        .join(Partner, Partner.id == Membership.partner_id)
        .where(
            Membership.partner_id == partner_id,
            Membership.active.is_(True),
            Account.active.is_(True),
            Account.password_hash != "",
            Partner.status == PartnerStatus.active,
        )
        .order_by(Account.email)
    ).all()
    groups = frozenset(
        session.scalars(
            select(PartnerGroup.name)
            .join(partner_group_member, partner_group_member.c.group_id == PartnerGroup.id)
            .where(partner_group_member.c.partner_id == partner_id)
        )
    )
    return tuple(Recipient(r.id, r.email, r.name, r.code, r.kind.value, groups, r.locale) for r in rows)


# -- sign-in history and open sessions -------------------------------------------------------------

#: Sign-ins listed on the account page.
HISTORY_SHOWN = 20


def record_sign_in(
    session: Session, account: Account, *, audience: str, method: str, address: str, user_agent: str
) -> None:
    """Remember a successful sign-in for its owner's history; a second factor also proves the account."""
    now = utcnow()
    session.add(
        SignInEvent(
            account_id=account.id,
            at=now,
            audience=audience,
            method=method,
            address=address[:64],
            user_agent=user_agent[:300],
        )
    )
    if method != "password":
        account.proven_until = now + PROVEN_FOR
    session.flush()


@dataclass(frozen=True, slots=True)
class SignInView:
    at: dt.datetime
    audience: str
    method: str
    address: str
    user_agent: str


@dataclass(frozen=True, slots=True)
class SessionView:
    id: int
    audience: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    address: str
    user_agent: str
    current: bool


def sign_in_history(session: Session, account_id: int, *, limit: int = HISTORY_SHOWN) -> list[SignInView]:
    """The account's latest sign-ins, newest first."""
    rows = session.execute(
        select(
            SignInEvent.at,
            SignInEvent.audience,
            SignInEvent.method,
            SignInEvent.address,
            SignInEvent.user_agent,
        )
        .where(SignInEvent.account_id == account_id)
        .order_by(SignInEvent.at.desc(), SignInEvent.id.desc())
        .limit(limit)
    ).all()
    return [SignInView(*row) for row in rows]


def open_sessions(session: Session, account_id: int, *, current_token: str) -> list[SessionView]:
    """The account's unexpired sessions on both apps, the current one marked."""
    current = token_hash(current_token)
    rows = session.execute(
        select(
            AccountSession.id,
            AccountSession.audience,
            AccountSession.created_at,
            AccountSession.last_seen_at,
            AccountSession.address,
            AccountSession.user_agent,
            AccountSession.token_hash,
        )
        .where(AccountSession.account_id == account_id, AccountSession.expires_at > utcnow())
        .order_by(AccountSession.last_seen_at.desc(), AccountSession.id.desc())
    ).all()
    return [SessionView(*row[:6], current=row.token_hash == current) for row in rows]


def end_own_session(session: Session, account_id: int, session_id: int) -> bool:
    """End one of the account's own sessions; False when there is no such session of this account."""
    result = session.execute(
        delete(AccountSession).where(AccountSession.id == session_id, AccountSession.account_id == account_id)
    )
    session.flush()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def count_accounts(session: Session) -> int:
    """How many accounts there are, staff and partner users together."""
    return session.scalar(select(func.count()).select_from(Account)) or 0
