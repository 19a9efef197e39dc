"""What changed between two policy documents: rule by rule in words, and line by line."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from policies.language import PolicyInvalid, Rule, parse


@dataclass(frozen=True)
class RuleChange:
    rule: str
    #: added, removed or changed.
    change: str
    #: What differs, one line each: "fields.on_hand: shown as out / low / ok / high -> rounded down to 100".
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocumentDiff:
    rules: tuple[RuleChange, ...]
    #: A unified diff of the two texts.
    lines: tuple[str, ...]
    #: Why the rules could not be compared (a side does not validate), or "".
    rules_unreadable: str = ""

    @property
    def identical(self) -> bool:
        return not self.lines


def compare(old: str, new: str, old_name: str = "before", new_name: str = "after") -> DocumentDiff:
    """The rules added, removed and changed from ``old`` to ``new``, and the lines that differ."""
    lines = tuple(
        line.rstrip("\n")
        for line in difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), old_name, new_name, n=2
        )
    )
    try:
        before, after = parse(old, old_name), parse(new, new_name)
    except PolicyInvalid as invalid:
        return DocumentDiff((), lines, str(invalid))
    old_rules, new_rules = {r.id: r for r in before.rules}, {r.id: r for r in after.rules}
    changes = [RuleChange(rid, "removed") for rid in old_rules if rid not in new_rules]
    for rid, rule in new_rules.items():
        previous = old_rules.get(rid)
        if previous is None:
            changes.append(RuleChange(rid, "added", _summary(rule)))
        elif previous != rule:
            changes.append(RuleChange(rid, "changed", _differences(previous, rule)))
    return DocumentDiff(tuple(sorted(changes, key=lambda c: c.rule)), lines)


def _summary(rule: Rule) -> tuple[str, ...]:
    head = f"{rule.effect} {rule.dataset} to {rule.to}"
    if rule.rows:
        head += f", rows {', '.join(sorted(rule.rows))}"
    return (head, *(f"fields.{name}: {t.describe()}" for name, t in rule.fields.items()))


def _differences(old: Rule, new: Rule) -> tuple[str, ...]:
    found = []
    for label, a, b in (
        ("effect", old.effect, new.effect),
        ("to", str(old.to), str(new.to)),
        ("dataset", old.dataset, new.dataset),
        ("rows", ", ".join(sorted(old.rows)), ", ".join(sorted(new.rows))),
        ("horizon", _weeks(old.horizon_weeks), _weeks(new.horizon_weeks)),
        (
            "aggregate",
            old.aggregate.describe() if old.aggregate else "none",
            new.aggregate.describe() if new.aggregate else "none",
        ),
    ):
        if a != b:
            found.append(f"{label}: {a or 'none'} -> {b or 'none'}")
    for name in [*old.fields, *(n for n in new.fields if n not in old.fields)]:
        was, becomes = old.fields.get(name), new.fields.get(name)
        if was != becomes:
            said = [t.describe() if t is not None else "not listed" for t in (was, becomes)]
            found.append(f"fields.{name}: {said[0]} -> {said[1]}")
    return tuple(found)


def _weeks(weeks: int | None) -> str:
    return "none" if weeks is None else f"{weeks}w"
