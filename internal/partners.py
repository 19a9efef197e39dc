"""Partners as staff see them: find and list them; change their groups and status (each an audit event)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from internal.models import AuditEvent, Membership, Partner, PartnerGroup, PartnerKind, PartnerStatus

__all__ = [
    "Partner",
    "count_by_side",
    "find_partner",
    "get_partner",
    "group_names",
    "lock_partner_documents",
    "search_partners",
    "update_partner",
]


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


def search_partners(session: Session, text: str, *, page: int, page_size: int) -> tuple[list[Partner], int]:
    """One page of partners by code, whose code or name contains ``text`` (all when empty), with their
    groups; and how many match in all.
    """
    query = select(Partner).order_by(Partner.code)
    if text:
        like = f"%{text}%"
        query = query.where(or_(Partner.code.ilike(like), Partner.name.ilike(like)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.options(selectinload(Partner.groups)).limit(page_size).offset((page - 1) * page_size)
    ).all()
    return list(rows), total


def find_partner(session: Session, code: str) -> Partner | None:
    """The partner with this code, with its groups and its members' accounts, or None."""
    return session.scalar(
        select(Partner)
        .where(Partner.code == code)
        .options(
            selectinload(Partner.groups), selectinload(Partner.memberships).selectinload(Membership.account)
        )
    )


def get_partner(session: Session, partner_id: int) -> Partner | None:
    return session.get(Partner, partner_id)


def group_names(session: Session) -> list[str]:
    """Every partner group's name, in order."""
    return list(session.scalars(select(PartnerGroup.name).order_by(PartnerGroup.name)))


def count_by_side(session: Session) -> dict[str, int]:
    """How many partners supply and how many buy (a partner that does both counts on each side)."""
    kinds = dict(session.execute(select(Partner.kind, func.count()).group_by(Partner.kind)).all())
    return {
        "suppliers": kinds.get(PartnerKind.supplier, 0) + kinds.get(PartnerKind.both, 0),
        "customers": kinds.get(PartnerKind.customer, 0) + kinds.get(PartnerKind.both, 0),
    }
