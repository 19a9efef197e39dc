"""The command line as a newcomer runs it: migrate an empty database, load the demo, print logins."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from internal.db import make_engine
from internal.models import Account, Partner, SalesOrderLine
from tests.conftest import scratch_database

PORTAL_CLI = str(Path(sys.executable).with_name("portal"))


def portal(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PORTAL_CLI, *args],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_upgrade_then_small_demo_on_an_empty_database(tmp_path_factory):
    with scratch_database(tmp_path_factory, "cli") as url:
        upgraded = portal("db", "upgrade", url=url)
        assert upgraded.returncode == 0, upgraded.stderr
        assert "up to date" in upgraded.stdout

        loaded = portal("demo", "load", "--scale", "small", url=url)
        assert loaded.returncode == 0, loaded.stderr
        assert "supplier.user@example.com" in loaded.stdout

        engine = make_engine(url)
        with engine.connect() as conn:
            assert 15 <= conn.scalar(select(func.count()).select_from(Partner)) <= 30
            assert conn.scalar(select(func.count()).select_from(SalesOrderLine)) >= 4000
            assert conn.scalar(select(func.count()).select_from(Account).where(Account.is_staff)) == 4
        engine.dispose()

        explained = portal("policy", "explain", "--partner", "SUP-002", "--dataset", "inventory", url=url)
        assert explained.returncode == 0, explained.stderr
        assert (
            "on_hand shown as out / low / ok / high by rule suppliers-inventory, version 1."
            in explained.stdout
        )
        assert "safety_stock hidden: no rule shares it." in explained.stdout
        strategic = portal("policy", "explain", "--partner", "SUP-001", "--dataset", "inventory", url=url)
        assert "on_hand shown exactly by rule strategic-inventory, version 1." in strategic.stdout

        consumption = portal("policy", "explain", "--partner", "SUP-001", "--dataset", "consumption", url=url)
        assert (
            "customer replaced by a pseudonym that only you receive by rule strategic-consumption"
            in consumption.stdout
        )
        assert (
            "Rows are summed per sku, item, uom, site and customer per week; groups of fewer than 2 rows are "
            "merged into 'other', by rule strategic-consumption, version 1." in consumption.stdout
        )
        # The demo's purchase orders were sent to their suppliers already: nothing to announce.
        announced = portal("notify", "purchase-orders", url=url)
        assert announced.returncode == 0, announced.stderr
        assert announced.stdout.strip() == "0 purchase orders announced."

        again = portal("demo", "load", "--scale", "small", url=url)
        assert again.returncode == 1
        assert "already holds data" in again.stderr
        quiet = portal("demo", "load", "--if-empty", url=url)
        assert quiet.returncode == 0
        assert "already loaded" in quiet.stdout


def test_worker_refuses_to_start_without_a_broker(tmp_path):
    result = subprocess.run(
        [PORTAL_CLI, "worker"],
        env={**os.environ, "CELERY_BROKER_URL": "", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "CELERY_BROKER_URL is not set" in result.stderr


def test_import_loads_the_example_files_then_refuses_a_bad_one_with_exit_status_1(tmp_path_factory, tmp_path):
    examples = Path(__file__).resolve().parents[2] / "examples" / "import"
    with scratch_database(tmp_path_factory, "cli_import") as url:
        assert portal("db", "upgrade", url=url).returncode == 0
        erp = portal("import", "erp", *map(str, sorted((examples / "erp").glob("*.csv"))), url=url)
        assert erp.returncode == 0, erp.stderr
        assert "Import job 1 loaded." in erp.stdout
        assert "100%" in erp.stderr  # the progress bar, drawn by tqdm
        crm = portal("import", "crm", str(examples / "crm.json"), url=url)
        scm = portal("import", "scm", *map(str, sorted((examples / "scm").glob("*.csv"))), url=url)
        assert (crm.returncode, scm.returncode) == (0, 0), crm.stderr + scm.stderr

        again = portal("import", "crm", str(examples / "crm.json"), url=url)
        line = next(x for x in again.stdout.splitlines() if x.strip().startswith("sales_order_lines"))
        assert line.split()[1:7] == ["added", "0", "changed", "0", "unchanged", "1"]

        bad = tmp_path / "orders.json"
        bad.write_text((examples / "crm.json").read_text().replace('"qty": 5', '"qty": "five"'))
        refused = portal("import", "crm", str(bad), url=url)
        assert refused.returncode == 1
        assert "orders.json, $.sales_orders[0].lines[0], qty: expected a number, got 'five'" in refused.stderr
