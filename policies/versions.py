"""Policy versions: stored immutably by content hash; activation needs a second staff member's approval.

Every step is an audit event. Functions flush and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from internal import audit
from internal.models import Account, PolicyStatus, PolicyVersion, StaffRole, utcnow
from policies.figures import figure_conflicts
from policies.language import PolicyDocument, PolicyInvalid, Problem, parse

APPROVERS = (StaffRole.policy_admin, StaffRole.buyer)


class VersionRefused(ValueError):
    """The step is not allowed; the message says why."""


def _audit(
    session: Session, account_id: int | None, action: str, version: PolicyVersion, **detail: object
) -> None:
    audit.record(
        session,
        action,
        actor_id=account_id,
        object_type="policy_version",
        object_id=str(version.number),
        detail={"hash": version.content_hash, **detail},
    )


def propose(
    session: Session, text: str, *, author_id: int, comment: str = "", filename: str = "<policy>"
) -> PolicyVersion:
    """Store a new version after validating it and checking its figures (PolicyInvalid lists the problems).

    The same text is the same version: proposing it again returns the stored one.
    """
    doc = parse(text, filename)
    # A figure shown more finely in one dataset than another is a leak: such a version is never stored.
    if conflicts := figure_conflicts(doc):
        raise PolicyInvalid([Problem(filename, "", "figures", conflict) for conflict in conflicts])
    existing = session.scalar(select(PolicyVersion).where(PolicyVersion.content_hash == doc.content_hash))
    if existing is not None:
        return existing
    number = (session.scalar(select(func.max(PolicyVersion.number))) or 0) + 1
    version = PolicyVersion(
        number=number,
        content_hash=doc.content_hash,
        document=text,
        status=PolicyStatus.pending_approval,
        comment=comment,
        author_id=author_id,
    )
    session.add(version)
    session.flush()
    _audit(session, author_id, "policy.proposed", version, comment=comment)
    session.flush()
    return version


def approve(session: Session, version_id: int, *, approver_id: int) -> PolicyVersion:
    """A second staff member approves and activates; the previously active version retires."""
    version = session.get(PolicyVersion, version_id)
    approver = session.get(Account, approver_id)
    if version is None:
        raise VersionRefused("There is no such policy version.")
    if version.status is not PolicyStatus.pending_approval:
        raise VersionRefused(f"Version {version.number} is {version.status.value}, not waiting for approval.")
    if approver is None or not approver.is_staff or approver.staff_role not in APPROVERS:
        raise VersionRefused("Only a policy admin or a buyer may approve a policy version.")
    if approver_id == version.author_id:
        raise VersionRefused("The author cannot approve their own version: ask a second staff member.")
    version.approved_by_id, version.approved_at = approver_id, utcnow()
    _activate(session, version, approver_id, "policy.approved")
    return version


def rollback(session: Session, version_id: int, *, account_id: int) -> PolicyVersion:
    """Activate an earlier version that was approved before."""
    version = session.get(PolicyVersion, version_id)
    if version is None or version.approved_by_id is None:
        raise VersionRefused("Only a version that was approved before can be activated again.")
    _activate(session, version, account_id, "policy.rolled_back")
    return version


def _activate(session: Session, version: PolicyVersion, account_id: int, action: str) -> None:
    session.execute(
        update(PolicyVersion)
        .where(PolicyVersion.status == PolicyStatus.active, PolicyVersion.id != version.id)
        .values(status=PolicyStatus.retired)
    )
    version.status, version.activated_at = PolicyStatus.active, utcnow()
    _audit(session, account_id, action, version)
    session.flush()


_parsed: dict[str, PolicyDocument] = {}


@dataclass(frozen=True, slots=True)
class ActiveVersion:
    """Which version decides: what the gate and its ledger records name."""

    id: int
    number: int
    content_hash: str


# Built once: the gate asks on every disclosure, and building a statement costs more than running it.
_ACTIVE = select(PolicyVersion.id, PolicyVersion.number, PolicyVersion.content_hash).where(
    PolicyVersion.status == PolicyStatus.active
)
_DOCUMENT = select(PolicyVersion.document).where(PolicyVersion.id == bindparam("version_id"))


def active_version(session: Session) -> tuple[ActiveVersion, PolicyDocument] | None:
    """The active version and its parsed document, or None: one small query; the document is read and
    parsed once per content hash.
    """
    row = session.connection().execute(_ACTIVE).first()  # the Core path: asked on every page
    if row is None:
        return None
    doc = _parsed.get(row.content_hash)
    if doc is None:
        text = session.scalar(_DOCUMENT, {"version_id": row.id})
        doc = _parsed[row.content_hash] = parse(text or "", f"version {row.number}")
    return ActiveVersion(row.id, row.number, row.content_hash), doc


def active(session: Session) -> tuple[PolicyVersion, PolicyDocument] | None:
    """The active version and its parsed document (parsed once per content hash), or None."""
    version = session.scalar(select(PolicyVersion).where(PolicyVersion.status == PolicyStatus.active))
    if version is None:
        return None
    doc = _parsed.get(version.content_hash)
    if doc is None:
        doc = _parsed[version.content_hash] = parse(version.document, f"version {version.number}")
    return version, doc


def recent_versions(session: Session, *, limit: int = 50) -> list[PolicyVersion]:
    """The latest versions, newest first."""
    return list(session.scalars(select(PolicyVersion).order_by(PolicyVersion.number.desc()).limit(limit)))


def find_version(session: Session, number: int) -> PolicyVersion | None:
    """The version with this number, or None."""
    return session.scalar(select(PolicyVersion).where(PolicyVersion.number == number))


def active_row(session: Session) -> PolicyVersion | None:
    """The active version as stored (its document not parsed), or None when no version is active."""
    return session.scalar(select(PolicyVersion).where(PolicyVersion.status == PolicyStatus.active))
