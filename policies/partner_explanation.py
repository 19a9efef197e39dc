"""What a partner sees of a dataset under the active version, field by field, and which rule decides.

The answer ``portal policy explain`` prints and the console's Explain page shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from internal.models import Partner
from policies import versions
from policies.resolve import explain, resolve


class NoActiveVersion(LookupError):
    """No sharing policy is active, so there is nothing to explain (partners see nothing)."""


@dataclass(frozen=True)
class PartnerExplanation:
    """What ``portal policy explain`` prints: who the partner is to the policy, then a line per field."""

    partner_code: str
    kind: str
    groups: tuple[str, ...]
    dataset: str
    version: str
    lines: Sequence[str]


def explain_for_partner(session: Session, partner_code: str, dataset: str) -> PartnerExplanation | None:
    """The active version's treatment of ``dataset`` for a partner, field by field; None if no partner.

    Raises NoActiveVersion when no version is active.
    """
    partner = session.scalar(
        select(Partner).where(Partner.code == partner_code).options(selectinload(Partner.groups))
    )
    if partner is None:
        return None
    current = versions.active(session)
    if current is None:
        raise NoActiveVersion("No sharing policy is active: partners see nothing.")
    version, doc = current
    groups = frozenset(g.name for g in partner.groups)
    label = f"version {version.number}"
    lines = explain(resolve(doc, dataset, partner.code, partner.kind.value, groups), label)
    return PartnerExplanation(partner.code, partner.kind.value, tuple(sorted(groups)), dataset, label, lines)
