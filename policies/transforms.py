"""Field transforms: how finely a value is disclosed, ranked so the less disclosing one can be chosen.

Each transform applies to a whole column at once (a list of values), which keeps the gate fast.
Two transforms are comparable when one is exact or hidden, or both are of the same family and one is
plainly coarser (a rounding to a larger step, a band whose bounds are a subset of the other's);
otherwise they cannot be ranked and a policy tying them does not validate.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

HIDDEN = "hidden"
#: Which field types each transform accepts.
APPLIES_TO: dict[str, frozenset[str]] = {
    "exact": frozenset({"number", "date", "datetime", "text", "site"}),
    "hidden": frozenset({"number", "date", "datetime", "text", "site"}),
    "round": frozenset({"number"}),
    "band": frozenset({"number"}),
    "cap": frozenset({"number"}),
    "generalize": frozenset({"date", "datetime", "site"}),
    "delay": frozenset({"date", "datetime"}),
    "mask": frozenset({"text"}),
    "pseudonymize": frozenset({"text", "site"}),
}
#: What each generalization applies to.
GENERALIZE_TO = {"region": "site", "week": "date", "month": "date"}
ONE = Decimal(1)


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

    @property
    def token(self) -> str:
        """A short, stable name for the ledger and pages: "round:100:floor", "band:out/low/ok/high"."""
        if self.kind == "band":
            return "band:" + "/".join(label for _upper, label in self.params)
        return ":".join([self.kind, *(_plain(p) for p in self.params)])

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
                return f"shown only once at least {self.params[0]} days old"
            case "mask":
                return f"masked but for the last {self.params[0]} characters"
            case _:
                return "replaced by a pseudonym only you receive"


def less_disclosing(a: Transform, b: Transform) -> Transform:
    """The less disclosing of two transforms; equal ranks resolve by a fixed order (never by input order).

    Raises Unrankable when neither is plainly coarser than the other.
    """
    (family_a, level_a), (family_b, level_b) = a.rank(), b.rank()
    if family_a != family_b and "*" not in (family_a, family_b):
        raise Unrankable(f"{a.describe()} and {b.describe()} cannot be ranked")
    if family_a == family_b == "band" and a != b:
        bounds_a, bounds_b = _bounds(a), _bounds(b)
        if bounds_a <= bounds_b:
            return a
        if bounds_b <= bounds_a:
            return b
        raise Unrankable(f"{a.describe()} and {b.describe()} band at different bounds and cannot be ranked")
    if family_a == family_b == "generalize" and a != b and level_a == level_b:
        raise Unrankable(f"{a.describe()} and {b.describe()} cannot be ranked")
    if level_a != level_b:
        return a if level_a < level_b else b
    return min(a, b, key=repr)


def _bounds(band: Transform) -> frozenset[Decimal]:
    return frozenset(Decimal(str(u)) for u, _label in band.params if u is not None)


def _plain(value: Any) -> str:
    if isinstance(value, Decimal | int | float):
        return f"{Decimal(str(value)).normalize():f}"
    return str(value)


@dataclass(frozen=True)
class Context:
    """What some transforms need besides the values."""

    viewer_partner_id: int = 0
    secret: bytes = b""
    today: dt.date = dt.date(2000, 1, 1)
    regions: dict[str, str] = field(default_factory=dict)


Column = Callable[[Sequence[Any]], list[Any]]


def _number(v: Any) -> Decimal:
    return v if isinstance(v, Decimal) else Decimal(str(v))


def column(transform: Transform, ctx: Context) -> Column:
    """A function that transforms a whole column of values (None stays None)."""
    kind, p = transform.kind, transform.params
    if kind == "exact":
        return list
    if kind == "hidden":
        return lambda values: [None] * len(values)
    if kind == "round":
        return _round(Decimal(str(p[0])), p[1])
    if kind == "band":
        uppers = [Decimal(str(u)) for u, _label in p if u is not None]
        labels = [label for _u, label in p]
        find = bisect.bisect_left
        return lambda values: [None if v is None else labels[find(uppers, _number(v))] for v in values]
    if kind == "cap":
        limit = Decimal(str(p[0]))
        return lambda values: [None if v is None else min(_number(v), limit) for v in values]
    if kind == "generalize":
        return _generalize(p[0], ctx)
    if kind == "delay":
        cutoff = ctx.today - dt.timedelta(days=int(p[0]))
        return lambda values: [None if v is None or _day(v) > cutoff else v for v in values]
    if kind == "mask":
        keep = int(p[0])
        return lambda values: [None if v is None else _mask(str(v), keep) for v in values]
    return _pseudonymize(str(p[0]) if p else "1", ctx)


def _round(step: Decimal, mode: str) -> Column:
    rounding = ROUND_FLOOR if mode == "floor" else ROUND_HALF_UP
    if step == step.to_integral_value():
        # Integral steps: quantize to whole units of the step, no float in between.
        def apply(values: Sequence[Any]) -> list[Any]:
            out: list[Any] = []
            append = out.append
            for v in values:
                if v is None:
                    append(None)
                else:
                    append((_number(v) / step).quantize(ONE, rounding) * step)
            return out

        return apply
    return lambda values: [
        None if v is None else (_number(v) / step).quantize(ONE, rounding) * step for v in values
    ]


def _generalize(to: str, ctx: Context) -> Column:
    if to == "region":
        regions = ctx.regions
        return lambda values: [None if v is None else regions.get(v, "unknown region") for v in values]
    if to == "week":
        return lambda values: [
            None if v is None else _day(v) - dt.timedelta(days=_day(v).weekday()) for v in values
        ]
    return lambda values: [None if v is None else _day(v).replace(day=1) for v in values]


def _mask(text: str, keep: int) -> str:
    shown = text[-keep:] if keep else ""
    return "•" * max(len(text) - keep, 0) + shown


def _pseudonymize(rotation: str, ctx: Context) -> Column:
    # One key per viewing partner and rotation: two partners get unrelated pseudonyms for the same value.
    key = hashlib.blake2b(
        f"{ctx.viewer_partner_id}:{rotation}".encode(), key=ctx.secret[:64], digest_size=32
    ).digest()
    memo: dict[Any, str] = {}

    def one(value: Any) -> str:
        found = memo.get(value)
        if found is None:
            digest = hashlib.blake2b(str(value).encode(), key=key, digest_size=5).hexdigest()
            found = memo[value] = f"P-{digest.upper()}"
        return found

    return lambda values: [None if v is None else one(v) for v in values]


def _day(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value
