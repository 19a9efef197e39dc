"""The editor's form view: one share rule (a target, a dataset, a transform per field) written into a
policy document as YAML, the rest of the document (its comments too) left as it was typed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import yaml

from policies.datasets import DATASETS
from policies.language import TARGET, PolicyDocument
from policies.resolve import resolve
from policies.transforms import APPLIES_TO, Transform

#: What the form offers per field; "hidden" leaves the field out of the rule.
TRANSFORM_KINDS = ("hidden", "exact", "round", "band", "cap", "generalize", "delay", "mask", "pseudonymize")
#: What each transform's parameter looks like, as a hint beside the field.
EXAMPLES = {
    "round": "{to: 100, mode: floor}",
    "band": "{low: 100, ok: 1000, high: null}",
    "cap": "500",
    "generalize": "region",
    "delay": "2d",
    "mask": "4",
}


def kinds_for(dataset: str, field: str) -> list[str]:
    """The transforms that apply to ``field`` of ``dataset``."""
    from policies.language import field_type

    kind = field_type(DATASETS[dataset], field)
    return [k for k in TRANSFORM_KINDS if kind in APPLIES_TO[k]]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def form_value(transform: Transform | None) -> tuple[str, str]:
    """A transform as the form shows it: its kind and its parameter in YAML ("{to: 100, mode: floor}")."""
    if transform is None or transform.kind == "hidden":
        return "hidden", ""
    params = transform.params
    match transform.kind:
        case "round":
            arg: Any = {"to": _plain(params[0]), "mode": params[1]}
        case "band":
            arg = {label: _plain(upper) for upper, label in params}
        case "pseudonymize":
            return "pseudonymize", str(params[0]) if params else ""
        case "exact":
            return "exact", ""
        case _:
            arg = _plain(params[0])
            if transform.kind == "delay":
                arg = f"{arg}d"
    return transform.kind, flow(arg)


def flow(value: Any) -> str:
    """``value`` in YAML flow style on one line."""
    return str(yaml.safe_dump([value], default_flow_style=True, width=10**6, sort_keys=False)).strip()[1:-1]


def transform_spec(kind: str, param: str) -> Any:
    """The YAML value of a field for ``kind`` and the typed parameter (checked when the document parses)."""
    if kind in ("exact", "hidden") or (kind == "pseudonymize" and not param.strip()):
        return kind
    try:
        arg = yaml.safe_load(param) if param.strip() else None
    except yaml.YAMLError:
        arg = param
    return {kind: arg}


def prefill(
    doc: PolicyDocument, target: str, dataset: str, kind: str = "", groups: frozenset[str] = frozenset()
) -> dict[str, tuple[str, str]]:
    """Each field's transform as ``target`` sees ``dataset`` today: a partner's resolved view, or the
    share rule written for that group or kind. Fields not listed are hidden.
    """
    if target.startswith("partner:") and kind:
        resolution = resolve(doc, dataset, target.split(":", 1)[1], kind, groups)
        if resolution.row_scopes:
            return {name: form_value(t.transform) for name, t in resolution.fields.items()}
        return {}
    for rule in doc.rules:
        if rule.effect == "share" and rule.dataset == dataset and str(rule.to) == target:
            return {name: form_value(t) for name, t in rule.fields.items()}
    return {}


def rule_block(
    rule_id: str, target: str, dataset: str, rows: list[str], fields: dict[str, Any], indent: int = 2
) -> list[str]:
    """The lines of one share rule as a block sequence item, ``indent`` spaces before its dash."""
    pad = " " * indent
    lines = [
        f"{pad}- id: {flow(rule_id)}",
        f"{pad}  effect: share",
        f"{pad}  to: {target if TARGET.fullmatch(target) else flow(target)}",
        f"{pad}  dataset: {flow(dataset)}",
        f"{pad}  rows: {flow(rows[0] if len(rows) == 1 else rows)}",
        f"{pad}  fields:",
    ]
    lines += [f"{pad}    {name}: {flow(spec)}" for name, spec in fields.items()]
    if not fields:
        lines[-1] += " {}"
    return lines


def put_rule(
    text: str, rule_id: str, target: str, dataset: str, rows: list[str], fields: dict[str, Any]
) -> str:
    """``text`` with the rule ``rule_id`` replaced by the one given, or the rule added after the last
    rule. Everything else, comments included, stays as typed.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        root = None
    rules = None
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if getattr(key, "value", None) == "rules" and isinstance(value, yaml.SequenceNode):
                rules = value
    if rules is None or not rules.value or rules.flow_style:
        # No block list of rules to write into: the document is written out again in full.
        raw = yaml.safe_load(text) if root is not None else None
        raw = raw if isinstance(raw, dict) else {}
        listed = [r for r in raw.get("rules") or [] if not (isinstance(r, dict) and r.get("id") == rule_id)]
        rule = {
            "id": rule_id,
            "effect": "share",
            "to": target,
            "dataset": dataset,
            "rows": rows[0] if len(rows) == 1 else rows,
            "fields": fields,
        }
        return str(yaml.safe_dump({**raw, "rules": [*listed, rule]}, sort_keys=False, allow_unicode=True))
    lines = text.splitlines()
    items = rules.value
    indent = max(items[0].start_mark.column - 2, 0)
    block = rule_block(rule_id, target, dataset, rows, fields, indent)
    starts = [item.start_mark.line for item in items]
    ends = [*starts[1:], rules.end_mark.line if rules.end_mark.column == 0 else rules.end_mark.line + 1]
    for n, item in enumerate(items):
        found = next((v for k, v in getattr(item, "value", []) if getattr(k, "value", None) == "id"), None)
        if getattr(found, "value", None) == rule_id:
            end = _trimmed(lines, starts[n], ends[n])
            return "\n".join([*lines[: starts[n]], *block, *lines[end:]]) + "\n"
    end = _trimmed(lines, starts[-1], ends[-1])
    return "\n".join([*lines[:end], "", *block, *lines[end:]]) + "\n"


def _trimmed(lines: list[str], start: int, end: int) -> int:
    """Where an item's own lines end: comments and blank lines before the next item belong to it."""
    end = min(end, len(lines))
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return end
