"""The gate's explanations: codes and parameters taken from the policy, nothing when nothing is treated."""

from __future__ import annotations

from decimal import Decimal

from policies.explanations import Explanation, explanations
from policies.language import PolicyDocument, Rule, Target
from policies.resolve import resolve
from policies.transforms import Aggregate, Transform

EXACT = Transform("exact")


def forecast_rule(
    horizon: int | None = None, aggregate: Aggregate | None = None, **fields: Transform
) -> Rule:
    return Rule(
        "r",
        "share",
        Target("kind", "supplier"),
        "forecast",
        frozenset({"supplied_by_viewer"}),
        fields,
        horizon,
        aggregate,
    )


def notes(rule: Rule, dataset: str = "forecast") -> tuple[Explanation, ...]:
    return explanations(resolve(PolicyDocument((rule,), (), ""), dataset, "SUP-1", "supplier", frozenset()))


def test_fields_rounded_alike_are_named_together_with_the_step_and_the_horizon_follows():
    ten = Transform("round", (Decimal(10), "nearest"))
    found = notes(forecast_rule(12, sku=EXACT, week=EXACT, qty=ten, previous_qty=ten))
    assert found[0] == Explanation(
        "round.nearest", (("fields", ("qty", "previous_qty")), ("step", Decimal(10)))
    )
    assert found[-1] == Explanation("horizon", (("weeks", 12),))
    hidden = next(n for n in found if n.code == "hidden")
    assert "item" in hidden.values["fields"]
    assert "qty" not in hidden.values["fields"]


def test_band_limits_come_from_the_policy_as_label_lower_and_upper():
    band = Transform("band", ((Decimal(0), "out"), (Decimal(100), "low"), (None, "high")))
    rule = Rule(
        "inv", "share", Target("any"), "inventory", frozenset({"supplied_by_viewer"}), {"on_hand": band}
    )
    (treated, _hidden) = notes(rule, "inventory")
    assert treated.code == "band"
    assert treated.values == {
        "fields": ("on_hand",),
        "bands": (("out", None, Decimal(0)), ("low", Decimal(0), Decimal(100)), ("high", Decimal(100), None)),
    }


def test_a_partner_shown_every_field_exactly_gets_no_explanation():
    from policies.datasets import DATASETS

    everything = dict.fromkeys(DATASETS["forecast"].fields, EXACT)
    assert notes(forecast_rule(**everything)) == ()


def test_a_dataset_not_shared_says_so():
    rule = Rule(
        "po", "share", Target("any"), "purchase_orders", frozenset({"own_documents"}), {"number": EXACT}
    )
    assert notes(rule) == (Explanation("nothing", (("dataset", "forecast"),)),)


def test_the_agreements_aggregate_is_explained_but_a_grouping_the_viewer_asked_for_is_not():
    monthly = Aggregate(("sku",), "month", 3)
    fields = {"sku": EXACT, "week": EXACT, "qty": EXACT}
    found = notes(forecast_rule(aggregate=monthly, **fields))
    assert Explanation("aggregate", (("by", ("sku",)), ("grain", "month"), ("min_group", 3))) in found
    own = resolve(
        PolicyDocument((forecast_rule(**fields),), (), ""), "forecast", "SUP-1", "supplier", frozenset()
    )
    assert all(n.code != "aggregate" for n in explanations(own.grouped(Aggregate(("sku",), "month"))))
