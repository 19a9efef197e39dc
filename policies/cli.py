"""`portal policy check` and `portal policy explain`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from internal import config as settings
from internal.db import make_engine, make_session_factory
from policies.datasets import DATASETS
from policies.figures import figure_conflicts
from policies.language import PolicyInvalid, parse
from policies.resolve import run_tests


@click.group(name="policy", help="Sharing policies: check documents, explain what a partner sees.")
def policy_cli() -> None:
    pass


@policy_cli.command(help="Validate policy files and run their tests; exit 0 when all pass, 1 otherwise.")
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def check(paths: tuple[Path, ...]) -> None:
    failed = False
    for path in paths:
        try:
            doc = parse(path.read_text(encoding="utf-8"), str(path))
        except PolicyInvalid as invalid:
            failed = True
            for problem in invalid.problems:
                click.echo(str(problem), err=True)
            continue
        # A figure rounded in one dataset and exact in another is exact: refuse the document.
        failures = [f"{path}: {conflict}" for conflict in figure_conflicts(doc)] + run_tests(doc, str(path))
        for failure in failures:
            click.echo(failure, err=True)
        failed |= bool(failures)
        if not failures:
            click.echo(f"{path}: valid, {len(doc.rules)} rules, {len(doc.tests)} tests passed")
    sys.exit(1 if failed else 0)


@policy_cli.command(
    "explain", help="What a partner sees of a dataset, field by field, and which rule decides."
)
@click.option("--partner", "partner_code", required=True, help="Partner code, e.g. SUP-001.")
@click.option("--dataset", required=True, type=click.Choice(sorted(DATASETS)))
@click.option(
    "--policy",
    "policy_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Explain this policy file instead of the version active in the database.",
)
def explain_command(partner_code: str, dataset: str, policy_path: Path | None) -> None:
    from policies.partner_explanation import NoActiveVersion, explain_for_partner

    engine = make_engine(settings.load()["DATABASE_URL"])
    with make_session_factory(engine)() as session:
        try:
            policy = None
            if policy_path is not None:
                doc = parse(policy_path.read_text(encoding="utf-8"), str(policy_path))
                policy = (doc, f"policy {policy_path.name} ({doc.content_hash[:12]})")
            explanation = explain_for_partner(session, partner_code, dataset, policy=policy)
        except PolicyInvalid as invalid:
            raise click.ClickException(str(invalid)) from None
        except NoActiveVersion:
            raise click.ClickException(
                "No sharing policy is active: partners see nothing. Use --policy FILE."
            ) from None
        if explanation is None:
            raise click.ClickException(f"There is no partner {partner_code!r}.")
    engine.dispose()
    groups = ", ".join(explanation.groups) or "none"
    click.echo(f"{partner_code} ({explanation.kind}; groups: {groups}) sees of {dataset}:")
    for line in explanation.lines:
        click.echo(f"  {line}")


@policy_cli.command(
    "impact",
    help="What a draft would change for each partner against the active version, on the real data: rows "
    "gained and lost and fields shown differently. Writes nothing.",
)
@click.option(
    "--draft",
    "draft_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The policy file to weigh.",
)
def impact_command(draft_path: Path) -> None:
    from policies import versions
    from policies.impact import impact

    try:
        draft = parse(draft_path.read_text(encoding="utf-8"), str(draft_path))
    except PolicyInvalid as invalid:
        raise click.ClickException(str(invalid)) from None
    engine = make_engine(settings.load()["DATABASE_URL"])
    with make_session_factory(engine)() as session:
        current = versions.active(session)
        against = f"version {current[0].number}" if current is not None else "no active version"
        changes = impact(session, draft, current[1] if current is not None else None)
        session.rollback()  # nothing was written; nothing is kept
    engine.dispose()
    click.echo(f"Impact of {draft_path} against {against}:")
    for change in changes:
        click.echo(f"  {change}")
    if not changes:
        click.echo("  No partner would see anything different.")
