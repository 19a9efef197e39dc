"""Policy documents: the shipped set validates and passes its tests; broken ones say what to fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from policies.language import PolicyInvalid, parse
from policies.resolve import run_tests

SETS = Path(__file__).resolve().parents[3] / "policies" / "sets"
PORTAL = str(Path(sys.executable).with_name("portal"))


@pytest.mark.parametrize("path", sorted(SETS.glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_policy_sets_validate_and_pass_their_own_tests(path):
    doc = parse(path.read_text(), path.name)
    assert doc.rules
    assert doc.tests
    assert run_tests(doc, path.name) == []


def problems(text: str) -> list[str]:
    with pytest.raises(PolicyInvalid) as invalid:
        parse(text, "p.yaml")
    return [str(p) for p in invalid.value.problems]


def rule(**fields: str) -> str:
    base = {
        "id": "r1",
        "effect": "share",
        "to": "kind:supplier",
        "dataset": "forecast",
        "rows": "supplied_by_viewer",
    }
    base.update(fields)
    body = "\n".join(f"    {k}: {v}" for k, v in base.items())
    return f"rules:\n  - {body.lstrip()}\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (rule(dataset="salaries"), "p.yaml: rule r1: dataset: unknown dataset 'salaries'"),
        (rule(rows="everything"), "p.yaml: rule r1: rows: unknown row scope 'everything' for forecast"),
        (rule(fields="{stock: exact}"), "p.yaml: rule r1: fields.stock: forecast has no field 'stock'"),
        (rule(fields="{qty: {blur: 3}}"), "p.yaml: rule r1: fields.qty: unknown transform 'blur'"),
        (
            rule(fields="{qty: {round: {to: -5}}}"),
            "p.yaml: rule r1: fields.qty.round.to: -5 is not a positive step",
        ),
        (
            rule(fields="{qty: {mask: 4}}"),
            "p.yaml: rule r1: fields.qty: mask does not apply to a number field",
        ),
        (rule(fields="{qty: {band: {low: 10, ok: 5, high: null}}}"), "upper bounds must rise"),
        (rule(effect="allow"), "p.yaml: rule r1: effect: 'allow' is not one of share, ceiling, forbid"),
        (rule(to="kind:vendor"), "p.yaml: rule r1: to: 'kind:vendor' is not partner:CODE"),
        (rule(horizon="3 months"), "p.yaml: rule r1: horizon: '3 months' is not a number of weeks"),
        (
            rule(aggregate="{by: [sku, qty]}"),
            "p.yaml: rule r1: aggregate.by.qty: forecast cannot group by 'qty'; one of sku, item, uom, site",
        ),
        (
            rule(aggregate="{by: [sku], grain: fortnight}"),
            "p.yaml: rule r1: aggregate.grain: 'fortnight' is not one of week, month, quarter, all",
        ),
        (
            rule(aggregate="{by: [sku], min_group: 0}"),
            "p.yaml: rule r1: aggregate.min_group: 0 is not a whole number of rows, 1 or more",
        ),
        (
            rule(aggregate="{by: [sku], keep: [site]}"),
            "p.yaml: rule r1: aggregate.keep.site: a remainder can only keep a field the rows are grouped by",
        ),
        (
            rule(dataset="inventory", aggregate="{by: [sku]}"),
            "p.yaml: rule r1: aggregate: inventory has no quantities to sum, so it cannot be aggregated",
        ),
        (
            rule(dataset="consumption", rows="[supplied_by_viewer, key_account_demand]"),
            "p.yaml: rule r1: rows: key_account_demand picks rows out to forbid them",
        ),
        ("rules: [", "p.yaml: document: yaml: not valid YAML"),
        ("{}", "p.yaml: document: rules: the document needs a list of rules"),
    ],
)
def test_a_broken_rule_is_named_with_its_path_and_what_to_fix(text, message):
    assert any(p.startswith(message) or message in p for p in problems(text)), problems(text)


def test_two_unrankable_transforms_tied_at_the_same_specificity_do_not_validate():
    text = rule(fields="{qty: {round: {to: 10}}}") + (
        "  - id: r2\n    effect: share\n    to: kind:supplier\n    dataset: forecast\n"
        "    rows: supplied_by_viewer\n    fields: {qty: {band: {low: 10, high: null}}}\n"
    )
    (message,) = problems(text)
    assert message.startswith("p.yaml: rule r2: fields.qty: ties with rule r1")


def test_policy_check_exits_0_on_the_default_set_and_1_on_a_broken_file(tmp_path):
    ok = subprocess.run(
        [PORTAL, "policy", "check", str(SETS / "default.yaml")], capture_output=True, text=True
    )
    assert ok.returncode == 0
    doc = parse((SETS / "default.yaml").read_text(), "default.yaml")
    assert f"valid, {len(doc.rules)} rules, {len(doc.tests)} tests passed" in ok.stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text(rule(dataset="salaries"))
    bad = subprocess.run([PORTAL, "policy", "check", str(broken)], capture_output=True, text=True)
    assert bad.returncode == 1
    assert f"{broken}: rule r1: dataset: unknown dataset 'salaries'" in bad.stderr


def test_a_failing_policy_test_is_reported_with_expected_and_actual(tmp_path):
    text = rule(fields="{qty: {round: {to: 100}}}") + (
        "tests:\n  - as: {partner: SUP-9, kind: supplier}\n    dataset: forecast\n"
        "    given: {qty: 1234}\n    expect: {qty: 1234}\n"
    )
    doc = parse(text, "p.yaml")
    assert run_tests(doc, "p.yaml") == [
        "p.yaml: tests[0] as SUP-9 on forecast: qty expected 1234, got Decimal('1200')"
    ]
