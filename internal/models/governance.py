"""Governance: policy versions, the disclosure ledger and the audit trail."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from internal.models.types import (
    Base,
    UTCDateTime,
    account_fk,
    created_now,
    enum_column,
    intpk,
    partner_fk,
    updated_now,
)


class PolicyStatus(enum.StrEnum):
    draft = "draft"
    pending_approval = "pending_approval"
    active = "active"
    retired = "retired"
    rejected = "rejected"


class PolicyVersion(Base):
    """An immutable policy set; its content hash names it."""

    __tablename__ = "policy_version"

    id: Mapped[intpk]
    #: Sequential for people ("version 14"); the hash is what the ledger trusts.
    number: Mapped[int] = mapped_column(unique=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The YAML document exactly as authored.
    document: Mapped[str] = mapped_column(Text)
    status: Mapped[PolicyStatus] = mapped_column(enum_column(PolicyStatus), default=PolicyStatus.draft)
    comment: Mapped[str] = mapped_column(String(400), default="")
    author_id: Mapped[int | None] = account_fk()
    approved_by_id: Mapped[int | None] = account_fk()
    created_at: Mapped[created_now]
    approved_at: Mapped[dt.datetime | None]
    activated_at: Mapped[dt.datetime | None]


class PolicyDraft(Base):
    """A policy document being written: saved as often as its author likes, valid or not, until it is
    proposed (then it becomes a version, which never changes).
    """

    __tablename__ = "policy_draft"

    id: Mapped[intpk]
    document: Mapped[str] = mapped_column(Text)
    comment: Mapped[str] = mapped_column(String(400), default="")
    author_id: Mapped[int | None] = account_fk()
    #: The version the draft started from (the active one at the time).
    base_version_id: Mapped[int | None] = mapped_column(ForeignKey("policy_version.id"), index=True)
    #: The version the draft became when it was proposed; a proposed draft is read-only.
    proposed_version_id: Mapped[int | None] = mapped_column(ForeignKey("policy_version.id"), index=True)
    created_at: Mapped[created_now]
    updated_at: Mapped[updated_now]


class PolicyRollback(Base):
    """A proposal to make an earlier, once-approved version active again: a second person approves it."""

    __tablename__ = "policy_rollback"

    id: Mapped[intpk]
    version_id: Mapped[int] = mapped_column(ForeignKey("policy_version.id"), index=True)
    comment: Mapped[str] = mapped_column(String(400), default="")
    proposed_by_id: Mapped[int | None] = account_fk()
    proposed_at: Mapped[created_now]
    approved_by_id: Mapped[int | None] = account_fk()
    #: Set when approved (the version became active then); a pending proposal has neither.
    approved_at: Mapped[dt.datetime | None]


class DisclosureRecord(Base):
    """One disclosure through the gate: who saw which rows and fields, how treated, under which policy."""

    __tablename__ = "disclosure_record"
    __table_args__ = (
        Index("ix_disclosure_record_partner_at", "partner_id", "at"),
        Index("ix_disclosure_record_account_at", "account_id", "at"),
    )

    id: Mapped[intpk]
    at: Mapped[created_now]
    # Every page writes records: the (account, at) and (partner, at) indexes serve the keys alone too.
    account_id: Mapped[int | None] = account_fk(index=False)
    partner_id: Mapped[int | None] = partner_fk(nullable=True, index=False)
    #: web, export, api or email.
    channel: Mapped[str] = mapped_column(String(10))
    dataset: Mapped[str] = mapped_column(String(40))
    # No index: no question asks for records by version, and versions are never deleted (which is all
    # an index on a foreign key would be for); each page's records are inserts enough.
    policy_version_id: Mapped[int | None] = mapped_column(ForeignKey("policy_version.id"))
    policy_hash: Mapped[str] = mapped_column(String(64))
    #: Keys of the disclosed rows.
    row_keys: Mapped[list[Any]]
    #: Field name to the transform applied, e.g. {"on_hand": "round:100:floor"}.
    fields: Mapped[dict[str, Any]]
    row_count: Mapped[int]
    #: What the rows were about: [kind, identifier] pairs. A database trigger copies them into
    #: disclosure_subject as the record is inserted, so a disclosure costs the gate one insert.
    subjects: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")


class DisclosureSubject(Base):
    """What a disclosure was about: one row per distinct subject (SKU, customer, document number).

    Filled from each record's ``subjects`` (internal/disclosure_index.py), so the ledger finds "what
    partner X saw about Y" through an index instead of reading every record. The table is its own
    index: its key is (partner, subject, time, record, kind), the order the ledger asks in, so each
    entry costs one insert (on SQLite a table WITHOUT ROWID, where a table with a rowid, the lookup
    index and the record index cost three). Records of no partner have nothing to be found by.
    """

    __tablename__ = "disclosure_subject"
    __table_args__ = ({"sqlite_with_rowid": False},)

    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="RESTRICT"), primary_key=True)
    subject: Mapped[str] = mapped_column(String(200), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), primary_key=True)
    record_id: Mapped[int] = mapped_column(
        ForeignKey("disclosure_record.id", ondelete="CASCADE"), primary_key=True
    )
    #: item, customer, site or document.
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)


class AuditEvent(Base):
    """Something a person did that governance cares about (sign-ins, policies, partners, accounts).

    Append-only and chained: ``internal.audit`` gives each new event the next ``seq`` and a hash over the
    previous event's hash and its own canonical content, so an edited or deleted row breaks the chain.
    """

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_object", "object_type", "object_id"),)

    id: Mapped[intpk]
    #: Position in the chain, 1, 2, 3 ... without gaps.
    seq: Mapped[int] = mapped_column(unique=True)
    at: Mapped[created_now]
    account_id: Mapped[int | None] = account_fk()
    #: Who, in words that survive the account: its e-mail, or the address typed at a failed sign-in.
    actor: Mapped[str] = mapped_column(String(254), default="", server_default="")
    #: Where from: the client's IP address, or "local" for the command line and background tasks.
    address: Mapped[str] = mapped_column(String(64), default="", server_default="")
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(60))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: SHA-256 (hex) of the previous event's ``entry_hash`` and this event's canonical content.
    entry_hash: Mapped[str] = mapped_column(String(64), default="", server_default="")


class DataGeneration(Base):
    """One row whose number goes up with every committed change to what partners' pages show.

    The database layer adds one as a transaction that changed such rows commits (internal/db.py); the
    extranet keeps rendered pages under the number they were rendered at (internal/web/page_cache.py),
    so a page is never served from before a change.
    """

    __tablename__ = "data_generation"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, default=0)


class DisclosureSubjectProgress(Base):
    """On SQLite, the last ledger record whose subjects are in disclosure_subject (filled in batches,
    internal/disclosure_index.py); PostgreSQL fills the index by trigger and does not use it."""

    __tablename__ = "disclosure_subject_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(BigInteger, default=0)
