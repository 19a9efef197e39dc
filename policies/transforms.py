"""Field transforms: how finely a value is disclosed, ranked so the less disclosing one can be chosen.

Each transform applies to a whole column at once (a list of values), which keeps the gate fast.
Two transforms are comparable when one is exact or hidden, or both are of the same family (two
roundings, two bands); otherwise they cannot be ranked and a policy tying them does not validate.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import hmac
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

HIDDEN = "hidden"
#: Which field types each transform accepts.
APPLIES_TO = {
    "exact": {"number", "date", "text", "site"},
    "hidden": {"number", "date", "text", "site"},
    "round": {"number"},
    "band": {"number"},
    "cap": {"number"},
    "generalize": {"date", "site"},
    "delay": {"date"},
    "mask": {"text"},
    "pseudonymize": {"text"},
}


class Unrankable(ValueError):
    """Two transforms of different families: neither is plainly less disclosing."""


@dataclass(frozen=True)
class Transform:
    kind: str
    #: round: (step, mode); band: ((upper bound or None, label), ...); cap: (limit,); generalize: (to,);
    #: delay: (days,); mask: (keep,); pseudonymize: (rotation,)
    params: tuple[Any, ...] = field(default=())

    def rank(self) -> tuple[str, float]:
        """(family, level): a higher level discloses more within a family."""
        match self.kind:
            case "exact":
                return ("*", math.inf)
            case "hidden":
                return ("*", -math.inf)
            case "round":
                return ("round", -float(self.params[0]))
            case "band":
                return ("band", float(len(self.params)))
            case "cap":
                return ("cap", float(self.params[0]))
            case "generalize":
                return ("generalize", {"region": 1.0, "month": 1.0, "week": 2.0}[self.params[0]])
            case "delay":
                return ("delay", -float(self.params[0]))
            case "mask":
                return ("mask", float(self.params[0]))
            case _:
                return ("pseudonymize", 0.0)

    def describe(self) -> str:
        """In words for a business user: "rounded down to 100", "shown as low / ok / high"."""
        match self.kind:
            case "exact":
                return "shown exactly"
            case "hidden":
                return "hidden"
            case "round":
                step, mode = self.params
                return f"rounded {'down to' if mode == 'floor' else 'to the nearest'} {_plain(step)}"
            case "band":
                return "shown as " + " / ".join(label for _upper, label in self.params)
            case "cap":
                return f"capped at {_plain(self.params[0])}"
            case "generalize":
                return {
                    "region": "shown as its region",
                    "week": "shown as its week",
                    "month": "shown as its month",
                }[self.params[0]]
            case "delay":
                return f"shown only when at least {self.params[0]} days old"
            case "mask":
                return f"masked but for the last {self.params[0]} characters"
            case _:
                return "replaced by a pseudonym that only you receive"


def less_disclosing(a: Transform, b: Transform) -> Transform:
    """The less disclosing of two transforms; ties of equal rank resolve by a fixed order (never by input)."""
    (family_a, level_a), (family_b, level_b) = a.rank(), b.rank()
    if family_a != family_b and "*" not in (family_a, family_b):
        raise Unrankable(f"{a.describe()} and {b.describe()} cannot be ranked")
    if level_a != level_b:
        return a if level_a < level_b else b
    return min(a, b, key=repr)


def _plain(value: Any) -> str:
    return f"{Decimal(str(value)).normalize():f}"


@dataclass(frozen=True)
class Context:
    """What some transforms need besides the values."""

    viewer_partner_id: int = 0
    secret: bytes = b""
    today: dt.date = dt.date(2000, 1, 1)
    regions: dict[str, str] = field(default_factory=dict)


def column(transform: Transform, ctx: Context) -> Callable[[Sequence[Any]], list[Any]]:
    """A function that transforms a whole column of values (None stays None)."""
    kind, p = transform.kind, transform.params
    if kind == "exact":
        return list
    if kind == "hidden":
        return lambda values: [None] * len(values)
    if kind == "round":
        step, mode = Decimal(str(p[0])), p[1]
        if mode == "floor":
            return lambda values: [None if v is None else (Decimal(v) // step) * step for v in values]
        return lambda values: [
            None if v is None else (Decimal(v) / step).quantize(Decimal(1), ROUND_HALF_UP) * step
            for v in values
        ]
    if kind == "band":
        uppers = [Decimal(str(u)) for u, _label in p if u is not None]
        labels = [label for _u, label in p]
        return lambda values: [
            None if v is None else labels[bisect.bisect_left(uppers, Decimal(v))] for v in values
        ]
    if kind == "cap":
        limit = Decimal(str(p[0]))
        return lambda values: [None if v is None else min(Decimal(v), limit) for v in values]
    if kind == "generalize":
        to = p[0]
        if to == "region":
            return lambda values: [None if v is None else ctx.regions.get(v, "?") for v in values]
        if to == "week":
            return lambda values: [None if v is None else v - dt.timedelta(days=v.weekday()) for v in values]
        return lambda values: [None if v is None else v.replace(day=1) for v in values]
    if kind == "delay":
        cutoff = ctx.today - dt.timedelta(days=int(p[0]))
        return lambda values: [None if v is None or _day(v) > cutoff else v for v in values]
    if kind == "mask":
        keep = int(p[0])
        return lambda values: [
            None if v is None else "•" * max(len(str(v)) - keep, 0) + str(v)[-keep:] for v in values
        ]
    key = hmac.new(
        ctx.secret, f"{ctx.viewer_partner_id}:{p[0] if p else ''}".encode(), hashlib.sha256
    ).digest()
    return lambda values: [
        None if v is None else "P-" + hmac.new(key, str(v).encode(), hashlib.sha256).hexdigest()[:10]
        for v in values
    ]


def _day(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


#: Time grains from finest to coarsest; "all" sums the time field away.
GRAINS = ("week", "month", "quarter", "all")


@dataclass(frozen=True)
class Aggregate:
    """Rows summed into groups: per the ``by`` fields and per time bucket of ``grain``.

    A group built from fewer than ``min_group`` rows is merged into a remainder group for its time
    bucket (and its values of the ``keep`` fields); its other ``by`` fields read "other". A remainder
    that is itself smaller than ``min_group`` is not shown.
    """

    by: tuple[str, ...]
    grain: str = "all"
    min_group: int = 1
    keep: tuple[str, ...] = ()

    def meet(self, other: Aggregate | None) -> Aggregate:
        """The finest aggregate that is at least as coarse as both: never discloses more than either."""
        if other is None:
            return self
        by = tuple(name for name in self.by if name in other.by)
        return Aggregate(
            by=by,
            grain=GRAINS[max(GRAINS.index(self.grain), GRAINS.index(other.grain))],
            min_group=max(self.min_group, other.min_group),
            keep=tuple(name for name in self.keep if name in other.keep and name in by),
        )

    def describe(self) -> str:
        per = ", ".join(self.by[:-1]) + " and " + self.by[-1] if len(self.by) > 1 else "".join(self.by)
        grain = "" if self.grain == "all" else f" per {self.grain}"
        text = f"rows are summed per {per}{grain}" if self.by else f"rows are summed together{grain}"
        if self.min_group > 1:
            text += f"; groups of fewer than {self.min_group} rows are merged into 'other'"
        return text
