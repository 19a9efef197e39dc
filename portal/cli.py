"""The ``portal`` command: database, demo data, serving both apps and the worker."""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any

import click

from internal import config as settings
from internal.audit_cli import audit_cli
from internal.db import make_engine, make_session_factory
from policies.cli import policy_cli
from policies.ledger_cli import ledger_command


@click.group(help="Partner portal: the extranet, the staff console and their tools.")
def main() -> None:
    pass


main.add_command(policy_cli)
main.add_command(audit_cli)
main.add_command(ledger_command)


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


@demo.command(
    "partner-users",
    help="Add a user (password demo-password) at each of COUNT demo partners, suppliers and customers in "
    "turn, and print them: many partners signed in at once, for `portal loadtest`.",
)
@click.option("--count", type=click.IntRange(min=1), default=16, show_default=True)
def demo_partner_users(count: int) -> None:
    from internal.demo import add_partner_sign_ins

    engine = make_engine(settings.load()["DATABASE_URL"])
    with make_session_factory(engine)() as session:
        try:
            made = add_partner_sign_ins(session, count)
        except ValueError as error:
            raise click.ClickException(str(error)) from None
        session.commit()
    engine.dispose()
    for sign_in in made:
        click.echo(f"{sign_in.email:<34} {sign_in.partner_code:<10} {sign_in.side}")


def _print_logins() -> None:
    from internal.demo import DEMO_LOGINS

    ports = {"extranet": "http://127.0.0.1:5000", "console": "http://127.0.0.1:5001"}
    click.echo("Demo sign-ins:")
    for login in DEMO_LOGINS:
        click.echo(f"  {ports[login.app]:<23} {login.email:<28} {login.password:<15} {login.description}")
    _print_api_clients()


def _print_api_clients() -> None:
    from internal.demo import DEMO_API_CLIENTS

    click.echo("Demo API clients (POST http://127.0.0.1:5000/oauth/token with HTTP Basic id:secret):")
    for api_client in DEMO_API_CLIENTS:
        click.echo(f"  {api_client.partner_code:<8} {api_client.client_id:<14} {api_client.secret}")


@main.command(
    help="Serve the extranet and the staff console: by default in this one process (threaded), with "
    "--workers N each under gunicorn with N worker processes (production)."
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--extranet-port", "--port", default=5000, show_default=True, type=int)
@click.option("--console-port", default=5001, show_default=True, type=int)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Run each app under gunicorn with this many worker processes.",
)
def serve(host: str, extranet_port: int, console_port: int, workers: int | None) -> None:
    if workers is not None:
        _serve_with_gunicorn(host, extranet_port, console_port, workers)
        return
    import internal
    import portal
    from internal.web.serving import make_quiet_server

    servers = [
        make_quiet_server(host, extranet_port, portal.create_app(), threaded=True),
        make_quiet_server(host, console_port, internal.create_app(), threaded=True),
    ]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    _print_addresses(host, extranet_port, console_port)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        for server in servers:
            server.shutdown()


#: The two apps' factories, as gunicorn names them (each worker process builds its own app).
APPS = {"extranet": "portal:create_app()", "console": "internal:create_app()"}


def _serve_with_gunicorn(host: str, extranet_port: int, console_port: int, workers: int) -> None:
    """One gunicorn master per app, each with ``workers`` processes; Ctrl+C or SIGTERM stops both."""
    import signal
    import subprocess

    config = settings.load()
    if config["DATABASE_URL"].startswith("sqlite:///"):
        settings.INSTANCE.mkdir(exist_ok=True)
    if config["RATELIMIT_STORAGE_URI"].startswith("memory://") and workers > 1:
        click.echo(
            "Note: rate limits are counted per process (memory storage); set RATELIMIT_STORAGE_URI or "
            "CELERY_BROKER_URL to a Redis URL to count them across workers.",
            err=True,
        )
    # Every process signs cookies with the same key: the environment's, or the one kept in instance/.
    env = {**os.environ, "SECRET_KEY": config["SECRET_KEY"]}
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    masters = [
        subprocess.Popen(
            [
                gunicorn,
                "--workers", str(workers),
                "--bind", f"{host}:{port}",
                "--access-logfile", "-",
                "--graceful-timeout", "10",
                factory,
            ],
            env=env,
        )
        for port, factory in ((extranet_port, APPS["extranet"]), (console_port, APPS["console"]))
    ]  # fmt: skip
    _print_addresses(host, extranet_port, console_port)

    def stop(*_args: object) -> None:
        for master in masters:
            if master.poll() is None:
                master.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(master.poll() is None for master in masters):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for master in masters:
            master.wait(timeout=30)
    failed = [m.returncode for m in masters if m.returncode not in (0, -signal.SIGTERM)]
    if failed:
        raise click.ClickException(f"gunicorn stopped with exit status {failed[0]}")


def _print_addresses(host: str, extranet_port: int, console_port: int) -> None:
    click.echo(f"Extranet (partners):    http://{host}:{extranet_port}")
    click.echo(f"Staff console:          http://{host}:{console_port}")
    _print_logins()
    click.echo("Press Ctrl+C to stop.")


@main.command(
    help="A bounded load test of a running extranet on this machine (Locust): USERS partners sign in at "
    "once (their accounts are added to the demo database first), browse, export and write for SECONDS, "
    "then requests/s and p50/p95/p99 per page are printed. Exits 1 on any server error."
)
@click.option("--host", default="http://127.0.0.1:5000", show_default=True, help="The extranet's address.")
@click.option("--users", type=click.IntRange(min=2), default=16, show_default=True)
@click.option("--seconds", type=click.FloatRange(min=1, max=3600), default=30.0, show_default=True)
@click.option("--json", "json_path", default=None, help="Also write the figures to this file.")
def loadtest(host: str, users: int, seconds: float, json_path: str | None) -> None:
    import importlib.util
    import ipaddress
    import json
    from urllib.parse import urlsplit

    from internal.demo import DEMO_PASSWORD, add_partner_sign_ins

    name = urlsplit(host).hostname or ""
    try:
        loopback = name == "localhost" or ipaddress.ip_address(name).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise click.ClickException(f"{host} is not on this machine: the load test only targets loopback.")
    if importlib.util.find_spec("locust") is None:
        raise click.ClickException("Locust is not installed: pip install -e '.[dev]' (make setup does).")
    engine = make_engine(settings.load()["DATABASE_URL"])
    with make_session_factory(engine)() as session:
        try:
            made = add_partner_sign_ins(session, users)
        except ValueError as error:
            raise click.ClickException(str(error)) from None
        session.commit()
    engine.dispose()
    sign_ins = [{"email": s.email, "password": DEMO_PASSWORD, "side": s.side} for s in made]
    args = [sys.executable, "-m", "portal.loadtest", "--host", host, "--seconds", str(seconds)]
    args += ["--sign-ins", json.dumps(sign_ins), *(["--json", json_path] if json_path else [])]
    # A fresh interpreter: gevent must patch the standard library before anything imports it.
    os.execv(sys.executable, args)  # noqa: S606 - replaces this process with the load test on purpose


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
    args = [celery, "-A", "portal.worker:celery_app", "worker", "--beat", "--loglevel=info", *ctx.args]
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
    from internal.integration.tasks import run_import

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
    runner = threading.Thread(target=run_import.delay, args=(job_id,), daemon=True)
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
