"""Staff change a partner's groups and status; every change is an audit event."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from internal.models import AuditEvent, Partner, PartnerGroup, PartnerStatus


def update_partner(
    session: Session, *, actor_id: int, partner: Partner, group_names: Iterable[str], status: str
) -> bool:
    """Set the partner's groups and status; returns whether anything changed."""
    wanted = set(group_names)
    groups = list(session.scalars(select(PartnerGroup).where(PartnerGroup.name.in_(wanted))))
    unknown = wanted - {g.name for g in groups}
    if unknown:
        raise ValueError(f"unknown groups: {', '.join(sorted(unknown))}")
    before = {"groups": sorted(g.name for g in partner.groups), "status": partner.status.value}
    partner.groups = sorted(groups, key=lambda g: g.name)
    partner.status = PartnerStatus(status)
    after = {"groups": sorted(wanted), "status": status}
    if before == after:
        return False
    session.add(
        AuditEvent(
            account_id=actor_id,
            action="partner.updated",
            object_type="partner",
            object_id=partner.code,
            detail={"before": before, "after": after},
        )
    )
    session.flush()
    return True


def lock_partner_documents(session: Session, partner_id: int) -> None:
    """Hold the partner's row until the transaction ends, so its users' writes take turns.

    Two users of one supplier committing the same new week, or shipping the same line, would otherwise
    both read "nothing there yet" on PostgreSQL and collide. On SQLite the transaction began
    IMMEDIATE (internal/db.py), so writers already take turns and FOR UPDATE is not emitted.
    """
    session.execute(select(Partner.id).where(Partner.id == partner_id).with_for_update())
