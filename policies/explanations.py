"""What a partner's agreement does to the data they see, as message codes with parameters.

The gate has no Flask and speaks no language: it says *what* is treated (``round.nearest`` on
``qty`` and ``previous_qty`` with step 10; ``horizon`` of 12 weeks), and the web layer words it in
the reader's language (internal/web/explanations.py). Fields that are shown exactly say nothing: a
partner who sees everything gets no explanations at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from policies.datasets import DATASETS
from policies.resolve import Resolution
from policies.transforms import Transform

#: The rule name a viewer's own grouping (e.g. a monthly view) goes by; it is not the agreement's doing.
OWN_VIEW = "your view"


@dataclass(frozen=True, slots=True)
class Explanation:
    """One thing the agreement does: ``Explanation("round.nearest", (("fields", ("qty",)), ("step", 10)))``.

    Codes: ``round.nearest``/``round.floor`` (fields, step), ``band`` (fields, bands: (label, lower,
    upper) each, None for open ends), ``cap`` (fields, limit), ``generalize.region``/``.week``/``.month``
    (fields), ``delay`` (fields, days), ``mask`` (fields, keep), ``pseudonymize`` (fields), ``hidden``
    (fields), ``horizon`` (weeks), ``aggregate`` (by, grain, min_group), ``nothing`` (dataset).
    """

    code: str
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def values(self) -> dict[str, Any]:
        return dict(self.params)


def _code_and_params(transform: Transform) -> tuple[str, tuple[tuple[str, Any], ...]]:
    p = transform.params
    match transform.kind:
        case "round":
            return f"round.{'floor' if p[1] == 'floor' else 'nearest'}", (("step", p[0]),)
        case "band":
            bands, lower = [], None
            for upper, label in p:
                bands.append((label, lower, upper))
                lower = upper
            return "band", (("bands", tuple(bands)),)
        case "cap":
            return "cap", (("limit", p[0]),)
        case "generalize":
            return f"generalize.{p[0]}", ()
        case "delay":
            return "delay", (("days", int(p[0])),)
        case "mask":
            return "mask", (("keep", int(p[0])),)
        case _:
            return transform.kind, ()


def explanations(resolution: Resolution) -> tuple[Explanation, ...]:
    """What ``resolution`` does to the dataset, in the dataset's field order; empty when nothing is treated.

    Fields treated alike are named together; hidden fields are named together; a horizon and an
    aggregate the agreement asks for follow. A grouping only the viewer asked for is not mentioned.
    """
    ds = DATASETS[resolution.dataset]
    if not resolution.fields or not resolution.row_scopes:
        return (Explanation("nothing", (("dataset", ds.name),)),)
    treated: dict[tuple[str, tuple[tuple[str, Any], ...]], list[str]] = {}
    hidden: list[str] = []
    for name in ds.fields:
        treatment = resolution.fields.get(name)
        if treatment is None:
            if name not in resolution.summed_away:
                hidden.append(name)
            continue
        if treatment.transform.kind == "exact":
            continue
        treated.setdefault(_code_and_params(treatment.transform), []).append(name)
    found = [
        Explanation(code, (("fields", tuple(fields)), *params)) for (code, params), fields in treated.items()
    ]
    if hidden:
        found.append(Explanation("hidden", (("fields", tuple(hidden)),)))
    if resolution.horizon_weeks is not None and "week" in ds.fields:
        found.append(Explanation("horizon", (("weeks", resolution.horizon_weeks),)))
    aggregate = resolution.aggregate
    if aggregate is not None and any(rule != OWN_VIEW for rule in resolution.aggregate_rules):
        found.append(
            Explanation(
                "aggregate",
                (("by", aggregate.by), ("grain", aggregate.grain), ("min_group", aggregate.min_group)),
            )
        )
    return tuple(found)
