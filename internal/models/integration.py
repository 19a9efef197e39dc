"""Integration: how source systems' codes map onto the portal's, and the import jobs that load them."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from internal.models.types import Base, account_fk, created_now, enum_column, intpk, updated_now


class SourceSystem(enum.StrEnum):
    erp = "erp"
    crm = "crm"
    scm = "scm"


class CodeKind(enum.StrEnum):
    """What a mapped code names: each source system numbers these its own way."""

    unit = "unit"
    status = "status"
    site = "site"
    item = "item"
    partner = "partner"
    #: Item kinds (finished/component/raw) and site kinds (plant/warehouse).
    kind = "kind"


class CodeMapping(Base):
    """One source code translated to the portal's canonical code; staff edit these in the console."""

    __tablename__ = "code_mapping"
    __table_args__ = (UniqueConstraint("source_system", "kind", "source_code"),)

    id: Mapped[intpk]
    source_system: Mapped[SourceSystem] = mapped_column(enum_column(SourceSystem))
    kind: Mapped[CodeKind] = mapped_column(enum_column(CodeKind))
    source_code: Mapped[str] = mapped_column(String(60))
    canonical_code: Mapped[str] = mapped_column(String(60))
    updated_by_id: Mapped[int | None] = account_fk()
    updated_at: Mapped[updated_now]


class ImportStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    #: Every file was valid and is written.
    loaded = "loaded"
    #: A file had errors: that file wrote nothing (files before it in the job are loaded).
    refused = "refused"
    #: An unexpected error stopped the job; the log has the details.
    failed = "failed"


class ImportJob(Base):
    """One run of an import: its files, progress, counts and errors, kept for staff to read."""

    __tablename__ = "import_job"
    __table_args__ = (Index("ix_import_job_created", "created_at"),)

    id: Mapped[intpk]
    source_system: Mapped[SourceSystem] = mapped_column(enum_column(SourceSystem))
    #: The files as [{"name": shown name, "path": where the worker reads it}].
    files: Mapped[list[Any]]
    #: Rows in the database that a file no longer holds are deleted (otherwise only reported).
    remove_missing: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ImportStatus] = mapped_column(enum_column(ImportStatus), default=ImportStatus.queued)
    #: Where the job came from: cli, console, drop-folder.
    origin: Mapped[str] = mapped_column(String(20), default="cli")
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_done: Mapped[int] = mapped_column(default=0)
    #: Per record kind: {"added": n, "changed": n, "unchanged": n, "missing": n, "removed": n}.
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: What made a file refused, each naming file, row or JSON path, field and what was expected.
    errors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = account_fk()
    created_at: Mapped[created_now]
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
