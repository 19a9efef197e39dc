"""`portal audit verify`: check the audit log's hash chain."""

from __future__ import annotations

import sys

import click

from internal import audit
from internal import config as settings
from internal.db import make_engine, make_session_factory


@click.group(name="audit", help="The audit log of sign-ins, policy steps, invitations and deactivations.")
def audit_cli() -> None:
    pass


@audit_cli.command(
    "verify",
    help="Walk the log's hash chain; exit 0 when it is whole, 1 naming the first entry edited or "
    "following a deleted one.",
)
def verify_command() -> None:
    engine = make_engine(settings.load()["DATABASE_URL"])
    with make_session_factory(engine)() as session:
        verdict = audit.verify(session)
    engine.dispose()
    if verdict.ok:
        click.echo(f"The audit log is intact: {verdict.checked} entries, each chained to the one before.")
        sys.exit(0)
    click.echo(
        f"The audit log is broken at entry {verdict.bad_seq} (row id {verdict.bad_id}): {verdict.reason}. "
        f"The {verdict.checked} entries before it are intact.",
        err=True,
    )
    sys.exit(1)
