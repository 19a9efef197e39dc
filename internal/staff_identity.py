"""Staff identities from the company's OpenID Connect provider, and the staff accounts they sign in as.

How a company identity becomes a staff account:

- Once linked, an account is found by the identity's issuer and subject (``sub``), never by e-mail:
  a provider may reassign an address, never a subject.
- The first time, the identity is linked to the existing staff account whose e-mail address equals the
  one the provider asserts (unless the provider says that address is not verified). Staff accounts are
  created by people in the console, never by a sign-in: a company identity with no staff account is
  refused, and so is one whose address belongs to a partner user or to a staff account already linked to
  another identity.
- A deactivated account is refused whichever way it is found.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from internal import audit
from internal.accounts import normalize_email
from internal.models import Account


class IdentityRefused(Exception):
    """The company identity may not sign in to the console; ``reason`` is for the audit log."""

    def __init__(self, reason: str, message: object) -> None:
        super().__init__(str(message))
        self.reason = reason
        self.message = message


def staff_for_identity(
    session: Session, *, issuer: str, subject: str, email: str | None, email_verified: bool | None
) -> Account:
    """The staff account this identity signs in as, linking it on first use (see the module's rules)."""
    linked = session.scalar(
        select(Account).where(Account.oidc_issuer == issuer, Account.oidc_subject == subject)
    )
    if linked is not None:
        if not (linked.is_staff and linked.active):
            raise IdentityRefused(
                "account not active staff", _l("This account may not use the staff console.")
            )
        return linked
    address = normalize_email(email or "")
    if not address or email_verified is False:
        raise IdentityRefused(
            "no verified e-mail",
            _l(
                "Your company account did not give a verified e-mail address, so no staff account matches it."
            ),
        )
    account = session.scalar(select(Account).where(Account.email == address))
    if account is None or not account.is_staff or not account.active:
        raise IdentityRefused(
            "no staff account",
            _l("There is no staff account for %(email)s. Ask a policy admin to create one.", email=address),
        )
    if account.oidc_subject is not None:
        raise IdentityRefused(
            "account linked to another identity",
            _l("The staff account %(email)s is linked to another company identity.", email=address),
        )
    account.oidc_issuer, account.oidc_subject = issuer, subject
    session.flush()
    audit.record(
        session,
        "staff.identity_linked",
        actor_id=account.id,
        object_type="account",
        object_id=str(account.id),
        detail={"issuer": issuer, "subject": subject},
    )
    return account
