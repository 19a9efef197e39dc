"""Builders for test data: small, explicit, flushed (never committed)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from internal.models import Account, Membership, MembershipRole, Partner, PartnerGroup, PartnerKind, StaffRole
from internal.passwords import hash_password

PASSWORD = "correct-horse-battery"
#: Hashing is slow on purpose; tests share one hash of PASSWORD.
PASSWORD_HASH = hash_password(PASSWORD)


def make_partner(
    session: Session, code: str, kind: str = "supplier", *, groups: tuple[str, ...] = ()
) -> Partner:
    partner = Partner(code=code, name=f"{code} Industries", kind=PartnerKind(kind))
    for name in groups:
        group = session.query(PartnerGroup).filter_by(name=name).one_or_none() or PartnerGroup(name=name)
        partner.groups.append(group)
    session.add(partner)
    session.flush()
    return partner


def make_account(
    session: Session,
    email: str,
    *,
    partners: tuple[Partner, ...] = (),
    role: str = "user",
    staff_role: str | None = None,
    **fields: Any,
) -> Account:
    account = Account(
        email=email,
        name=fields.pop("name", email.split("@")[0].replace(".", " ").title()),
        password_hash=PASSWORD_HASH,
        is_staff=staff_role is not None,
        staff_role=StaffRole(staff_role) if staff_role else None,
        **fields,
    )
    session.add(account)
    session.flush()
    for partner in partners:
        session.add(Membership(account_id=account.id, partner_id=partner.id, role=MembershipRole(role)))
    session.flush()
    session.refresh(account)
    return account


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: Any, path: str) -> str:
    """The CSRF token of the form at ``path``, as a browser would read it."""
    page = client.get(path)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path} (status {page.status_code})"
    return match.group(1)


def sign_in(client: Any, email: str, password: str = PASSWORD, **kw: Any) -> Any:
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token}, **kw)
