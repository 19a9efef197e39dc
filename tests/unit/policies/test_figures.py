"""One figure shown alike everywhere: `portal policy check` refuses a dataset undoing another's rounding."""

from __future__ import annotations

from click.testing import CliRunner

from policies import DEFAULT_SET
from policies.cli import policy_cli
from policies.figures import figure_conflicts
from policies.language import parse

LEAKY = """
rules:
  - id: rounded-forecast
    effect: share
    to: kind:supplier
    dataset: forecast
    rows: supplied_by_viewer
    horizon: 12w
    fields: {sku: exact, site: exact, week: exact, qty: {round: {to: 10, mode: nearest}}}
  - id: exact-commits
    effect: share
    to: kind:supplier
    dataset: forecast_commits
    rows: own_documents
    horizon: 12w
    fields: {sku: exact, site: exact, week: exact, forecast_qty: exact}
"""


def test_policy_check_refuses_forecast_qty_exact_in_one_dataset_and_rounded_in_another(tmp_path):
    path = tmp_path / "leaky.yaml"
    path.write_text(LEAKY, encoding="utf-8")
    result = CliRunner().invoke(policy_cli, ["check", str(path)])
    assert result.exit_code == 1
    assert (
        f"{path}: forecast demand is shown to a supplier in no group by forecast_commits.forecast_qty "
        "(rule exact-commits) more finely than by forecast.qty (rule rounded-forecast): "
        "shown exactly against rounded to the nearest 10." in result.output
    )


def test_a_figure_shown_further_ahead_in_one_dataset_is_refused():
    doc = parse(
        LEAKY.replace("forecast_qty: exact", "forecast_qty: {round: {to: 10, mode: nearest}}").replace(
            "    horizon: 12w\n    fields: {sku: exact, site: exact, week: exact, forecast_qty",
            "    fields: {sku: exact, site: exact, week: exact, forecast_qty",
        )
    )
    [conflict] = figure_conflicts(doc)
    assert "forecast_commits.forecast_qty (rule exact-commits)" in conflict
    assert "forecast.qty (rule rounded-forecast)" in conflict
    assert "with no horizon against 12 weeks ahead" in conflict


def test_a_figure_shown_per_site_in_one_dataset_and_per_region_in_another_is_refused():
    doc = parse(
        LEAKY.replace("forecast_qty: exact", "forecast_qty: {round: {to: 10, mode: nearest}}").replace(
            "fields: {sku: exact, site: exact, week: exact, qty:",
            "fields: {sku: exact, site: {generalize: region}, week: exact, qty:",
        )
    )
    [conflict] = figure_conflicts(doc)
    assert "per site shown exactly against" in conflict


def test_figures_shown_alike_pass_and_a_more_specific_share_for_a_group_is_compared_within_it():
    alike = LEAKY.replace("forecast_qty: exact", "forecast_qty: {round: {to: 10, mode: nearest}}")
    assert figure_conflicts(parse(alike)) == []
    strategic = (
        alike
        + """
  - id: strategic-forecast
    effect: share
    to: group:strategic
    dataset: forecast
    rows: supplied_by_viewer
    fields: {sku: exact, site: exact, week: exact, qty: exact}
"""
    )
    [conflict] = figure_conflicts(parse(strategic))
    assert "to a supplier in strategic by forecast.qty (rule strategic-forecast)" in conflict
    assert "forecast_commits.forecast_qty (rule exact-commits)" in conflict


def test_the_shipped_default_set_shows_each_figure_alike():
    assert figure_conflicts(parse(DEFAULT_SET.read_text(encoding="utf-8"))) == []


def test_a_version_showing_a_figure_unevenly_is_never_stored(session):
    import pytest

    from policies import versions
    from policies.language import PolicyInvalid
    from tests.factories import make_account

    author = make_account(session, "policy121@example.com", staff_role="policy_admin")
    with pytest.raises(PolicyInvalid) as invalid:
        versions.propose(session, LEAKY, author_id=author.id)
    assert "(rule exact-commits) more finely than by forecast.qty (rule rounded-forecast)" in str(
        invalid.value
    )
