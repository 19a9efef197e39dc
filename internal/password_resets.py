"""Password resets by e-mail link: the same answer for every address, one use, one hour, hash only.

A request for an address with an eligible account returns a token for the caller to e-mail; any other
request returns None, and the caller answers exactly as if it had sent one. Requests are throttled per
address (visibly: that says nothing about any account) and per account (silently: no more mail).
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from internal.accounts import (
    PROVEN_FOR,
    RESET_REQUESTS,
    THROTTLE_WINDOW,
    check_new_password,
    end_all_sessions,
    normalize_email,
    token_hash,
)
from internal.models import Account, LoginFailure, PasswordReset, utcnow
from internal.passwords import hash_password

RESET_LIFETIME = dt.timedelta(hours=1)
#: Reset requests from one address, whatever the e-mail, within THROTTLE_WINDOW.
REQUESTS_PER_ADDRESS = 10
#: Reset mails to one account within RESET_LIFETIME; more requests send nothing.
MAILS_PER_ACCOUNT = 3
#: How reset requests are counted in login_failure, apart from sign-ins.
REQUEST_AUDIENCE = RESET_REQUESTS


class ResetThrottled(Exception):
    """Too many reset requests from this address: wait and try again."""


class ResetInvalid(Exception):
    """The link is unknown, used or expired."""


def request_reset(session: Session, email: str, *, audience: str, address: str) -> tuple[Account, str] | None:
    """A reset token for the account behind ``email`` on ``audience``'s app, or None (say the same)."""
    email = normalize_email(email)[:254]
    now = utcnow()
    recent = session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(
            LoginFailure.audience == REQUEST_AUDIENCE,
            LoginFailure.address == address,
            LoginFailure.at >= now - THROTTLE_WINDOW,
        )
    )
    if (recent or 0) >= REQUESTS_PER_ADDRESS:
        raise ResetThrottled()
    session.add(LoginFailure(email=email, address=address, at=now, audience=REQUEST_AUDIENCE))
    account = session.scalar(select(Account).where(Account.email == email))
    eligible = (
        account is not None
        and account.active
        and bool(account.password_hash)  # an invited user accepts the invitation instead
        and (account.is_staff if audience == "console" else bool(account.active_memberships()))
    )
    if not eligible:
        session.flush()
        return None
    assert account is not None
    mailed = session.scalar(
        select(func.count())
        .select_from(PasswordReset)
        .where(PasswordReset.account_id == account.id, PasswordReset.created_at >= now - RESET_LIFETIME)
    )
    if (mailed or 0) >= MAILS_PER_ACCOUNT:
        session.flush()
        return None
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordReset(
            account_id=account.id,
            token_hash=token_hash(token),
            audience=audience,
            address=address[:64],
            created_at=now,
            expires_at=now + RESET_LIFETIME,
        )
    )
    session.flush()
    return account, token


def find_reset(session: Session, token: str, *, audience: str) -> PasswordReset | None:
    """The unused, unexpired reset behind ``token`` for this app, or None."""
    reset = session.scalar(select(PasswordReset).where(PasswordReset.token_hash == token_hash(token)))
    if (
        reset is None
        or reset.used_at is not None
        or reset.expires_at <= utcnow()
        or reset.audience != audience
    ):
        return None
    account = session.get(Account, reset.account_id)
    return reset if account is not None and account.active else None


def complete_reset(session: Session, token: str, new_password: str, *, audience: str) -> Account:
    """Set the new password: the link is spent, every session ends, and the account passes the address
    throttle for a while (it proved itself through its mailbox). PasswordRejected when the password is not
    acceptable (the link stays valid), ResetInvalid when the link is not.
    """
    reset = find_reset(session, token, audience=audience)
    if reset is None:
        raise ResetInvalid()
    account = session.get(Account, reset.account_id)
    assert account is not None
    check_new_password(new_password, email=account.email)
    now = utcnow()
    account.password_hash = hash_password(new_password)
    account.password_changed_at = now
    account.proven_until = now + PROVEN_FOR
    # Every link of the account is spent, not just this one: one reset, one password.
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.account_id == account.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    end_all_sessions(session, account.id)
    session.flush()
    return account
