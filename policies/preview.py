"""A partner's pages as they would be under a policy document: the active version or a draft.

Staff use it before approving a change. The gate decides exactly as for the partner, under the given
document, and writes no ledger record (nothing reached the partner); policies.versions.record_preview
audits the look as a staff read.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from internal.models import Partner, PartnerGroup
from policies.datasets import DATASETS
from policies.gate import Disclosure, Page, Under, Viewer, disclose
from policies.language import PolicyDocument
from policies.resolve import explain, resolve

#: The partner pages a preview shows, each with the datasets behind it (those of the partner's side).
PAGES: dict[str, tuple[str, ...]] = {
    "inventory": ("inventory",),
    "forecast": ("forecast",),
    "orders": ("purchase_orders", "orders"),
    "availability": ("availability",),
}


@dataclass(frozen=True)
class Section:
    """One dataset of the page: the rows as the partner would see them, and why each field is as it is."""

    dataset: str
    disclosure: Disclosure
    #: Field name to its explanation ("on_hand rounded down to 100 by rule x, draft 3.").
    why: dict[str, str]
    #: The dataset's fields the partner would not see, with the reason.
    hidden: tuple[tuple[str, str], ...]
    #: Lines that are about the whole dataset (nothing shown, horizon, sums).
    notes: tuple[str, ...]

    def treated(self, field: str) -> bool:
        """Whether the field's values are changed from the real ones (rounded, banded, ...)."""
        return any(c.name == field and c.treatment != "exact" for c in self.disclosure.columns)


@dataclass(frozen=True)
class PartnerPage:
    partner: str
    partner_name: str
    page: str
    under: str
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class PartnerChoice:
    code: str
    name: str
    kind: str


def partners(session: Session) -> list[PartnerChoice]:
    """Every partner, by code, for choosing whose pages to preview."""
    rows = session.execute(select(Partner.code, Partner.name, Partner.kind).order_by(Partner.code)).all()
    return [PartnerChoice(code, name, kind.value) for code, name, kind in rows]


def partner_profile(session: Session, code: str) -> tuple[str, frozenset[str]] | None:
    """A partner's kind and groups (what rules match it by), or None when there is no such partner."""
    partner = session.scalar(
        select(Partner).where(Partner.code == code).options(selectinload(Partner.groups))
    )
    if partner is None:
        return None
    return partner.kind.value, frozenset(g.name for g in partner.groups)


def targets(session: Session) -> list[str]:
    """Whom a rule can be for: each partner, each group, each kind, and anyone."""
    codes = session.scalars(select(Partner.code).order_by(Partner.code)).all()
    groups = session.scalars(select(PartnerGroup.name).order_by(PartnerGroup.name)).all()
    return [
        *(f"partner:{c}" for c in codes),
        *(f"group:{g}" for g in groups),
        "kind:supplier",
        "kind:customer",
        "any",
    ]


def pages_for(kind: str) -> list[str]:
    """The pages a partner of ``kind`` has."""
    return [page for page, datasets in PAGES.items() if _datasets(page, kind)]


def _datasets(page: str, kind: str) -> list[str]:
    return [d for d in PAGES[page] if kind in (DATASETS[d].audience, "both")]


def preview(
    session: Session, partner_code: str, page: str, document: PolicyDocument, label: str, size: int = 50
) -> PartnerPage | None:
    """``page`` of ``partner_code`` as ``document`` (named ``label``) would show it; None when the
    partner or the page does not exist for it. Writes no ledger record.
    """
    partner = session.scalar(
        select(Partner).where(Partner.code == partner_code).options(selectinload(Partner.groups))
    )
    if partner is None or page not in PAGES:
        return None
    kind, groups = partner.kind.value, frozenset(g.name for g in partner.groups)
    datasets = _datasets(page, kind)
    if not datasets:
        return None
    viewer = Viewer(None, partner.id, partner.code, kind, groups)
    under = Under(document, label)
    sections = []
    for name in datasets:
        disclosure = disclose(session, viewer, name, page=Page(size=size), under=under)
        resolution = resolve(document, name, partner.code, kind, groups)
        ds = DATASETS[name]
        lines = explain(resolution, label)
        if resolution.fields:
            per_field = dict(zip(ds.fields, lines, strict=False))
            notes = tuple(lines[len(ds.fields) :])
        else:
            per_field, notes = {}, tuple(lines)
        shown = {c.name for c in disclosure.columns}
        why = {c.name: c.explanation for c in disclosure.columns}
        hidden = tuple((f, per_field.get(f, "")) for f in ds.fields if f not in shown)
        sections.append(Section(name, disclosure, why, hidden, notes))
    return PartnerPage(partner.code, partner.name, page, label, tuple(sections))
