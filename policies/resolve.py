"""Precedence: which rules decide what one partner sees of one dataset, and why.

1. Nothing is shared unless a share rule shares it: rows and fields default to hidden.
2. A forbid removes its rows or fields (or the whole dataset) whatever else matches.
3. A ceiling caps how finely any share may disclose a field (and how far a horizon reaches).
4. Among share rules the most specific target wins (partner > group > kind > any); rules tied at
   that level share the union of their fields, each at the less disclosing transform, and only the
   rows every tied rule shares.
The result never depends on the order of the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from policies.datasets import DATASETS
from policies.language import PolicyDocument
from policies.transforms import Aggregate, Context, Transform, Unrankable, column, less_disclosing


@dataclass(frozen=True)
class Treatment:
    transform: Transform
    #: The rules behind it, in the order they apply: the deciding share, then any ceiling or forbid.
    rules: tuple[str, ...]


@dataclass(frozen=True)
class Resolution:
    dataset: str
    #: Visible fields only; a field not here is hidden.
    fields: Mapping[str, Treatment]
    #: Row scopes the shown rows meet, all of them (empty: no rows at all).
    row_scopes: frozenset[str]
    #: Each forbid's scopes: rows meeting all the scopes of any one of them are removed.
    forbidden_scopes: frozenset[frozenset[str]]
    horizon_weeks: int | None
    #: Why nothing is shown, when nothing is.
    nothing_because: str = ""
    #: Rows summed into groups, and the rules that asked for it.
    aggregate: Aggregate | None = None
    aggregate_rules: tuple[str, ...] = ()
    #: Fields a share would show but the aggregate sums away.
    summed_away: frozenset[str] = frozenset()

    def grouped(self, requested: Aggregate | None, why: str = "your view") -> Resolution:
        """The same resolution with rows grouped at least as coarsely as ``requested`` too."""
        if requested is None:
            return self
        rules = (*self.aggregate_rules, why) if self.aggregate is not None else (why,)
        return _with_aggregate(self, requested.meet(self.aggregate), rules)


def resolve(doc: PolicyDocument, dataset: str, partner: str, kind: str, groups: frozenset[str]) -> Resolution:
    """What ``partner`` (of ``kind``, in ``groups``) may see of ``dataset`` under ``doc``."""
    matching = [r for r in doc.rules if r.dataset == dataset and r.to.matches(partner, kind, groups)]
    shares = [r for r in matching if r.effect == "share"]
    forbids = [r for r in matching if r.effect == "forbid"]
    whole = [r for r in forbids if not r.rows and not r.fields]
    if whole:
        return _nothing(dataset, f"forbidden by rule {min(r.id for r in whole)}")
    if not shares:
        return _nothing(dataset, "no rule shares it with you")

    top = max(r.to.specificity for r in shares)
    deciding = sorted((r for r in shares if r.to.specificity == top), key=lambda r: r.id)
    fields: dict[str, Treatment] = {}
    for rule in deciding:
        for name, transform in rule.fields.items():
            current = fields.get(name)
            if current is None:
                fields[name] = Treatment(transform, (rule.id,))
                continue
            chosen = less_disclosing(current.transform, transform)
            fields[name] = Treatment(chosen, current.rules if chosen == current.transform else (rule.id,))
    horizons = [r.horizon_weeks for r in deciding if r.horizon_weeks is not None]
    horizon = min(horizons) if horizons else None

    for ceiling in sorted((r for r in matching if r.effect == "ceiling"), key=lambda r: r.id):
        for name, cap in ceiling.fields.items():
            current = fields.get(name)
            if current is None:
                continue
            try:
                chosen = less_disclosing(current.transform, cap)
            except Unrankable:
                chosen = cap  # a guardrail the share cannot be compared with: the guardrail holds
            if chosen != current.transform:
                fields[name] = Treatment(chosen, (*current.rules, ceiling.id))
        if ceiling.horizon_weeks is not None:
            horizon = min(horizon, ceiling.horizon_weeks) if horizon is not None else ceiling.horizon_weeks

    aggregate: Aggregate | None = None
    aggregate_rules: tuple[str, ...] = ()
    for rule in [*deciding, *sorted((r for r in matching if r.effect == "ceiling"), key=lambda r: r.id)]:
        if rule.aggregate is not None:
            aggregate = rule.aggregate.meet(aggregate)
            aggregate_rules = (*aggregate_rules, rule.id)

    for forbid in forbids:
        for name in forbid.fields:
            fields.pop(name, None)
    visible = {name: t for name, t in fields.items() if t.transform.kind != "hidden"}
    scopes = frozenset().union(*(r.rows for r in deciding))
    resolution = Resolution(
        dataset=dataset,
        fields=visible,
        row_scopes=scopes,
        forbidden_scopes=frozenset(r.rows for r in forbids if r.rows and not r.fields),
        horizon_weeks=horizon,
        nothing_because="" if scopes else "the rules that share it name no rows",
    )
    return _with_aggregate(resolution, aggregate, aggregate_rules) if aggregate is not None else resolution


def _with_aggregate(resolution: Resolution, aggregate: Aggregate, rules: tuple[str, ...]) -> Resolution:
    """Group only by shown fields (a hidden one would still split the rows); sum the rest away."""
    ds = DATASETS[resolution.dataset]
    aggregate = Aggregate(
        tuple(n for n in aggregate.by if n in resolution.fields),
        aggregate.grain,
        aggregate.min_group,
        tuple(n for n in aggregate.keep if n in resolution.fields),
    )
    kept = {*aggregate.by, *ds.measures}
    if aggregate.grain != "all" and ds.time_field is not None:
        kept.add(ds.time_field)
    fields = {name: t for name, t in resolution.fields.items() if name in kept}
    return Resolution(
        dataset=resolution.dataset,
        fields=fields,
        row_scopes=resolution.row_scopes,
        forbidden_scopes=resolution.forbidden_scopes,
        horizon_weeks=resolution.horizon_weeks,
        nothing_because=resolution.nothing_because,
        aggregate=aggregate,
        aggregate_rules=rules,
        summed_away=resolution.summed_away | frozenset(set(resolution.fields) - kept),
    )


def _nothing(dataset: str, because: str) -> Resolution:
    return Resolution(dataset, {}, frozenset(), frozenset(), None, because)


def explain(resolution: Resolution, version: str) -> list[str]:
    """One sentence per field of the dataset, as a business user reads it."""
    ds = DATASETS[resolution.dataset]
    if not resolution.fields:
        return [f"Nothing of {ds.name} is shown: {resolution.nothing_because}."]
    lines = []
    for name in ds.fields:
        treatment = resolution.fields.get(name)
        if treatment is None:
            if name in resolution.summed_away:
                lines.append(
                    f"{name} hidden: summed away by rule {' then '.join(resolution.aggregate_rules)}."
                )
            else:
                lines.append(f"{name} hidden: no rule shares it.")
            continue
        by = " then ".join(treatment.rules)
        lines.append(f"{name} {treatment.transform.describe()} by rule {by}, {version}.")
    if resolution.horizon_weeks is not None:
        lines.append(f"Only the next {resolution.horizon_weeks} weeks are shown.")
    if resolution.aggregate is not None:
        by = " then ".join(resolution.aggregate_rules)
        text = resolution.aggregate.describe()
        lines.append(f"{text[0].upper()}{text[1:]}, by rule {by}, {version}.")
    return lines


def apply_to_values(resolution: Resolution, given: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    """One row through the resolution: hidden fields come out as "hidden" (used by policy tests)."""
    out: dict[str, Any] = {}
    for name, value in given.items():
        treatment = resolution.fields.get(name)
        out[name] = "hidden" if treatment is None else column(treatment.transform, ctx)([value])[0]
    return out


def run_tests(doc: PolicyDocument, filename: str) -> list[str]:
    """The document's own tests; each failure says which test, which field, what was expected and got."""
    failures = []
    for n, test in enumerate(doc.tests):
        resolution = resolve(doc, test.dataset, test.partner, test.kind, test.groups)
        got = apply_to_values(resolution, test.given, Context())
        for name, expected in test.expect.items():
            actual = (
                got.get(name, "hidden")
                if name in test.given
                else ("hidden" if name not in resolution.fields else "shown")
            )
            if str(actual) != str(expected) and not _same_number(actual, expected):
                where = f"{filename}: tests[{n}] as {test.partner} on {test.dataset}"
                failures.append(f"{where}: {name} expected {expected!r}, got {actual!r}")
    return failures


def _same_number(a: Any, b: Any) -> bool:
    from decimal import Decimal, InvalidOperation

    try:
        return Decimal(str(a)) == Decimal(str(b))
    except InvalidOperation:
        return False
