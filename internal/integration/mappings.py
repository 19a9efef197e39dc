"""Code mappings, as staff edit them: one source code of one system to one portal code."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from internal.models import AuditEvent, CodeKind, CodeMapping, SourceSystem

__all__ = ["CodeKind", "SourceSystem", "all_mappings", "delete_mapping", "save_mapping"]


def save_mapping(
    session: Session,
    *,
    source_system: str,
    kind: str,
    source_code: str,
    canonical_code: str,
    account_id: int | None,
) -> CodeMapping:
    """Add the mapping, or change the portal code an existing source code maps to."""
    system, code_kind = SourceSystem(source_system), CodeKind(kind)
    source, canonical = source_code.strip(), canonical_code.strip()
    mapping = session.scalar(
        select(CodeMapping).where(
            CodeMapping.source_system == system,
            CodeMapping.kind == code_kind,
            CodeMapping.source_code == source,
        )
    )
    if mapping is None:
        mapping = CodeMapping(source_system=system, kind=code_kind, source_code=source)
        session.add(mapping)
    mapping.canonical_code, mapping.updated_by_id = canonical, account_id
    session.add(
        AuditEvent(
            account_id=account_id,
            action="code_mapping.saved",
            object_type="code_mapping",
            object_id=f"{system.value}:{code_kind.value}:{source}",
            detail={"canonical_code": canonical},
        )
    )
    session.flush()
    return mapping


def delete_mapping(session: Session, mapping_id: int, *, account_id: int | None) -> bool:
    mapping = session.get(CodeMapping, mapping_id)
    if mapping is None:
        return False
    session.add(
        AuditEvent(
            account_id=account_id,
            action="code_mapping.deleted",
            object_type="code_mapping",
            object_id=f"{mapping.source_system.value}:{mapping.kind.value}:{mapping.source_code}",
            detail={"canonical_code": mapping.canonical_code},
        )
    )
    session.delete(mapping)
    session.flush()
    return True


def all_mappings(session: Session) -> list[CodeMapping]:
    """Every mapping, by source system, code kind and source code."""
    return list(
        session.scalars(
            select(CodeMapping).order_by(CodeMapping.source_system, CodeMapping.kind, CodeMapping.source_code)
        )
    )
