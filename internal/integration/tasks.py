"""The integration's Celery tasks: run an import job, sweep the drop folder, derive the demand plan.

Tasks take ids, call services, and commit at the task boundary (and, for an import, at each progress
checkpoint so staff watch it advance). The worker acknowledges a task only once it has run, and the
job's own status makes a second delivery harmless.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from internal.integration import demand, service
from internal.jobs import beat_entries, celery_app, current_config, run_on_schedule, task_session

log = logging.getLogger(__name__)

RUN_IMPORT = "portal.run_import"
IMPORT_DROP_FOLDER = "portal.import_drop_folder"
DERIVE_DEMAND_PLAN = "portal.derive_demand_plan"


@celery_app.task(name=RUN_IMPORT)
def run_import(job_id: int) -> str | None:
    try:
        with task_session() as session:
            status = service.run_job(session, job_id, checkpoint=session.commit)
    except Exception as exc:
        log.exception("import job %s failed", job_id)
        with task_session() as session:
            service.mark_failed(session, job_id, type(exc).__name__)
        raise
    return None if status is None else status.value


@celery_app.task(name=IMPORT_DROP_FOLDER)
def import_drop_folder() -> list[int]:
    """Run by the worker's scheduler (IMPORT_DROP_SCHEDULE): a job for each system with files waiting."""
    config = current_config()
    with task_session() as session:
        jobs = service.collect_drop_folder(
            session, Path(config["IMPORT_DROP_DIR"]), Path(config["IMPORT_DIR"])
        )
        ids = [job.id for job in jobs]
    for job_id in ids:
        run_import.delay(job_id)
    return ids


@celery_app.task(name=DERIVE_DEMAND_PLAN)
def derive_demand_plan(weeks: int = 26, account_id: int | None = None) -> int:
    """Run by the worker's scheduler (PLAN_DERIVE_SCHEDULE) and the console's button: a new draft plan."""
    with task_session() as session:
        plan, _ = demand.write_derived_plan(
            session, start=dt.datetime.now(dt.UTC).date(), weeks=weeks, account_id=account_id
        )
        return plan.id


def _integration_schedule(config: Mapping[str, Any]) -> dict[str, Any]:
    """The drop-folder import and the plan derivation, at the crontab times (or every N seconds) set."""
    return beat_entries(
        {
            "import-drop-folder": (IMPORT_DROP_FOLDER, config.get("IMPORT_DROP_SCHEDULE", "")),
            "derive-demand-plan": (DERIVE_DEMAND_PLAN, config.get("PLAN_DERIVE_SCHEDULE", "")),
        }
    )


run_on_schedule(_integration_schedule)
