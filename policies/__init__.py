"""The disclosure gate: everything a partner sees passes through ``disclose``. No Flask here."""

from pathlib import Path

from sqlalchemy.orm import Session

from policies.gate import (
    Column,
    Count,
    Disclosure,
    Page,
    PolicyUnavailable,
    Under,
    UnknownDataset,
    UnknownFilter,
    Viewer,
    as_shown,
    count,
    disclose,
    horizon_weeks,
)
from policies.transforms import Aggregate

__all__ = [
    "DEFAULT_SET",
    "Aggregate",
    "Column",
    "Count",
    "Disclosure",
    "Page",
    "PolicyUnavailable",
    "Under",
    "UnknownDataset",
    "UnknownFilter",
    "Viewer",
    "as_shown",
    "count",
    "disclose",
    "horizon_weeks",
    "load_demo_policy",
]

DEFAULT_SET = Path(__file__).parent / "sets" / "default.yaml"


def load_demo_policy(session: Session, author_email: str, approver_email: str) -> None:
    """Store the shipped default set, approved by a second staff member, and activate it."""
    from sqlalchemy import select

    from internal.models import Account
    from policies import versions

    ids = dict(session.execute(select(Account.email, Account.id).where(Account.is_staff)).all())
    author_id, approver_id = ids[author_email], ids[approver_email]
    version = versions.propose(
        session,
        DEFAULT_SET.read_text(encoding="utf-8"),
        author_id=author_id,
        comment="the shipped default set",
    )
    versions.approve(session, version.id, approver_id=approver_id)
