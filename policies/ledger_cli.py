"""`portal ledger`: what a partner was shown about a subject, when, under which version, by which channel."""

from __future__ import annotations

import datetime as dt

import click

from internal import config as settings
from internal.db import make_engine, make_session_factory
from policies import ledger

#: The start of time for a question without --since: the ledger holds nothing older.
_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _day(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC)


def describe(seen: ledger.Seen) -> str:
    """One disclosure as one line: when, channel, dataset, version, who, how many rows, which fields how."""
    version = f"version {seen.policy_version}" if seen.policy_version is not None else "no version"
    fields = ", ".join(f"{name}={treatment}" for name, treatment in sorted(seen.fields.items())) or "none"
    return (
        f"{seen.at:%Y-%m-%d %H:%M:%S} UTC  {seen.channel:<6} {seen.dataset:<22} {version} "
        f"({seen.policy_hash[:12]})  {seen.account or '-'}  {seen.rows} rows  fields: {fields}"
    )


@click.command(
    "ledger",
    help="What partner CODE was shown about a subject (item:SKU, customer:CODE, document:NUMBER or "
    "order:NUMBER) between two dates, under which policy version, through which channel.",
)
@click.option("--partner", "partner_code", required=True, help="Partner code, e.g. SUP-002.")
@click.option(
    "--subject",
    required=True,
    help="KIND:KEY, e.g. item:CP-100, customer:CUS-001, site:PLANT-1 or order:SO-2026-00012.",
)
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="First day (UTC).")
@click.option(
    "--until", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Last day (UTC), included."
)
def ledger_command(
    partner_code: str, subject: str, since: dt.datetime | None, until: dt.datetime | None
) -> None:
    try:
        kind, key = ledger.parse_subject(subject)
    except ledger.LedgerQueryInvalid as invalid:
        raise click.BadParameter(str(invalid), param_hint="--subject") from None
    start = _day(since) if since is not None else _EPOCH
    end = _day(until) + dt.timedelta(days=1) if until is not None else dt.datetime.now(dt.UTC)
    if end <= start:
        raise click.BadParameter("--until is before --since.", param_hint="--until")
    engine = make_engine(settings.load()["DATABASE_URL"])
    with make_session_factory(engine)() as session:
        if not ledger.partner_exists(session, partner_code):
            raise click.ClickException(f"There is no partner {partner_code!r}.")
        found = ledger.query(
            session, partner_code=partner_code, subject=key, kind=kind, since=start, until=end, limit=10_000
        )
    engine.dispose()
    period = f"{start:%Y-%m-%d} to {end - dt.timedelta(microseconds=1):%Y-%m-%d}"
    if not found:
        click.echo(f"{partner_code} was shown nothing about {kind} {key} from {period}.")
        return
    times = f"{len(found)} disclosure{'s' if len(found) != 1 else ''}"
    click.echo(f"{partner_code} was shown {kind} {key} in {times} from {period}:")
    for seen in found:
        click.echo(f"  {describe(seen)}")
