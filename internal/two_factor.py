"""Two-factor sign-in with a TOTP authenticator (pyotp), and recovery codes for a lost device.

The TOTP secret is stored encrypted (Fernet, from ``cryptography``) under a key derived from SECRET_KEY
with HKDF, so a copy of the database alone does not yield the secrets. Recovery codes are 64 random
bits each, shown once, stored as SHA-256 hashes (random codes need no slow hash) and spent on use.
A code is accepted once: the last time step used is kept, so a code seen over a shoulder cannot be
replayed within its 30 seconds.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from internal.accounts import ACCOUNT_FAILURES_PER_ADDRESS, THROTTLE_WINDOW, SignInRefused
from internal.models import Account, AuditEvent, LoginFailure, Partner, RecoveryCode, utcnow

ISSUER = "Partner portal"
RECOVERY_CODES = 10


class TwoFactorRefused(Exception):
    """The code was wrong, or the step is not possible now; the message says which."""


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the secret to type in, and the link a QR code carries."""

    secret: str
    uri: str


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"portal totp secret").derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _secret(account: Account, secret_key: str) -> str:
    try:
        return _fernet(secret_key).decrypt(account.totp_secret.encode()).decode()
    except InvalidToken:
        # SECRET_KEY changed: the authenticator cannot be checked; recovery codes still work.
        return ""


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").replace(" ", "").lower().encode()).hexdigest()


def is_enabled(account: Account) -> bool:
    """Whether the account signs in with a confirmed authenticator."""
    return account.totp_enabled_at is not None


def begin_enrolment(session: Session, account_id: int, *, secret_key: str) -> Enrolment:
    """A new secret for an authenticator, kept unconfirmed until a code from it is typed back."""
    account = session.get(Account, account_id)
    assert account is not None
    if is_enabled(account):
        raise TwoFactorRefused("two-factor sign-in is already on")
    secret = _secret(account, secret_key) if account.totp_secret else ""
    if not secret:
        secret = pyotp.random_base32()
        account.totp_secret = _fernet(secret_key).encrypt(secret.encode()).decode()
        session.flush()
    uri = pyotp.TOTP(secret).provisioning_uri(name=account.email, issuer_name=ISSUER)
    return Enrolment(secret, uri)


def _accept_totp(account: Account, code: str, secret_key: str) -> bool:
    secret = _secret(account, secret_key) if account.totp_secret else ""
    code = code.replace(" ", "")
    if not secret or not (code.isascii() and code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(secret)
    now = utcnow()
    for drift in (0, -1, 1):  # one step either side, for clocks a little apart
        at = now.timestamp() + drift * totp.interval
        step = int(at // totp.interval)
        if step > (account.totp_last_step or -1) and secrets.compare_digest(totp.at(int(at)), code):
            account.totp_last_step = step
            return True
    return False


def confirm_enrolment(session: Session, account_id: int, code: str, *, secret_key: str) -> list[str]:
    """Turn two-factor sign-in on with a code from the new authenticator; returns the recovery codes,
    which are shown this once and kept only as hashes."""
    account = session.get(Account, account_id)
    assert account is not None
    if is_enabled(account) or not account.totp_secret:
        raise TwoFactorRefused("start the set-up again")
    if not _accept_totp(account, code, secret_key):
        raise TwoFactorRefused("wrong code")
    account.totp_enabled_at = utcnow()
    codes = _new_recovery_codes(session, account)
    session.add(
        AuditEvent(
            account_id=account.id,
            action="account.two_factor_on",
            object_type="account",
            object_id=str(account.id),
            detail={},
        )
    )
    session.flush()
    return codes


def _new_recovery_codes(session: Session, account: Account) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(8)
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
        session.add(RecoveryCode(account_id=account.id, code_hash=_code_hash(raw)))
    return codes


def verify(session: Session, account: Account, code: str, *, secret_key: str) -> str | None:
    """How ``code`` proves the account ("totp" or "recovery-code", which is then spent), or None."""
    if not is_enabled(account):
        return None
    if _accept_totp(account, code, secret_key):
        session.flush()
        return "totp"
    spare = session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.account_id == account.id,
            RecoveryCode.code_hash == _code_hash(code),
            RecoveryCode.used_at.is_(None),
        )
    )
    if spare is None:
        return None
    spare.used_at = utcnow()
    session.flush()
    return "recovery-code"


def remaining_recovery_codes(session: Session, account_id: int) -> int:
    """How many of the account's recovery codes are still unused."""
    return len(
        session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.account_id == account_id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def disable(session: Session, account_id: int, code: str, *, secret_key: str) -> None:
    """Turn two-factor sign-in off, given a current code or a recovery code."""
    account = session.get(Account, account_id)
    assert account is not None
    if verify(session, account, code, secret_key=secret_key) is None:
        raise TwoFactorRefused("wrong code")
    account.totp_secret, account.totp_enabled_at, account.totp_last_step = "", None, None
    session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    session.add(
        AuditEvent(
            account_id=account.id,
            action="account.two_factor_off",
            object_type="account",
            object_id=str(account.id),
            detail={},
        )
    )
    session.flush()


def require_for_partner(session: Session, *, actor_id: int, partner_id: int, required: bool) -> None:
    """A partner admin's choice: every user of the partner must sign in with a second factor."""
    partner = session.get(Partner, partner_id)
    assert partner is not None
    partner.requires_two_factor = required
    session.add(
        AuditEvent(
            account_id=actor_id,
            action="partner.two_factor_required" if required else "partner.two_factor_optional",
            object_type="partner",
            object_id=partner.code,
            detail={},
        )
    )
    session.flush()


def verify_sign_in(
    session: Session, account_id: int, code: str, *, secret_key: str, address: str
) -> tuple[Account, str]:
    """The second step of signing in: the account and how it proved itself, or TwoFactorRefused.

    Wrong codes count as failed sign-ins of the account from this address, throttled like passwords.
    """
    account = session.get(Account, account_id)
    if account is None or not account.active or not is_enabled(account):
        raise SignInRefused()
    now = utcnow()
    failures = session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(
            LoginFailure.email == account.email,
            LoginFailure.address == address,
            LoginFailure.at >= now - THROTTLE_WINDOW,
        )
    )
    if (failures or 0) >= ACCOUNT_FAILURES_PER_ADDRESS:
        raise SignInRefused(throttled=True, retry_after=THROTTLE_WINDOW)
    method = verify(session, account, code, secret_key=secret_key)
    if method is None:
        session.add(LoginFailure(email=account.email, address=address, at=now, audience="two-factor"))
        session.flush()
        raise TwoFactorRefused("wrong code")
    return account, method
