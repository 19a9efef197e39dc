"""The ``portal`` command: database, demo data, serving both apps and the worker."""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any

import click

from internal import config as settings
from internal.db import make_engine, make_session_factory
from policies.cli import policy_cli


@click.group(help="Partner portal: the extranet, the staff console and their tools.")
def main() -> None:
    pass


main.add_command(policy_cli)


@main.group(help="Database schema.")
def db() -> None:
    pass


@db.command(help="Apply every migration (creates the schema on an empty database).")
def upgrade() -> None:
    from internal.migrate import upgrade as run_upgrade

    url = settings.load()["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        settings.INSTANCE.mkdir(exist_ok=True)
    run_upgrade(url)
    click.echo(f"Database at {_redacted(url)} is up to date.")


@db.command(help="Undo migrations down to REVISION (default: everything).")
@click.argument("revision", default="base")
@click.confirmation_option(prompt="This drops data. Continue?")
def downgrade(revision: str) -> None:
    from internal.migrate import downgrade as run_downgrade

    run_downgrade(settings.load()["DATABASE_URL"], revision)
    click.echo(f"Downgraded to {revision}.")


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@main.group(help="The demo enterprise.")
def demo() -> None:
    pass


@demo.command("load", help="Load a deterministic demo manufacturer, and activate the default sharing policy.")
@click.option("--scale", type=click.Choice(["small", "large"]), default="small", show_default=True)
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) when data is already loaded.")
@click.option("--seed", type=int, default=20261125, show_default=True)
def demo_load(scale: str, if_empty: bool, seed: int) -> None:
    from internal.demo import DemoAlreadyLoaded, load_demo
    from policies import load_demo_policy

    config = settings.load()
    engine = make_engine(config["DATABASE_URL"])
    factory = make_session_factory(engine)
    with factory() as session:
        try:
            summary = load_demo(session, scale, seed=seed)
        except DemoAlreadyLoaded:
            if if_empty:
                click.echo("Demo data is already loaded; nothing to do.")
                _print_logins()
                return
            raise click.ClickException(
                "The database already holds data. Use an empty database "
                "(or `portal db downgrade` then `portal db upgrade`) to load the demo again."
            ) from None
        # Authored by the policy admin, approved by the buyer: activation always takes two people.
        load_demo_policy(session, "policy.admin@example.com", "buyer@example.com")
        session.commit()
    engine.dispose()
    click.echo(f"Loaded the {scale} demo in {summary.elapsed_seconds:.1f} s:")
    for name, value in summary.counts().items():
        click.echo(f"  {name:>22}: {value:,}")
    _print_logins()


@demo.command("logins", help="Print the demo sign-ins.")
def demo_logins() -> None:
    _print_logins()


def _print_logins() -> None:
    from internal.demo import DEMO_LOGINS

    ports = {"extranet": "http://127.0.0.1:5000", "console": "http://127.0.0.1:5001"}
    click.echo("Demo sign-ins:")
    for login in DEMO_LOGINS:
        click.echo(f"  {ports[login.app]:<23} {login.email:<28} {login.password:<15} {login.description}")


@main.command(help="Serve the extranet and the staff console (development server, threaded).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--extranet-port", "--port", default=5000, show_default=True, type=int)
@click.option("--console-port", default=5001, show_default=True, type=int)
def serve(host: str, extranet_port: int, console_port: int) -> None:
    from werkzeug.serving import make_server

    import internal
    import portal

    servers = [
        make_server(host, extranet_port, portal.create_app(), threaded=True),
        make_server(host, console_port, internal.create_app(), threaded=True),
    ]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    click.echo(f"Extranet (partners):    http://{host}:{extranet_port}")
    click.echo(f"Staff console:          http://{host}:{console_port}")
    _print_logins()
    click.echo("Press Ctrl+C to stop.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        for server in servers:
            server.shutdown()


@main.group(help="E-mail partners about what changed.")
def notify() -> None:
    pass


@notify.command(
    "purchase-orders",
    help="E-mail each supplier about its purchase orders new or changed since it was last told, once "
    "(what the worker's scheduler runs every PURCHASE_ORDER_SWEEP_SECONDS).",
)
def notify_purchase_orders() -> None:
    from internal import jobs
    from portal.notifications import announce_purchase_orders_task

    jobs.configure(settings.load())
    click.echo(f"{announce_purchase_orders_task()} purchase orders announced.")


@main.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    help="Run a Celery worker (needs CELERY_BROKER_URL, e.g. redis://127.0.0.1:6379/0), with the scheduler "
    "that announces new and changed purchase orders. Extra arguments go to `celery worker`.",
)
@click.pass_context
def worker(ctx: click.Context) -> None:
    if not settings.load()["CELERY_BROKER_URL"]:
        raise click.ClickException(
            "CELERY_BROKER_URL is not set: without a broker, tasks already run in-process and no worker "
            "is needed. Set it to a Redis URL to run a real worker."
        )
    celery = os.path.join(os.path.dirname(sys.executable), "celery")
    settings.INSTANCE.mkdir(exist_ok=True)  # the scheduler keeps its last-run times there
    args = [celery, "-A", "internal.jobs:celery_app", "worker", "--beat", "--loglevel=info", *ctx.args]
    os.execv(celery, args)  # noqa: S606 - replaces this process with the worker on purpose


@main.command(
    "import",
    help="Import files exported by a source system: erp (CSV or XLSX), crm (JSON) or scm (CSV). Each file "
    "is checked whole first; a file with errors writes nothing. Exit status 0 when loaded, 1 when refused. "
    "Formats: docs/import-formats.md.",
)
@click.argument("system", type=click.Choice(["erp", "crm", "scm"]))
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--remove-missing", is_flag=True, help="Delete rows the files no longer hold (otherwise only reported)."
)
def import_files(system: str, files: tuple[str, ...], remove_missing: bool) -> None:
    from pathlib import Path

    from tqdm import tqdm

    from internal import jobs
    from internal.integration import service

    config = settings.load()
    jobs.configure(config)
    engine = make_engine(config["DATABASE_URL"])
    factory = make_session_factory(engine)
    with factory() as session:
        job = service.start_import(
            session,
            system,
            [(Path(f).name, Path(f).resolve()) for f in files],
            remove_missing=remove_missing,
        )
        job_id = job.id
        session.commit()
    # In-process (no broker) the task runs in this thread while the main one draws its progress;
    # with a broker a worker runs it, and this waits for it the same way.
    runner = threading.Thread(target=jobs.enqueue, args=("portal.run_import", job_id), daemon=True)
    runner.start()
    with tqdm(total=0, unit="rows", desc=f"import {system} #{job_id}") as bar, factory() as session:
        while True:
            running = runner.is_alive()
            state = service.job_state(session, job_id)
            session.rollback()
            assert state is not None
            bar.total, bar.n = state.rows_total, state.rows_done
            bar.refresh()
            if state.finished or (config["CELERY_ALWAYS_EAGER"] and not running):
                break
            time.sleep(0.2)
    runner.join(timeout=5)
    engine.dispose()
    for kind, counts in state.counts.items():
        click.echo(
            f"  {kind:<22} added {counts['added']:>9,}  changed {counts['changed']:>9,}  "
            f"unchanged {counts['unchanged']:>9,}  missing {counts['missing']:>7,}  "
            f"removed {counts['removed']:>7,}"
        )
    for problem in state.problems:
        click.echo(f"  {problem}", err=True)
    if state.status != "loaded":
        click.echo(
            f"Import job {job_id} {state.status}: nothing was written from the file with errors.", err=True
        )
        sys.exit(1)
    click.echo(f"Import job {job_id} loaded.")


@main.group(help="Demand plans.")
def plan() -> None:
    pass


@plan.command(
    "derive",
    help="Derive supplier demand from customer demand (open sales orders and the sales forecast, through the "
    "bills of material, net of stock, safety stock and open purchase orders, split by source-list shares and "
    "moved earlier by lead times) and store it as the next draft of the demand plan. Publish it in the "
    "console.",
)
@click.option("--weeks", type=click.IntRange(1, 104), default=26, show_default=True)
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="First week (default: this week).")
def plan_derive(weeks: int, start: Any) -> None:
    import datetime as dt

    from internal.integration.demand import write_derived_plan

    config = settings.load()
    engine = make_engine(config["DATABASE_URL"])
    first = start.date() if start else dt.datetime.now(dt.UTC).date()
    with make_session_factory(engine)() as session:
        started = time.perf_counter()
        plan, derivation = write_derived_plan(session, start=first, weeks=weeks)
        session.commit()
        click.echo(
            f"Draft {plan.name} version {plan.version}: {len(derivation.by_supplier()):,} supplier buckets "
            f"for {len(derivation.net):,} bought items, weeks of {plan.horizon_start} on "
            f"({time.perf_counter() - started:.1f} s)."
        )
        if derivation.unsourced:
            click.echo(f"{len(derivation.unsourced):,} items have a requirement but no supplier and no bill.")
    engine.dispose()
