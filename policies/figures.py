"""One enterprise figure, shown alike everywhere: no dataset may undo another's rounding.

Datasets declare which enterprise figure a field derives from (``Dataset.derived_from``). A policy that
shows the same figure to the same partner more finely in one dataset than in another (a finer transform,
further ahead, or at finer sites) discloses the finer one everywhere: the coarser rule protects nothing.
``figure_conflicts`` finds such pairs for every kind of partner the document's rules can tell apart.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from policies.datasets import DATASETS
from policies.language import PolicyDocument
from policies.resolve import Resolution, resolve
from policies.transforms import Transform, Unrankable, less_disclosing

KINDS = ("supplier", "customer", "both")
#: Beyond this many groups in the rules, profiles take each group alone rather than every combination.
MAX_GROUP_COMBINATIONS = 8


@dataclass(frozen=True)
class Showing:
    """How one partner is shown a figure in one dataset."""

    dataset: str
    field: str
    transform: Transform
    horizon_weeks: int | None
    #: Whether the figure is per week here (a horizon limits only such datasets).
    weekly: bool
    site: Transform | None
    rules: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{self.dataset}.{self.field} (rule {', '.join(self.rules)})"


def _profiles(doc: PolicyDocument) -> Iterator[tuple[str, str, frozenset[str]]]:
    """(partner code, kind, groups) for every combination the rules' targets can tell apart."""
    codes = [*sorted({r.to.value for r in doc.rules if r.to.level == "partner"}), ""]
    groups = sorted({r.to.value for r in doc.rules if r.to.level == "group"})
    if len(groups) <= MAX_GROUP_COMBINATIONS:
        sets = [frozenset(c) for n in range(len(groups) + 1) for c in itertools.combinations(groups, n)]
    else:
        sets = [frozenset(), *(frozenset({g}) for g in groups), frozenset(groups)]
    yield from itertools.product(codes, KINDS, sets)


def _showings(resolution: Resolution) -> Iterator[tuple[str, Showing]]:
    ds = DATASETS[resolution.dataset]
    if not resolution.row_scopes:
        return
    site = resolution.fields.get("site")
    for name, figure in ds.derived_from.items():
        treatment = resolution.fields.get(name)
        if treatment is None:
            continue
        weekly = "week" in ds.fields
        yield (
            figure,
            Showing(
                ds.name,
                name,
                treatment.transform,
                resolution.horizon_weeks if weekly else None,
                weekly,
                site.transform if site else None,
                treatment.rules,
            ),
        )


def _finer(a: Transform, b: Transform) -> bool | None:
    """True when ``a`` discloses more than ``b``; None when the two cannot be compared."""
    if a == b:
        return False
    try:
        return less_disclosing(a, b) == b
    except Unrankable:
        return None


def _reach(horizon: int | None) -> float:
    return float("inf") if horizon is None else float(horizon)


def _conflict(a: Showing, b: Showing) -> str | None:
    """Why ``a`` shows its figure beyond ``b``, or None when it does not."""
    finer = _finer(a.transform, b.transform)
    if finer is None:
        return f"{a.transform.describe()} and {b.transform.describe()} cannot be compared"
    if finer:
        return f"{a.transform.describe()} against {b.transform.describe()}"
    if a.weekly and b.weekly and _reach(a.horizon_weeks) > _reach(b.horizon_weeks):
        ahead = "with no horizon" if a.horizon_weeks is None else f"{a.horizon_weeks} weeks ahead"
        return f"{ahead} against {b.horizon_weeks} weeks ahead"
    if a.site is not None and b.site is not None and _finer(a.site, b.site):
        return f"per site {a.site.describe()} against {b.site.describe()}"
    return None


def figure_conflicts(doc: PolicyDocument) -> list[str]:
    """Each figure shown more finely in one dataset than another to the same partner, naming both rules."""
    found: dict[tuple[str, str, str], str] = {}
    for code, kind, groups in _profiles(doc):
        by_figure: dict[str, list[Showing]] = {}
        for dataset in DATASETS:
            for figure, showing in _showings(resolve(doc, dataset, code or "ANY-PARTNER", kind, groups)):
                by_figure.setdefault(figure, []).append(showing)
        for figure, showings in by_figure.items():
            for a, b in itertools.permutations(showings, 2):
                why = _conflict(a, b)
                key = (figure, a.where, b.where)
                if why is None or key in found or (figure, b.where, a.where) in found:
                    continue
                who = f"partner {code}" if code else f"a {kind}"
                who += f" in {', '.join(sorted(groups))}" if groups else " in no group"
                found[key] = (
                    f"{figure} is shown to {who} by {a.where} more finely than by {b.where}: {why}. "
                    "Show it alike in both, or the coarser rule protects nothing."
                )
    return sorted(found.values())
