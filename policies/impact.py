"""The impact of a policy change before it is approved: per partner and dataset, the rows a partner
would gain or lose and the fields it would see differently, counted on the real data.

Nothing here is a disclosure: the gate's counting runs with no ledger record (policies.gate).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from internal.models import Partner, PartnerStatus
from policies.datasets import DATASETS
from policies.gate import Viewer, count_resolved, keys_resolved
from policies.language import PolicyDocument
from policies.resolve import Resolution, resolve
from policies.transforms import Transform


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class Impact:
    """What one partner would see differently of one dataset."""

    partner: str
    dataset: str
    rows_before: int
    rows_after: int
    gained: int
    lost: int
    fields: tuple[FieldChange, ...]
    #: Rows shown before and after whose fields change treatment.
    rows_changed: int

    def __str__(self) -> str:
        parts = []
        if self.gained or self.lost:
            parts.append(f"{self.gained} rows gained, {self.lost} rows lost")
        if self.fields:
            changed = ", ".join(f"{f.field} {f.before} -> {f.after}" for f in self.fields)
            parts.append(f"{changed}, {self.rows_changed} rows")
        return f"{self.partner} {self.dataset}: {'; '.join(parts)}"


def short(transform: Transform | None) -> str:
    """A transform in two or three words, for a list of changes: "banded", "rounded to 100"."""
    if transform is None:
        return "hidden"
    match transform.kind:
        case "round":
            step = transform.params[0]
            return f"rounded to {step.normalize():f}" if hasattr(step, "normalize") else f"rounded to {step}"
        case "band":
            return "banded"
        case "cap":
            return f"capped at {transform.params[0]}"
        case "generalize":
            return f"generalized to {transform.params[0]}"
        case "delay":
            return f"delayed {transform.params[0]}d"
        case "mask":
            return f"masked to the last {transform.params[0]}"
        case "pseudonymize":
            return "pseudonymized"
        case kind:
            return str(kind)


def impact(session: Session, draft: PolicyDocument, current: PolicyDocument | None) -> list[Impact]:
    """Every active partner's changes, by partner code then dataset; empty when nobody sees anything else.

    ``current`` is what decides today (None: no policy is active, so nobody sees anything).
    """
    partners = session.scalars(
        select(Partner)
        .where(Partner.status == PartnerStatus.active)
        .options(selectinload(Partner.groups))
        .order_by(Partner.code)
    ).all()
    found = []
    for partner in partners:
        groups = frozenset(g.name for g in partner.groups)
        viewer = Viewer(None, partner.id, partner.code, partner.kind.value, groups)
        for name in sorted(DATASETS):
            after = resolve(draft, name, partner.code, viewer.partner_kind, groups)
            before = (
                resolve(current, name, partner.code, viewer.partner_kind, groups)
                if current is not None
                else Resolution(name, {}, frozenset(), frozenset(), None, "no policy is active")
            )
            changed = _weigh(session, viewer, before, after)
            if changed is not None:
                found.append(changed)
    return found


def _transforms(resolution: Resolution) -> dict[str, Transform]:
    if not resolution.row_scopes:
        return {}
    return {name: t.transform for name, t in resolution.fields.items()}


def _weigh(session: Session, viewer: Viewer, before: Resolution, after: Resolution) -> Impact | None:
    ds = DATASETS[after.dataset]
    old, new = _transforms(before), _transforms(after)
    fields = tuple(
        FieldChange(name, short(old.get(name)), short(new.get(name)))
        for name in ds.fields
        if old.get(name) != new.get(name)
    )
    same_rows = (before.row_scopes, before.forbidden_scopes, before.horizon_weeks, before.aggregate) == (
        after.row_scopes,
        after.forbidden_scopes,
        after.horizon_weeks,
        after.aggregate,
    ) and bool(old) == bool(new)
    if same_rows and not fields:
        return None
    if same_rows:
        rows = count_resolved(session, viewer, after)
        if not rows:
            return None  # a field treated differently on no rows changes nothing this partner sees
        return Impact(viewer.partner_code, ds.name, rows, rows, 0, 0, fields, rows)
    if before.aggregate is not None or after.aggregate is not None:
        rows_before, rows_after = (
            count_resolved(session, viewer, before),
            count_resolved(session, viewer, after),
        )
        gained, lost = max(rows_after - rows_before, 0), max(rows_before - rows_after, 0)
        kept = min(rows_before, rows_after)
    else:
        keys_before, keys_after = (
            keys_resolved(session, viewer, before),
            keys_resolved(session, viewer, after),
        )
        rows_before, rows_after = len(keys_before), len(keys_after)
        gained, lost = len(keys_after - keys_before), len(keys_before - keys_after)
        kept = len(keys_before & keys_after)
    if not gained and not lost and not (fields and kept):
        return None
    return Impact(viewer.partner_code, ds.name, rows_before, rows_after, gained, lost, fields, kept)
