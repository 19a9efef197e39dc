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
from policies.language import PolicyDocument
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


def explain_for_partner(
    session: Session, partner_code: str, dataset: str, *, policy: tuple[PolicyDocument, str] | None = None
) -> PartnerExplanation | None:
    """The treatment of ``dataset`` for a partner, field by field; None if there is no such partner.

    Under the active version, or under ``policy`` (a document and how to name it). Raises NoActiveVersion
    when no version is active and no document is given.
    """
    partner = session.scalar(
        select(Partner).where(Partner.code == partner_code).options(selectinload(Partner.groups))
    )
    if partner is None:
        return None
    if policy is None:
        current = versions.active(session)
        if current is None:
            raise NoActiveVersion("No sharing policy is active: partners see nothing.")
        doc, label = current[1], f"version {current[0].number}"
    else:
        doc, label = policy
    groups = frozenset(g.name for g in partner.groups)
    lines = explain(resolve(doc, dataset, partner.code, partner.kind.value, groups), label)
    return PartnerExplanation(partner.code, partner.kind.value, tuple(sorted(groups)), dataset, label, lines)
