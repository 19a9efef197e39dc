"""The partner API's credentials: clients a partner admin creates, the tokens they get, replayable writes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from internal.models.parties import Partner
from internal.models.types import Base, account_fk, created_now, intpk, name, partner_fk


class ApiClient(Base):
    """A partner's machine credentials for the API (OAuth2 client credentials)."""

    __tablename__ = "api_client"

    id: Mapped[intpk]
    partner_id: Mapped[int] = partner_fk()
    name: Mapped[name]
    #: Public identifier, sent with the secret to the token endpoint.
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    #: SHA-256 of the secret; the secret itself is shown once and never stored.
    secret_hash: Mapped[str] = mapped_column(String(64))
    #: Scopes the client may ask for, e.g. ["purchase_orders:read", "ship_notices:write"].
    scopes: Mapped[list[Any]]
    #: The partner admin who created (or last rotated) the client: the account API writes act as.
    account_id: Mapped[int | None] = account_fk()
    created_at: Mapped[created_now]
    rotated_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    revoked_by_id: Mapped[int | None] = account_fk()
    last_used_at: Mapped[dt.datetime | None]

    partner: Mapped[Partner] = relationship()


class ApiToken(Base):
    """A short-lived bearer token issued to a client; only its hash is kept."""

    __tablename__ = "api_token"

    id: Mapped[intpk]
    client_pk: Mapped[int] = mapped_column(ForeignKey("api_client.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the bearer token.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[Any]]
    issued_at: Mapped[created_now]
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]

    client: Mapped[ApiClient] = relationship()


class IdempotencyRecord(Base):
    """The first answer to a write sent with an Idempotency-Key, returned again to a retry."""

    __tablename__ = "api_idempotency"
    __table_args__ = (
        UniqueConstraint("client_pk", "key"),
        Index("ix_api_idempotency_created_at", "created_at"),
    )

    id: Mapped[intpk]
    client_pk: Mapped[int] = mapped_column(ForeignKey("api_client.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    #: SHA-256 of method, path and body: the same key with another request is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]]
    created_at: Mapped[created_now]
