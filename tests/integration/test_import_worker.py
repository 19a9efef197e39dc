"""A real Celery worker on a real Redis runs imports: queued by the command line and by the drop folder."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from internal import config as settings
from internal import jobs
from internal.db import make_engine, make_session_factory
from internal.integration import service
from internal.integration.tasks import run_import
from internal.migrate import upgrade
from internal.models import ImportJob, Item
from tests.conftest import scratch_database
from tests.integration.test_worker import redis_url  # noqa: F401 - pytest fixture

pytestmark = pytest.mark.worker
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "import"
BIN = Path(sys.executable).parent


def test_a_worker_imports_with_progress_from_the_queue_the_command_line_and_the_drop_folder(
    tmp_path_factory,
    tmp_path,
    redis_url,  # noqa: F811
):
    items = tmp_path / "items.csv"
    rows = ["sku,name,kind,uom,standard_cost"] + [
        f"BULK-{n:06},Bulk part {n},component,PCS,1.25" for n in range(100_000)
    ]
    items.write_text("\n".join(rows))
    drop = tmp_path / "drop"
    (drop / "erp").mkdir(parents=True)
    with scratch_database(tmp_path_factory, "import_worker") as url:
        upgrade(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "CELERY_BROKER_URL": redis_url,
            "IMPORT_DIR": str(tmp_path / "store"),
            "IMPORT_DROP_DIR": str(drop),
            "IMPORT_DROP_SCHEDULE": "1",
            "PLAN_DERIVE_SCHEDULE": "",
        }
        worker = subprocess.Popen(
            [
                str(BIN / "portal"),
                "worker",
                "--pool=solo",
                "--loglevel=warning",
                "--without-gossip",
                "--without-mingle",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        previous = jobs.current_config()
        try:
            # 1. Queued directly: the job's progress advances in steps while the worker writes.
            with factory() as session:
                job_id = service.start_import(session, "erp", [("items.csv", items)]).id
                session.commit()
            jobs.configure(settings.load({"DATABASE_URL": url, "CELERY_BROKER_URL": redis_url}))
            run_import.delay(job_id)
            seen = set()
            deadline = time.monotonic() + 120
            with factory() as session:
                while time.monotonic() < deadline:
                    job = session.get(ImportJob, job_id, populate_existing=True)
                    seen.add((job.status.value, job.rows_done, job.rows_total))
                    session.rollback()
                    if job.status.value in ("loaded", "refused", "failed"):
                        break
                    time.sleep(0.02)
                job = session.get(ImportJob, job_id, populate_existing=True)
                assert job.status.value == "loaded", job.errors
                assert job.counts["items"]["added"] == 100_000
                assert session.scalar(select(func.count()).select_from(Item)) == 100_000
            assert any(s == "running" and 0 < done < total for s, done, total in seen), sorted(seen)

            # 2. The command line with a broker waits for the worker and draws the same progress.
            cli = subprocess.run(
                [str(BIN / "portal"), "import", "erp", *map(str, sorted((EXAMPLES / "erp").glob("*.csv")))],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert cli.returncode == 0, cli.stderr
            assert "loaded." in cli.stdout
            assert "100%" in cli.stderr

            # 3. A file dropped into the drop folder is taken by the scheduler and imported.
            (drop / "erp" / ".items.csv").write_text(
                "sku,name,kind,uom,standard_cost\nDROP-1,Dropped part,raw,KGM,2\n"
            )
            (drop / "erp" / ".items.csv").rename(drop / "erp" / "items.csv")
            deadline = time.monotonic() + 60
            status = None
            with factory() as session:
                while time.monotonic() < deadline and status != "loaded":
                    status = session.scalar(select(ImportJob.status).where(ImportJob.origin == "drop-folder"))
                    status = status and status.value
                    session.rollback()
                    time.sleep(0.2)
                assert status == "loaded"
                assert session.scalar(select(Item.uom).where(Item.sku == "DROP-1")) == "KG"
            assert not list((drop / "erp").iterdir())  # taken out of the drop folder
        finally:
            jobs.configure(previous)
            worker.terminate()
            output = worker.communicate(timeout=30)[0].decode()
            engine.dispose()
        assert "Traceback" not in output, output
