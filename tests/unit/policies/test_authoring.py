"""The rule form's YAML: one rule written into a document, the rest left as typed."""

from __future__ import annotations

from policies import DEFAULT_SET
from policies.authoring import form_value, prefill, put_rule, transform_spec
from policies.language import parse

DEFAULT = DEFAULT_SET.read_text(encoding="utf-8")
FIELDS = {"sku": "exact", "on_hand": {"round": {"to": 100, "mode": "floor"}}}


def test_a_new_rule_goes_after_the_last_rule_and_keeps_every_comment():
    text = put_rule(
        DEFAULT, "sup-002-inventory", "partner:SUP-002", "inventory", ["supplied_by_viewer"], FIELDS
    )
    assert [line for line in DEFAULT.splitlines() if line.lstrip().startswith("#")] == [
        line for line in text.splitlines() if line.lstrip().startswith("#")
    ]
    doc = parse(text)
    assert doc.rules[-1].id == "sup-002-inventory"
    assert str(doc.rules[-1].to) == "partner:SUP-002"
    assert len(doc.tests) == len(parse(DEFAULT).tests)
    assert "    to: partner:SUP-002\n" in text


def test_a_rule_of_the_same_id_is_replaced_in_place():
    text = put_rule(
        DEFAULT, "suppliers-inventory", "kind:supplier", "inventory", ["supplied_by_viewer"], FIELDS
    )
    before, after = parse(DEFAULT), parse(text)
    assert [r.id for r in before.rules] == [r.id for r in after.rules]
    rule = next(r for r in after.rules if r.id == "suppliers-inventory")
    assert {n: t.describe() for n, t in rule.fields.items()} == {
        "sku": "shown exactly",
        "on_hand": "rounded down to 100",
    }
    # The comment above the next rule stays with it.
    assert "  # Stock is a trade secret" in text


def test_a_document_without_a_block_list_of_rules_is_written_out_again():
    text = put_rule("rules: []\n", "r", "any", "inventory", ["supplied_by_viewer"], {"sku": "exact"})
    (rule,) = parse(text).rules
    assert (rule.id, str(rule.to), rule.dataset) == ("r", "any", "inventory")


def test_the_form_reads_and_writes_transforms_as_yaml():
    doc = parse(DEFAULT)
    current = prefill(doc, "kind:supplier", "inventory")
    assert current["on_hand"] == ("band", "{out: 0, low: 100, ok: 1000, high: null}")
    assert prefill(doc, "partner:SUP-002", "inventory", "supplier", frozenset({"suppliers"}))["sku"] == (
        "exact",
        "",
    )
    assert transform_spec("round", "{to: 100, mode: floor}") == {"round": {"to": 100, "mode": "floor"}}
    assert transform_spec("exact", "ignored") == "exact"
    assert transform_spec("band", "{low: [") == {"band": "{low: ["}  # left for the validator to name
    rule = parse(DEFAULT).rules[0]
    assert form_value(rule.fields["number"]) == ("exact", "")
