"""Precedence, and the properties that make a policy safe to edit (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from policies.language import PolicyDocument, Rule, Target
from policies.resolve import explain, resolve
from policies.transforms import GRAINS, Aggregate, Transform

FIELDS = ("sku", "site", "week", "qty", "previous_qty")
TARGETS = [
    Target("any"),
    Target("kind", "supplier"),
    Target("group", "strategic"),
    Target("partner", "SUP-1"),
]
QTY = [
    Transform("exact"),
    Transform("round", (Decimal(10), "floor")),
    Transform("round", (Decimal(100), "floor")),
]


def doc(*rules: Rule) -> PolicyDocument:
    return PolicyDocument(tuple(rules), (), "")


def share(rid: str, to: Target, **fields: Transform) -> Rule:
    return Rule(rid, "share", to, "forecast", frozenset({"supplied_by_viewer"}), fields)


def seen(d: PolicyDocument) -> dict[str, tuple[str, float]]:
    """What the viewer SUP-1 (a strategic supplier) sees: each visible field's family and level."""
    r = resolve(d, "forecast", "SUP-1", "supplier", frozenset({"strategic"}))
    return {name: t.transform.rank() for name, t in r.fields.items()} if r.row_scopes else {}


def at_most(a: dict[str, tuple[str, float]], b: dict[str, tuple[str, float]]) -> bool:
    """a discloses no more than b: no field b hides, and no field finer than in b."""
    return all(name in b and (b[name][0] != a[name][0] or a[name][1] <= b[name][1]) for name in a)


rules = st.builds(
    share,
    st.sampled_from(["a", "b", "c", "d"]),
    st.sampled_from(TARGETS),
    qty=st.sampled_from(QTY),
    sku=st.just(Transform("exact")),
)


def test_the_most_specific_target_wins_and_the_explanation_says_which_rule():
    d = doc(
        share("everyone", Target("kind", "supplier"), qty=QTY[2], sku=Transform("exact")),
        share("sup-1", Target("partner", "SUP-1"), qty=QTY[0]),
    )
    r = resolve(d, "forecast", "SUP-1", "supplier", frozenset())
    assert r.fields["qty"].transform == QTY[0]
    assert "sku" not in r.fields  # the winning rule does not share it
    assert "qty shown exactly by rule sup-1, version 3." in explain(r, "version 3")
    other = resolve(d, "forecast", "SUP-2", "supplier", frozenset())
    assert "qty rounded down to 100 by rule everyone, version 3." in explain(other, "version 3")


def test_nothing_is_shared_without_a_share_and_a_forbid_removes_everything():
    assert seen(doc()) == {}
    forbid = Rule("no", "forbid", Target("any"), "forecast", frozenset(), {})
    assert seen(doc(share("a", Target("any"), qty=QTY[0]), forbid)) == {}


def test_a_ceiling_caps_a_finer_share_and_is_named_in_the_explanation():
    ceiling = Rule("cap", "ceiling", Target("any"), "forecast", frozenset(), {"qty": QTY[2]})
    r = resolve(
        doc(share("a", TARGETS[3], qty=QTY[0]), ceiling), "forecast", "SUP-1", "supplier", frozenset()
    )
    assert r.fields["qty"].transform == QTY[2]
    assert r.fields["qty"].rules == ("a", "cap")


@settings(max_examples=150, deadline=None)
@given(st.lists(rules, min_size=1, max_size=5), st.sampled_from(TARGETS), st.sampled_from(QTY))
def test_adding_a_forbid_or_a_ceiling_never_discloses_more(base, target, cap):
    before = seen(doc(*base))
    forbid = Rule("zz-forbid", "forbid", target, "forecast", frozenset(), {"qty": Transform("hidden")})
    ceiling = Rule("zz-ceiling", "ceiling", target, "forecast", frozenset(), {"qty": cap})
    assert at_most(seen(doc(*base, forbid)), before)
    assert at_most(seen(doc(*base, ceiling)), before)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(rules, min_size=1, max_size=5).flatmap(lambda rs: st.tuples(st.just(rs), st.permutations(rs)))
)
def test_the_order_of_rules_never_matters(pair):
    original, shuffled = pair
    assert seen(doc(*original)) == seen(doc(*shuffled))
    assert explain(
        resolve(doc(*original), "forecast", "SUP-1", "supplier", frozenset({"strategic"})), "v"
    ) == explain(resolve(doc(*shuffled), "forecast", "SUP-1", "supplier", frozenset({"strategic"})), "v")


AGGREGATES = [
    None,
    Aggregate(("sku", "site"), "week"),
    Aggregate(("sku", "site"), "month", 3, ("sku",)),
    Aggregate(("sku",), "quarter", 2),
    Aggregate((), "all"),
]


def grouping(d: PolicyDocument) -> tuple[frozenset[str], int, int, frozenset[str]]:
    """How finely SUP-1's forecast rows are grouped: by which fields, grain, minimum size; visible fields."""
    r = resolve(d, "forecast", "SUP-1", "supplier", frozenset({"strategic"}))
    fields = frozenset(r.fields)
    if r.aggregate is None:
        return frozenset(("sku", "site", "week", "*")), -1, 1, fields
    return frozenset(r.aggregate.by), GRAINS.index(r.aggregate.grain), r.aggregate.min_group, fields


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(rules, st.sampled_from(AGGREGATES)), min_size=1, max_size=4),
    st.sampled_from(TARGETS),
    st.sampled_from(AGGREGATES[1:]),
)
def test_an_aggregate_ceiling_never_groups_more_finely(base, target, cap):
    shares = [
        Rule(r.id, r.effect, r.to, r.dataset, r.rows, {**r.fields, "week": Transform("exact")}, None, agg)
        for r, agg in base
    ]
    before_by, before_grain, before_min, before_fields = grouping(doc(*shares))
    ceiling = Rule("zz-ceiling", "ceiling", target, "forecast", frozenset(), {}, None, cap)
    by, grain, min_group, fields = grouping(doc(*shares, ceiling))
    assert by <= before_by
    assert grain >= before_grain
    assert min_group >= before_min
    assert fields <= before_fields


def test_an_aggregate_sums_fields_away_and_the_explanation_says_so():
    rule = Rule(
        "monthly",
        "share",
        Target("kind", "supplier"),
        "forecast",
        frozenset({"supplied_by_viewer"}),
        {"sku": Transform("exact"), "site": Transform("exact"), "week": Transform("exact"), "qty": QTY[1]},
        None,
        Aggregate(("sku",), "month", 3),
    )
    r = resolve(doc(rule), "forecast", "SUP-1", "supplier", frozenset())
    assert set(r.fields) == {"sku", "week", "qty"}
    lines = explain(r, "version 2")
    assert "site hidden: summed away by rule monthly." in lines
    assert (
        "Rows are summed per sku per month; groups of fewer than 3 rows are merged into 'other', "
        "by rule monthly, version 2." in lines
    )
