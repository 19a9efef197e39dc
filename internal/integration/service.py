"""Import jobs: recorded before they run, run once, and kept with their counts and errors for staff.

A job names its files by path (the drop folder, the console's upload folder, or the command line's
own), so a worker on the same storage reads them. Running a job twice is harmless: a finished job is
not run again, and a job cut short by a lost worker runs again from the start, where the upsert finds
the rows already written unchanged.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from internal.integration.load import LoadResult, load_files
from internal.integration.problems import ImportRefused, Problem
from internal.models import ImportJob as ImportJob  # the console's pages show jobs
from internal.models import ImportStatus, SourceSystem, utcnow

FINISHED = (ImportStatus.loaded, ImportStatus.refused, ImportStatus.failed)


def start_import(
    session: Session,
    system: SourceSystem | str,
    files: list[tuple[str, Path]],
    *,
    origin: str = "cli",
    remove_missing: bool = False,
    account_id: int | None = None,
) -> ImportJob:
    """Record a queued job for ``files`` (shown name, path); the caller queues it once committed."""
    job = ImportJob(
        source_system=SourceSystem(system),
        files=[{"name": name, "path": str(path)} for name, path in files],
        origin=origin,
        remove_missing=remove_missing,
        created_by_id=account_id,
        counts={},
        errors=[],
    )
    session.add(job)
    session.flush()
    return job


def keep_upload(folder: Path, name: str, content: bytes) -> Path:
    """Store an uploaded file where workers read it, under a name no other upload can take."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}-{Path(name).name}"
    path.write_bytes(content)
    return path


def run_job(session: Session, job_id: int, checkpoint: Callable[[], None]) -> ImportStatus | None:
    """Run a queued (or interrupted) job; ``checkpoint`` commits, so progress is seen while it runs.

    Returns the job's final status, or None if there is no such job.
    """
    job = session.get(ImportJob, job_id)
    if job is None:
        return None
    if job.status in FINISHED:
        return job.status  # delivered again after it ran: nothing to do
    job.status, job.started_at, job.rows_done, job.counts, job.errors = (
        ImportStatus.running,
        utcnow(),
        0,
        {},
        [],
    )
    checkpoint()
    contents = []
    for f in job.files:
        try:
            contents.append((f["name"], Path(f["path"]).read_bytes()))
        except OSError as exc:
            return _finish(
                job,
                ImportStatus.refused,
                [Problem(f["name"], "", "", "unreadable", {"reason": exc.strerror or str(exc)})],
            )

    def progress(done: int, total: int) -> None:
        job.rows_done, job.rows_total = done, total
        checkpoint()

    def after_file(_name: str, result: LoadResult) -> None:
        counts = dict(job.counts)
        for kind, c in result.counts.items():
            before = counts.get(kind, {})
            counts[kind] = {k: before.get(k, 0) + v for k, v in vars(c).items()}
        job.counts = counts

    try:
        result = load_files(
            session,
            job.source_system,
            contents,
            remove_missing=job.remove_missing,
            progress=progress,
            after_file=after_file,
        )
    except ImportRefused as refused:
        return _finish(job, ImportStatus.refused, refused.problems)
    job.rows_done = job.rows_total
    return _finish(job, ImportStatus.loaded, result.warnings)


def _finish(job: ImportJob, status: ImportStatus, problems: list[Problem]) -> ImportStatus:
    job.status, job.finished_at = status, utcnow()
    job.errors = [p.as_json() for p in problems]
    return status


def mark_failed(session: Session, job_id: int, reason: str) -> None:
    """An unexpected error stopped the job: say so rather than leave it running forever."""
    job = session.get(ImportJob, job_id)
    if job is not None and job.status not in FINISHED:
        _finish(job, ImportStatus.failed, [Problem("", "", "", "unreadable", {"reason": reason})])


@dataclass(frozen=True)
class JobState:
    """A job as the command line shows it (plain values, no ORM object)."""

    id: int
    status: str
    rows_done: int
    rows_total: int
    counts: dict[str, dict[str, int]]
    problems: list[Problem]

    @property
    def finished(self) -> bool:
        return self.status in {s.value for s in FINISHED}


def job_state(session: Session, job_id: int) -> JobState | None:
    job = session.get(ImportJob, job_id, populate_existing=True)
    if job is None:
        return None
    return JobState(
        job.id, job.status.value, job.rows_done, job.rows_total, dict(job.counts), problems_of(job)
    )


def problems_of(job: ImportJob) -> list[Problem]:
    return [Problem.from_json(p) for p in job.errors]


def recent_jobs(session: Session, limit: int = 50) -> list[ImportJob]:
    return list(session.scalars(select(ImportJob).order_by(ImportJob.id.desc()).limit(limit)))


def get_job(session: Session, job_id: int) -> ImportJob | None:
    return session.get(ImportJob, job_id)


# -- the drop folder --------------------------------------------------------------------------------


def collect_drop_folder(session: Session, drop: Path, store: Path) -> list[ImportJob]:
    """One job per system for the files waiting in DROP/erp, DROP/crm and DROP/scm.

    Each file is moved out of the drop folder first (into ``store``), so the next sweep does not
    take it again; files still being written should be dropped under a temporary name starting
    with a dot and renamed when complete.
    """
    started = []
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    for system in SourceSystem:
        folder = drop / system.value
        if not folder.is_dir():
            continue
        waiting = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
        if not waiting:
            continue
        target = store / f"{stamp}-{system.value}-{uuid.uuid4().hex[:8]}"
        target.mkdir(parents=True, exist_ok=True)
        moved = []
        for path in waiting:
            destination = target / path.name
            shutil.move(str(path), destination)
            moved.append((path.name, destination))
        started.append(start_import(session, system, moved, origin="drop-folder"))
    return started


def summary(job: ImportJob) -> dict[str, Any]:
    """Totals over the job's record kinds."""
    totals = {"added": 0, "changed": 0, "unchanged": 0, "missing": 0, "removed": 0}
    for counts in job.counts.values():
        for k in totals:
            totals[k] += counts.get(k, 0)
    return totals
