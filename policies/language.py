"""The sharing-policy language: YAML documents of rules and tests, validated against the datasets.

Every problem is reported with the file, the rule id and the path inside the rule, so a policy admin
can act on it; a document with any problem is not valid and never activates.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from sqlalchemy import Date, DateTime, Integer, Numeric, TypeDecorator

from policies.datasets import DATASETS, Dataset
from policies.transforms import APPLIES_TO, GRAINS, Aggregate, Transform

EFFECTS = ("share", "ceiling", "forbid")
KINDS = ("supplier", "customer")
#: partner > group > kind > any.
SPECIFICITY = {"partner": 3, "group": 2, "kind": 1, "any": 0}
TARGET = re.compile(r"^(?:(partner|group|kind):([A-Za-z0-9_.-]+)|any)$")


@dataclass(frozen=True)
class Problem:
    file: str
    rule: str
    path: str
    message: str
    #: The line of the document the problem is on (1-based), where it can be found.
    line: int | None = None

    def __str__(self) -> str:
        where = f"rule {self.rule}" if self.rule else "document"
        return f"{self.file}: {where}: {self.path}: {self.message}"


class PolicyInvalid(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Target:
    level: str
    value: str = ""

    @property
    def specificity(self) -> int:
        return SPECIFICITY[self.level]

    def matches(self, partner_code: str, partner_kind: str, groups: frozenset[str]) -> bool:
        match self.level:
            case "partner":
                return self.value == partner_code
            case "group":
                return self.value in groups
            case "kind":
                return partner_kind in (self.value, "both")
            case _:
                return True

    def __str__(self) -> str:
        return "any" if self.level == "any" else f"{self.level}:{self.value}"


@dataclass(frozen=True)
class Rule:
    id: str
    effect: str
    to: Target
    dataset: str
    #: The row scopes named; a share shares the rows meeting all of them, a forbid removes them.
    rows: frozenset[str]
    #: share and ceiling: field to transform; forbid: the fields removed (transform hidden).
    fields: Mapping[str, Transform]
    #: Forecast horizon in weeks, where given.
    horizon_weeks: int | None = None
    #: Rows summed into groups (share and ceiling), where given.
    aggregate: Aggregate | None = None


@dataclass(frozen=True)
class PolicyTest:
    partner: str
    kind: str
    groups: frozenset[str]
    dataset: str
    given: Mapping[str, Any]
    expect: Mapping[str, Any]


@dataclass(frozen=True)
class PolicyDocument:
    rules: tuple[Rule, ...]
    tests: tuple[PolicyTest, ...]
    text: str = field(repr=False)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def field_type(ds: Dataset, name: str) -> str:
    """number, date or text, read from the SQL type of the dataset's expression; site codes are "site"."""
    if name in ("site", "deliver_to", "ship_from"):
        return "site"
    sql_type = ds.fields[name].type
    if isinstance(sql_type, TypeDecorator):  # e.g. a UTC timestamp or a sum in cents: judge by what it stores
        sql_type = sql_type.impl_instance
    if isinstance(sql_type, Integer | Numeric):
        return "number"
    if isinstance(sql_type, Date | DateTime):
        return "date"
    return "text"


def parse(text: str, filename: str = "<policy>") -> PolicyDocument:
    """Parse and validate a policy document; PolicyInvalid lists every problem found."""
    problems: list[Problem] = []

    def problem(rule: str, path: str, message: str) -> None:
        problems.append(Problem(filename, rule, path, message))

    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise PolicyInvalid([Problem(filename, "", "yaml", f"not valid YAML: {error}", line)]) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("rules"), list):
        raise PolicyInvalid([Problem(filename, "", "rules", "the document needs a list of rules")])
    for key in set(raw) - {"rules", "tests"}:
        problem("", key, "unknown key; a document has rules and tests")

    rules: list[Rule] = []
    seen_ids: set[str] = set()
    for n, item in enumerate(raw["rules"]):
        rule = _rule(item, n, problem)
        if rule is None:
            continue
        if rule.id in seen_ids:
            problem(rule.id, "id", "two rules have this id")
        seen_ids.add(rule.id)
        rules.append(rule)
    _check_ties(rules, problem)
    tests = [t for n, item in enumerate(raw.get("tests") or []) if (t := _test(item, n, problem)) is not None]
    if problems:
        raise PolicyInvalid(_located(problems, text))
    return PolicyDocument(tuple(rules), tuple(tests), text)


def _rule(item: Any, n: int, problem: Any) -> Rule | None:
    if not isinstance(item, dict):
        problem(f"#{n + 1}", "", "a rule is a mapping")
        return None
    rid = str(item.get("id") or f"#{n + 1}")
    if "id" not in item:
        problem(rid, "id", "every rule needs an id")
    for key in set(item) - {"id", "effect", "to", "dataset", "rows", "fields", "horizon", "aggregate"}:
        problem(rid, key, "unknown key")
    effect = item.get("effect")
    if effect not in EFFECTS:
        problem(rid, "effect", f"{effect!r} is not one of {', '.join(EFFECTS)}")
    to = _target(item.get("to"))
    if to is None:
        problem(
            rid, "to", f"{item.get('to')!r} is not partner:CODE, group:NAME, kind:supplier|customer or any"
        )
    ds = DATASETS.get(str(item.get("dataset")))
    if ds is None:
        problem(
            rid, "dataset", f"unknown dataset {item.get('dataset')!r}; known: {', '.join(sorted(DATASETS))}"
        )
        return None
    raw_rows = item.get("rows")
    named = [] if raw_rows is None else raw_rows if isinstance(raw_rows, list) else [raw_rows]
    rows = frozenset(str(name) for name in named)
    for name in named:
        if name not in ds.scopes:
            problem(rid, "rows", f"unknown row scope {name!r} for {ds.name}; allowed: {', '.join(ds.scopes)}")
        elif effect == "share" and name in ds.forbid_only:
            problem(rid, "rows", f"{name} picks rows out to forbid them; a share cannot share by it")
    if effect == "share" and not rows:
        problem(rid, "rows", "a share rule names the rows it shares")
    aggregate = None
    if "aggregate" in item:
        if effect == "forbid":
            problem(rid, "aggregate", "a forbid removes rows or fields; only share and ceiling aggregate")
        else:
            aggregate = _aggregate(item["aggregate"], ds, rid, problem)
    fields: dict[str, Transform] = {}
    raw_fields = item.get("fields") or {}
    if effect == "forbid":
        names = raw_fields if isinstance(raw_fields, list) else list(raw_fields)
        for name in names:
            if name not in ds.fields:
                problem(rid, f"fields.{name}", f"{ds.name} has no field {name!r}")
            else:
                fields[name] = Transform("hidden")
    elif not isinstance(raw_fields, dict):
        problem(rid, "fields", "fields map each field name to a transform")
    else:
        for name, spec in raw_fields.items():
            if name not in ds.fields:
                problem(
                    rid, f"fields.{name}", f"{ds.name} has no field {name!r}; known: {', '.join(ds.fields)}"
                )
                continue
            transform = _transform(spec, f"fields.{name}", rid, problem)
            if transform is None:
                continue
            kind = field_type(ds, name)
            if kind not in APPLIES_TO[transform.kind]:
                problem(rid, f"fields.{name}", f"{transform.kind} does not apply to a {kind} field")
                continue
            fields[name] = transform
    horizon = item.get("horizon")
    horizon_weeks = None
    if horizon is not None:
        match = re.fullmatch(r"(\d+)w", str(horizon))
        if not match:
            problem(rid, "horizon", f"{horizon!r} is not a number of weeks like 12w")
        else:
            horizon_weeks = int(match.group(1))
    if effect not in EFFECTS or to is None:
        return None
    return Rule(rid, effect, to, ds.name, rows, fields, horizon_weeks, aggregate)


def _aggregate(spec: Any, ds: Dataset, rid: str, problem: Any) -> Aggregate | None:
    if not ds.measures:
        problem(rid, "aggregate", f"{ds.name} has no quantities to sum, so it cannot be aggregated")
        return None
    if not isinstance(spec, dict):
        problem(rid, "aggregate", "aggregate is a mapping: {by: [fields], grain: month, min_group: 3}")
        return None
    ok = True
    for key in set(spec) - {"by", "grain", "min_group", "keep"}:
        problem(rid, f"aggregate.{key}", "unknown key; aggregate has by, grain, min_group and keep")
        ok = False
    by, keep = spec.get("by") or [], spec.get("keep") or []
    groupable = [n for n in ds.fields if n not in ds.measures and n != ds.time_field]
    for key, names in (("by", by), ("keep", keep)):
        if not isinstance(names, list):
            problem(rid, f"aggregate.{key}", "a list of field names")
            return None
        for name in names:
            if name not in groupable:
                problem(
                    rid,
                    f"aggregate.{key}.{name}",
                    f"{ds.name} cannot group by {name!r}; one of {', '.join(groupable)}",
                )
                ok = False
            elif key == "keep" and name not in by:
                problem(
                    rid, f"aggregate.keep.{name}", "a remainder can only keep a field the rows are grouped by"
                )
                ok = False
    grain = spec.get("grain", "all")
    if grain not in GRAINS:
        problem(rid, "aggregate.grain", f"{grain!r} is not one of {', '.join(GRAINS)}")
        ok = False
    elif grain != "all" and ds.time_field is None:
        problem(rid, "aggregate.grain", f"{ds.name} has no date to bucket; use grain: all")
        ok = False
    min_group = spec.get("min_group", 1)
    if not isinstance(min_group, int) or isinstance(min_group, bool) or min_group < 1:
        problem(rid, "aggregate.min_group", f"{min_group!r} is not a whole number of rows, 1 or more")
        ok = False
    if not ok:
        return None
    return Aggregate(tuple(str(n) for n in by), str(grain), int(min_group), tuple(str(n) for n in keep))


def _target(value: Any) -> Target | None:
    match = TARGET.fullmatch(str(value)) if value is not None else None
    if match is None:
        return None
    if match.group(1) is None:
        return Target("any")
    if match.group(1) == "kind" and match.group(2) not in KINDS:
        return None
    return Target(match.group(1), match.group(2))


def _number(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _transform(spec: Any, path: str, rid: str, problem: Any) -> Transform | None:
    if spec in ("exact", "hidden", "pseudonymize"):
        return Transform(spec)
    if not isinstance(spec, dict) or len(spec) != 1:
        problem(
            rid,
            path,
            f"{spec!r} is not a transform (exact, hidden, or a mapping like {{round: {{to: 100}}}})",
        )
        return None
    ((kind, arg),) = spec.items()
    match kind:
        case "round":
            arg = arg if isinstance(arg, dict) else {"to": arg}
            step, mode = _number(arg.get("to")), arg.get("mode", "floor")
            if step is None or step <= 0:
                problem(rid, f"{path}.round.to", f"{arg.get('to')!r} is not a positive step")
            elif mode not in ("floor", "nearest"):
                problem(rid, f"{path}.round.mode", f"{mode!r} is not floor or nearest")
            else:
                return Transform("round", (step, mode))
        case "band":
            if not isinstance(arg, dict) or len(arg) < 2:
                problem(
                    rid,
                    f"{path}.band",
                    "a band maps at least two labels to their upper bounds, the last null",
                )
                return None
            bands = list(arg.items())
            uppers = [_number(u) for _label, u in bands[:-1]]
            if any(u is None for u in uppers) or bands[-1][1] is not None:
                problem(rid, f"{path}.band", "every upper bound is a number except the last, which is null")
            elif uppers != sorted(uppers):  # type: ignore[type-var]
                problem(rid, f"{path}.band", "upper bounds must rise from one label to the next")
            else:
                return Transform(
                    "band",
                    tuple((u, str(label)) for (label, _), u in zip(bands, [*uppers, None], strict=True)),
                )
        case "cap":
            limit = _number(arg)
            if limit is None:
                problem(rid, f"{path}.cap", f"{arg!r} is not a number")
            else:
                return Transform("cap", (limit,))
        case "generalize":
            if arg not in ("region", "week", "month"):
                problem(rid, f"{path}.generalize", f"{arg!r} is not region, week or month")
            else:
                return Transform("generalize", (arg,))
        case "delay":
            match = re.fullmatch(r"(\d+)d", str(arg))
            if not match:
                problem(rid, f"{path}.delay", f"{arg!r} is not a number of days like 2d")
            else:
                return Transform("delay", (int(match.group(1)),))
        case "mask":
            keep = arg.get("keep") if isinstance(arg, dict) else arg
            if not isinstance(keep, int) or keep < 0:
                problem(rid, f"{path}.mask", f"{keep!r} is not a number of characters to keep")
            else:
                return Transform("mask", (keep,))
        case "pseudonymize":
            return Transform("pseudonymize", (str(arg),))
        case _:
            problem(rid, path, f"unknown transform {kind!r}")
    return None


def _check_ties(rules: list[Rule], problem: Any) -> None:
    """Two share rules for the same target level, dataset and field whose transforms cannot be ranked."""
    from policies.transforms import Unrankable, less_disclosing

    seen: dict[tuple[str, str, str, str], Rule] = {}
    for rule in rules:
        if rule.effect != "share":
            continue
        for name, transform in rule.fields.items():
            key = (rule.dataset, rule.to.level, rule.to.value, name)
            other = seen.get(key)
            if other is not None:
                try:
                    less_disclosing(transform, other.fields[name])
                except Unrankable as error:
                    problem(rule.id, f"fields.{name}", f"ties with rule {other.id} and {error}")
            seen.setdefault(key, rule)


def _test(item: Any, n: int, problem: Any) -> PolicyTest | None:
    where = f"tests[{n}]"
    if not isinstance(item, dict) or not isinstance(item.get("as"), dict):
        problem("", where, "a test has as: {partner, kind, groups}, dataset, given and expect")
        return None
    who = item["as"]
    if who.get("kind") not in (*KINDS, "both") or not who.get("partner"):
        problem("", f"{where}.as", "name the partner and its kind (supplier, customer or both)")
        return None
    ds = DATASETS.get(str(item.get("dataset")))
    if ds is None:
        problem("", f"{where}.dataset", f"unknown dataset {item.get('dataset')!r}")
        return None
    given, expect = item.get("given") or {}, item.get("expect") or {}
    for key, mapping in (("given", given), ("expect", expect)):
        for name in mapping:
            if name not in ds.fields:
                problem("", f"{where}.{key}.{name}", f"{ds.name} has no field {name!r}")
    return PolicyTest(
        str(who["partner"]), str(who["kind"]), frozenset(who.get("groups") or ()), ds.name, given, expect
    )


def _located(problems: list[Problem], text: str) -> list[Problem]:
    """The problems with the line each is on, found by walking the document's YAML nodes."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return problems
    return [replace(p, line=_line_of(root, p)) for p in problems]


def _child(node: Any, name: str) -> tuple[Any, int] | None:
    """The node under ``name`` in a mapping (by key) or a sequence (by value or index), with its line."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == name:
                return value, key.start_mark.line
    elif isinstance(node, yaml.SequenceNode):
        for n, item in enumerate(node.value):
            if (isinstance(item, yaml.ScalarNode) and item.value == name) or name == str(n):
                return item, item.start_mark.line
    return None


def _line_of(root: Any, problem: Problem) -> int | None:
    """The line ``problem`` points at: its rule, then as deep along its path as the document goes."""
    node, line = root, None
    steps = [s for s in re.split(r"[.\[\]]+", problem.path) if s]
    if problem.rule:
        found = _child(root, "rules")
        if found is None:
            return None
        rules, line = found
        match = re.fullmatch(r"#(\d+)", problem.rule)
        for n, item in enumerate(rules.value if isinstance(rules, yaml.SequenceNode) else []):
            found_id = _child(item, "id")
            named = found_id is not None and getattr(found_id[0], "value", None) == problem.rule
            if named or (match is not None and n == int(match.group(1)) - 1):
                node, line = item, item.start_mark.line
                break
        else:
            return line + 1
    for step in steps:
        found = _child(node, step)
        if found is None:
            break
        node, line = found
    return None if line is None else line + 1
