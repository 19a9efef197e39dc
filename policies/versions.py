"""Policy versions: stored immutably by content hash; activation needs a second staff member's approval.

Every step is an audit event. Functions flush and never commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session, aliased

from internal import audit
from internal.models import (
    Account,
    Partner,
    PolicyDraft,
    PolicyRollback,
    PolicyStatus,
    PolicyVersion,
    StaffRole,
    utcnow,
)
from policies.figures import figure_conflicts
from policies.language import PolicyDocument, PolicyInvalid, Problem, parse

APPROVERS = (StaffRole.policy_admin, StaffRole.buyer)
#: Who writes drafts and proposes versions and rollbacks.
AUTHORS = (StaffRole.policy_admin,)


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


def may_approve(session: Session, account_id: int) -> bool:
    """Whether the account's role lets it approve versions and rollbacks (those it did not propose)."""
    return _has_role(session, account_id, APPROVERS)


def _has_role(session: Session, account_id: int, roles: tuple[StaffRole, ...]) -> bool:
    account = session.get(Account, account_id)
    return account is not None and account.is_staff and account.staff_role in roles


def propose_rollback(
    session: Session, version_id: int, *, account_id: int, comment: str = ""
) -> PolicyRollback:
    """Ask to make an earlier, once-approved version active again; a second person approves it.

    Asking again for the same version returns the proposal already waiting.
    """
    version = session.get(PolicyVersion, version_id)
    if not _has_role(session, account_id, AUTHORS):
        raise VersionRefused("Only a policy admin may propose a rollback.")
    if version is None or version.approved_by_id is None:
        raise VersionRefused("Only a version that was approved before can be activated again.")
    if version.status is PolicyStatus.active:
        raise VersionRefused(f"Version {version.number} is already active.")
    waiting = session.scalar(
        select(PolicyRollback).where(
            PolicyRollback.version_id == version_id, PolicyRollback.approved_at.is_(None)
        )
    )
    if waiting is not None:
        return waiting
    proposal = PolicyRollback(version_id=version_id, comment=comment, proposed_by_id=account_id)
    session.add(proposal)
    session.flush()
    _audit(session, account_id, "policy.rollback_proposed", version, comment=comment, rollback=proposal.id)
    session.flush()
    return proposal


def approve_rollback(session: Session, rollback_id: int, *, approver_id: int) -> PolicyVersion:
    """A second staff member approves a rollback: its version becomes active, the active one retires."""
    proposal = session.get(PolicyRollback, rollback_id)
    if proposal is None or proposal.approved_at is not None:
        raise VersionRefused("There is no such rollback waiting for approval.")
    version = session.get(PolicyVersion, proposal.version_id)
    assert version is not None
    if version.status is PolicyStatus.active:
        raise VersionRefused(f"Version {version.number} is already active.")
    if not may_approve(session, approver_id):
        raise VersionRefused("Only a policy admin or a buyer may approve a rollback.")
    if approver_id == proposal.proposed_by_id:
        raise VersionRefused("Whoever proposed the rollback cannot approve it: ask a second staff member.")
    proposal.approved_by_id, proposal.approved_at = approver_id, utcnow()
    _activate(session, version, approver_id, "policy.rolled_back", rollback=proposal.id)
    return version


def _activate(
    session: Session, version: PolicyVersion, account_id: int, action: str, **detail: object
) -> None:
    session.execute(
        update(PolicyVersion)
        .where(PolicyVersion.status == PolicyStatus.active, PolicyVersion.id != version.id)
        .values(status=PolicyStatus.retired)
    )
    version.status, version.activated_at = PolicyStatus.active, utcnow()
    _audit(session, account_id, action, version, **detail)
    session.flush()


_parsed: dict[str, PolicyDocument] = {}


@dataclass(frozen=True, slots=True)
class ActiveVersion:
    """Which version decides: what the gate and its ledger records name."""

    id: int
    number: int
    content_hash: str
    #: How explanations name it when it is not a stored version yet ("draft 3"); else "version N".
    name: str = ""

    @property
    def label(self) -> str:
        return self.name or f"version {self.number}"


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


def document_of(session: Session, number: int) -> PolicyDocument:
    """The parsed document of version ``number`` (LookupError when there is none)."""
    version = session.scalar(select(PolicyVersion).where(PolicyVersion.number == number))
    if version is None:
        raise LookupError(f"there is no version {number}")
    doc = _parsed.get(version.content_hash)
    if doc is None:
        doc = _parsed[version.content_hash] = parse(version.document, f"version {version.number}")
    return doc


# Reads for the console: plain records, never ORM instances.


@dataclass(frozen=True)
class VersionInfo:
    id: int
    number: int
    status: str
    comment: str
    content_hash: str
    document: str
    author: str | None
    author_id: int | None
    approver: str | None
    created_at: dt.datetime
    approved_at: dt.datetime | None
    activated_at: dt.datetime | None


@dataclass(frozen=True)
class RollbackInfo:
    id: int
    version_number: int
    comment: str
    proposed_by: str | None
    proposed_by_id: int | None
    proposed_at: dt.datetime
    approved_by: str | None
    approved_at: dt.datetime | None


@dataclass(frozen=True)
class DraftInfo:
    id: int
    document: str
    comment: str
    author: str | None
    author_id: int | None
    base_version: int | None
    proposed_version: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


def _version_rows(session: Session, *where: object, limit: int = 50) -> list[VersionInfo]:
    author, approver = aliased(Account), aliased(Account)
    rows = session.execute(
        select(PolicyVersion, author.email, approver.email)
        .outerjoin(author, author.id == PolicyVersion.author_id)
        .outerjoin(approver, approver.id == PolicyVersion.approved_by_id)
        .where(*where)  # type: ignore[arg-type]
        .order_by(PolicyVersion.number.desc())
        .limit(limit)
    ).all()
    return [
        VersionInfo(
            v.id,
            v.number,
            v.status.value,
            v.comment,
            v.content_hash,
            v.document,
            author_email,
            v.author_id,
            approver_email,
            v.created_at,
            v.approved_at,
            v.activated_at,
        )
        for v, author_email, approver_email in rows
    ]


def history(session: Session, limit: int = 50) -> list[VersionInfo]:
    """The newest versions first, with who wrote and approved each."""
    return _version_rows(session, limit=limit)


def version_info(session: Session, number: int) -> VersionInfo | None:
    found = _version_rows(session, PolicyVersion.number == number, limit=1)
    return found[0] if found else None


def active_info(session: Session) -> VersionInfo | None:
    found = _version_rows(session, PolicyVersion.status == PolicyStatus.active, limit=1)
    return found[0] if found else None


def rollbacks(session: Session, *, waiting_only: bool = False, limit: int = 50) -> list[RollbackInfo]:
    """Rollback proposals, newest first (only those waiting for a second person, if asked)."""
    proposer, approver = aliased(Account), aliased(Account)
    query = (
        select(PolicyRollback, PolicyVersion.number, proposer.email, approver.email)
        .join(PolicyVersion, PolicyVersion.id == PolicyRollback.version_id)
        .outerjoin(proposer, proposer.id == PolicyRollback.proposed_by_id)
        .outerjoin(approver, approver.id == PolicyRollback.approved_by_id)
        .order_by(PolicyRollback.id.desc())
        .limit(limit)
    )
    if waiting_only:
        query = query.where(PolicyRollback.approved_at.is_(None))
    return [
        RollbackInfo(r.id, number, r.comment, by, r.proposed_by_id, r.proposed_at, approved, r.approved_at)
        for r, number, by, approved in session.execute(query).all()
    ]


# Drafts: saved as they are typed, valid or not; proposing one stores it as a version.


def start_draft(session: Session, *, author_id: int) -> PolicyDraft:
    """A new draft holding the active version's document, to change from there."""
    current = session.scalar(select(PolicyVersion).where(PolicyVersion.status == PolicyStatus.active))
    draft = PolicyDraft(
        document=current.document if current is not None else "rules: []\n",
        author_id=author_id,
        base_version_id=current.id if current is not None else None,
    )
    session.add(draft)
    session.flush()
    return draft


def _own_open_draft(session: Session, draft_id: int, account_id: int) -> PolicyDraft:
    draft = session.get(PolicyDraft, draft_id)
    if draft is None:
        raise LookupError(f"there is no draft {draft_id}")
    if draft.author_id != account_id:
        raise VersionRefused("Only the draft's author changes or proposes it.")
    if draft.proposed_version_id is not None:
        raise VersionRefused("This draft was proposed already: start a new draft to change it further.")
    return draft


def save_draft(
    session: Session, draft_id: int, text: str, *, account_id: int, comment: str = ""
) -> list[Problem]:
    """Keep what was typed, valid or not, and return the problems it has (empty when it would propose)."""
    draft = _own_open_draft(session, draft_id, account_id)
    draft.document, draft.comment = text, comment[:400]
    session.flush()
    return check(text, f"draft {draft_id}")


def check(text: str, filename: str) -> list[Problem]:
    """Everything that would stop ``text`` from being proposed: validation problems, then figure leaks."""
    try:
        doc = parse(text, filename)
    except PolicyInvalid as invalid:
        return invalid.problems
    return [Problem(filename, "", "figures", conflict) for conflict in figure_conflicts(doc)]


def propose_draft(session: Session, draft_id: int, *, account_id: int) -> PolicyVersion:
    """Store the draft as a version waiting for a second person (PolicyInvalid lists any problems)."""
    draft = _own_open_draft(session, draft_id, account_id)
    doc = parse(draft.document, f"draft {draft_id}")
    same = session.scalar(select(PolicyVersion).where(PolicyVersion.content_hash == doc.content_hash))
    if same is not None:
        raise VersionRefused(
            f"This document is version {same.number} already ({same.status.value}): change it first."
        )
    version = propose(
        session, draft.document, author_id=account_id, comment=draft.comment, filename=f"draft {draft_id}"
    )
    draft.proposed_version_id = version.id
    session.flush()
    return version


def _draft_rows(session: Session, *where: object) -> list[DraftInfo]:
    base, proposed = aliased(PolicyVersion), aliased(PolicyVersion)
    rows = session.execute(
        select(PolicyDraft, Account.email, base.number, proposed.number)
        .outerjoin(Account, Account.id == PolicyDraft.author_id)
        .outerjoin(base, base.id == PolicyDraft.base_version_id)
        .outerjoin(proposed, proposed.id == PolicyDraft.proposed_version_id)
        .where(*where)  # type: ignore[arg-type]
        .order_by(PolicyDraft.updated_at.desc())
        .limit(50)
    ).all()
    return [
        DraftInfo(d.id, d.document, d.comment, email, d.author_id, b, p, d.created_at, d.updated_at)
        for d, email, b, p in rows
    ]


def open_drafts(session: Session) -> list[DraftInfo]:
    """Drafts not proposed yet, the most recently saved first."""
    return _draft_rows(session, PolicyDraft.proposed_version_id.is_(None))


def draft_info(session: Session, draft_id: int) -> DraftInfo | None:
    found = _draft_rows(session, PolicyDraft.id == draft_id)
    return found[0] if found else None


def record_preview(session: Session, account_id: int, partner_code: str, page: str, under: str) -> None:
    """A staff member looked at a partner's page as it would be: audited as a staff read, never as a
    disclosure to the partner (the gate wrote no ledger record for it).
    """
    partner_id = session.scalar(select(Partner.id).where(Partner.code == partner_code))
    audit.record(
        session,
        "policy.previewed",
        actor_id=account_id,
        object_type="partner",
        object_id=str(partner_id if partner_id is not None else partner_code),
        detail={"partner": partner_code, "page": page, "under": under},
    )


def test_failures(text: str, filename: str) -> list[str]:
    """The document's own tests that fail (a warning for the author: proposing does not run them)."""
    from policies.resolve import run_tests

    try:
        return run_tests(parse(text, filename), filename)
    except PolicyInvalid:
        return []
