"""API clients of partners: created and rotated by a partner admin, revoked by them or by staff.

A client's secret is shown once, when it is created or rotated, and kept only as a SHA-256 hash; so
are the bearer tokens the token endpoint issues. Services take the session and the acting account,
check the client belongs to the actor's partner (another partner's client is "not found"), flush,
and never commit. Results are plain values, never ORM objects.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from internal.models import (
    ApiClient,
    ApiToken,
    AuditEvent,
    IdempotencyRecord,
    Membership,
    MembershipRole,
    Partner,
    PartnerGroup,
    PartnerKind,
    PartnerStatus,
    partner_group_member,
    utcnow,
)
from internal.team import NotPartnerAdmin

#: What a client may be allowed, per side of the partnership: "<dataset>:read" reads, the rest write.
SCOPES: dict[str, tuple[str, ...]] = {
    "supplier": (
        "purchase_orders:read",
        "purchase_orders:answer",
        "forecast:read",
        "forecast_commits:read",
        "forecast_commits:write",
        "inventory:read",
        "consumption:read",
        "ship_notices:read",
        "ship_notices:write",
    ),
    "customer": (
        "orders:read",
        "shipments:read",
        "invoices:read",
        "service_requests:read",
        "service_requests:write",
        "availability:read",
    ),
}
ALL_SCOPES: tuple[str, ...] = SCOPES["supplier"] + SCOPES["customer"]
GRANT_TYPE = "client_credentials"
#: How a client authenticates at the token endpoint: HTTP Basic, or the id and secret in the form.
AUTH_METHODS = ("client_secret_basic", "client_secret_post")


def scopes_for(partner_kind: str) -> tuple[str, ...]:
    """The scopes a partner of ``partner_kind`` ("supplier", "customer" or "both") may grant."""
    if partner_kind == PartnerKind.both:
        return ALL_SCOPES
    return SCOPES.get(partner_kind, ())


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class ClientRefused(ValueError):
    """The client cannot be created as asked; the message says what to change."""


class ClientNotFound(LookupError):
    """No such client for this partner."""


@dataclass(frozen=True, slots=True)
class ClientInfo:
    id: int
    client_id: str
    name: str
    partner_code: str
    partner_name: str
    scopes: tuple[str, ...]
    created_at: dt.datetime
    rotated_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class IssuedSecret:
    """A client and its secret, which exists in plain text only in this value."""

    client: ClientInfo
    secret: str


def _info(client: ApiClient) -> ClientInfo:
    return ClientInfo(
        id=client.id,
        client_id=client.client_id,
        name=client.name,
        partner_code=client.partner.code,
        partner_name=client.partner.name,
        scopes=tuple(client.scopes),
        created_at=client.created_at,
        rotated_at=client.rotated_at,
        revoked_at=client.revoked_at,
        last_used_at=client.last_used_at,
    )


def _require_admin(session: Session, actor_id: int, partner_id: int) -> Partner:
    partner = session.scalar(
        select(Partner)
        .join(Membership, Membership.partner_id == Partner.id)
        .where(
            Membership.account_id == actor_id,
            Membership.partner_id == partner_id,
            Membership.role == MembershipRole.partner_admin,
            Membership.active.is_(True),
        )
    )
    if partner is None:
        raise NotPartnerAdmin(partner_id)
    return partner


def _audit(session: Session, actor_id: int | None, action: str, client: ApiClient) -> None:
    session.add(
        AuditEvent(
            account_id=actor_id,
            action=action,
            object_type="api_client",
            object_id=client.client_id,
            detail={"partner": client.partner.code, "name": client.name, "scopes": list(client.scopes)},
        )
    )


def _check_scopes(partner: Partner, scopes: list[str]) -> list[str]:
    allowed = scopes_for(partner.kind.value)
    wanted = [s for s in allowed if s in set(scopes)]  # in the documented order, without repeats
    unknown = sorted(set(scopes) - set(allowed))
    if unknown:
        raise ClientRefused(
            _l(
                "These scopes are not available to %(partner)s: %(scopes)s.",
                partner=partner.code,
                scopes=", ".join(unknown),
            )
        )
    if not wanted:
        raise ClientRefused(_l("Choose at least one scope."))
    return wanted


def create_client(
    session: Session,
    *,
    actor_id: int,
    partner_id: int,
    name: str,
    scopes: list[str],
    client_id: str | None = None,
    secret: str | None = None,
) -> IssuedSecret:
    """A new client of the actor's partner; the returned secret is never shown again.

    ``client_id`` and ``secret`` are for the demo's published credentials; otherwise both are random.
    """
    partner = _require_admin(session, actor_id, partner_id)
    name = name.strip()
    if not name:
        raise ClientRefused(_l("Name the client, e.g. the system that will use it."))
    if len(name) > 200:
        raise ClientRefused(_l("The name is too long: at most 200 characters."))
    wanted = _check_scopes(partner, scopes)
    secret = secret or secrets.token_urlsafe(32)
    client = ApiClient(
        partner=partner,
        name=name,
        client_id=client_id or f"pc_{secrets.token_hex(12)}",
        secret_hash=digest(secret),
        scopes=wanted,
        account_id=actor_id,
    )
    session.add(client)
    _audit(session, actor_id, "api_client.created", client)
    session.flush()
    return IssuedSecret(_info(client), secret)


def _own_client(session: Session, actor_id: int, partner_id: int, client_pk: int) -> ApiClient:
    _require_admin(session, actor_id, partner_id)
    client = session.get(ApiClient, client_pk)
    if client is None or client.partner_id != partner_id:
        raise ClientNotFound(client_pk)
    return client


def _revoke_tokens(session: Session, client_pk: int, now: dt.datetime) -> None:
    session.execute(
        update(ApiToken)
        .where(ApiToken.client_pk == client_pk, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def rotate_secret(session: Session, *, actor_id: int, partner_id: int, client_pk: int) -> IssuedSecret:
    """A new secret for the client; the old secret and every token issued with it stop working."""
    client = _own_client(session, actor_id, partner_id, client_pk)
    if client.revoked_at is not None:
        raise ClientRefused(_l("A revoked client cannot be rotated; create a new one."))
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    client.secret_hash, client.rotated_at, client.account_id = digest(secret), now, actor_id
    _revoke_tokens(session, client.id, now)
    _audit(session, actor_id, "api_client.rotated", client)
    session.flush()
    return IssuedSecret(_info(client), secret)


def _revoke(session: Session, client: ApiClient, actor_id: int) -> ClientInfo:
    if client.revoked_at is None:
        now = utcnow()
        client.revoked_at, client.revoked_by_id = now, actor_id
        _revoke_tokens(session, client.id, now)
        _audit(session, actor_id, "api_client.revoked", client)
        session.flush()
    return _info(client)


def revoke_client(session: Session, *, actor_id: int, partner_id: int, client_pk: int) -> ClientInfo:
    """Revoke one of the partner's clients: its secret and tokens stop working at once."""
    return _revoke(session, _own_client(session, actor_id, partner_id, client_pk), actor_id)


def revoke_client_as_staff(session: Session, *, actor_id: int, client_pk: int) -> ClientInfo:
    """Staff revoke any partner's client (the console checks the staff role)."""
    client = session.get(ApiClient, client_pk)
    if client is None:
        raise ClientNotFound(client_pk)
    return _revoke(session, client, actor_id)


def clients_of(session: Session, *, actor_id: int, partner_id: int) -> tuple[ClientInfo, ...]:
    """The partner's clients, active first, newest first."""
    _require_admin(session, actor_id, partner_id)
    rows = session.scalars(
        select(ApiClient)
        .where(ApiClient.partner_id == partner_id)
        .order_by(ApiClient.revoked_at.is_not(None), ApiClient.created_at.desc(), ApiClient.id.desc())
    )
    return tuple(_info(c) for c in rows)


def all_clients(session: Session, *, partner_code: str = "", limit: int = 200) -> tuple[ClientInfo, ...]:
    """Every partner's clients for the staff console, optionally of one partner."""
    query = select(ApiClient).join(Partner, Partner.id == ApiClient.partner_id)
    if partner_code:
        query = query.where(Partner.code == partner_code.strip().upper())
    rows = session.scalars(
        query.order_by(ApiClient.revoked_at.is_not(None), Partner.code, ApiClient.id).limit(limit)
    )
    return tuple(_info(c) for c in rows)


# -- what the OAuth2 server asks (Authlib calls these methods on the objects below) ------------------


@dataclass(frozen=True, slots=True)
class ClientCredentials:
    """A client as the token endpoint sees it: Authlib's client interface over plain values."""

    pk: int
    client_id: str
    secret_hash: str
    scopes: tuple[str, ...]

    def get_client_id(self) -> str:
        return self.client_id

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(digest(client_secret), self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in AUTH_METHODS

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == GRANT_TYPE

    def get_allowed_scope(self, scope: str | None) -> str:
        """No scope asked: every scope the client has. Otherwise the asked ones it has."""
        if not scope:
            return " ".join(self.scopes)
        asked = set(scope.split())
        return " ".join(s for s in self.scopes if s in asked)

    def get_default_redirect_uri(self) -> None:
        return None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_response_type(self, response_type: str) -> bool:
        return False


def find_client(session: Session, client_id: str) -> ClientCredentials | None:
    """The active client with this id, of an active partner; None otherwise (revoked, unknown)."""
    client = session.scalar(
        select(ApiClient)
        .join(Partner, Partner.id == ApiClient.partner_id)
        .where(
            ApiClient.client_id == client_id,
            ApiClient.revoked_at.is_(None),
            Partner.status == PartnerStatus.active,
        )
    )
    if client is None:
        return None
    return ClientCredentials(client.id, client.client_id, client.secret_hash, tuple(client.scopes))


def store_token(session: Session, client: ClientCredentials, token: dict[str, Any]) -> None:
    """Keep the hash of a token the server issued, with its scopes and expiry."""
    now = utcnow()
    session.add(
        ApiToken(
            client_pk=client.pk,
            token_hash=digest(token["access_token"]),
            scopes=str(token.get("scope", "")).split(),
            issued_at=now,
            expires_at=now + dt.timedelta(seconds=int(token["expires_in"])),
        )
    )
    session.execute(update(ApiClient).where(ApiClient.id == client.pk).values(last_used_at=now))
    session.flush()


@dataclass(frozen=True, slots=True)
class BearerToken:
    """A presented token: who it speaks for and what it may do. Authlib's token interface."""

    client_pk: int
    client_id: str
    partner_id: int
    partner_code: str
    partner_kind: str
    groups: frozenset[str]
    #: The account API writes act as: the partner admin who created or last rotated the client.
    account_id: int | None
    scopes: tuple[str, ...]
    expires_at: dt.datetime
    revoked: bool

    def get_scope(self) -> str:
        return " ".join(self.scopes)

    def is_expired(self) -> bool:
        return self.expires_at <= utcnow()

    def is_revoked(self) -> bool:
        return self.revoked


def authenticate_token(session: Session, token: str) -> BearerToken | None:
    """The token with this value, or None; revoked if it, its client or its partner was stopped."""
    row = session.execute(
        select(ApiToken, ApiClient, Partner)
        .join(ApiClient, ApiClient.id == ApiToken.client_pk)
        .join(Partner, Partner.id == ApiClient.partner_id)
        .where(ApiToken.token_hash == digest(token))
    ).one_or_none()
    if row is None:
        return None
    stored, client, partner = row
    groups = frozenset(
        session.scalars(
            select(PartnerGroup.name)
            .join(partner_group_member, partner_group_member.c.group_id == PartnerGroup.id)
            .where(partner_group_member.c.partner_id == partner.id)
        )
    )
    return BearerToken(
        client_pk=client.id,
        client_id=client.client_id,
        partner_id=partner.id,
        partner_code=partner.code,
        partner_kind=partner.kind.value,
        groups=groups,
        account_id=client.account_id,
        scopes=tuple(stored.scopes),
        expires_at=stored.expires_at,
        revoked=(
            stored.revoked_at is not None
            or client.revoked_at is not None
            or partner.status is not PartnerStatus.active
        ),
    )


# -- idempotent writes --------------------------------------------------------------------------------


class KeyReused(ValueError):
    """The Idempotency-Key was already used for a different request."""


class KeyInFlight(RuntimeError):
    """Another request with this Idempotency-Key is being handled right now."""


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status_code: int
    body: dict[str, Any]


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


def previous_response(
    session: Session, client_pk: int, key: str, request_fingerprint: str
) -> StoredResponse | None:
    """The stored answer to an earlier request with this key, or None if the key is new.

    Raises KeyReused when the earlier request was a different one, KeyInFlight when it has no
    answer yet.
    """
    record = session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.client_pk == client_pk, IdempotencyRecord.key == key
        )
    )
    if record is None:
        return None
    if record.fingerprint != request_fingerprint:
        raise KeyReused(key)
    if not record.status_code:
        raise KeyInFlight(key)
    return StoredResponse(record.status_code, record.response)


def reserve_key(session: Session, client_pk: int, key: str, request_fingerprint: str) -> int:
    """Claim the key before the write, so a concurrent retry waits or is refused rather than writing too."""
    record = IdempotencyRecord(
        client_pk=client_pk, key=key, fingerprint=request_fingerprint, status_code=0, response={}
    )
    try:
        with session.begin_nested():
            session.add(record)
    except IntegrityError:
        raise KeyInFlight(key) from None
    return record.id


def remember_response(session: Session, record_id: int, status_code: int, body: dict[str, Any]) -> None:
    """Store the answer a retry with the same key will get."""
    record = session.get(IdempotencyRecord, record_id)
    assert record is not None
    record.status_code, record.response = status_code, body
    session.flush()


def release_key(session: Session, record_id: int) -> None:
    """Forget a claimed key whose request was refused, so a corrected request may use it."""
    record = session.get(IdempotencyRecord, record_id)
    if record is not None:
        session.delete(record)
        session.flush()
