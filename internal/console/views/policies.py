"""The sharing-policy workbench: drafts, versions and their differences, impact, preview, approval.

A policy admin writes a draft (from the active version, in YAML or through the rule form) and
proposes it; a second staff member who may approve reads the difference and the impact on the real
data, previews partners' pages under it, and activates it. A rollback is proposed and approved the
same way. Every state change happens in policies.versions.
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from internal.console.roles import can, requires
from internal.web import db_session
from policies import authoring, preview, versions
from policies.datasets import DATASETS
from policies.diff import compare
from policies.impact import impact
from policies.language import PolicyDocument, PolicyInvalid, Problem, parse

policy_workbench = Blueprint(
    "policy_workbench",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/policies/assets",
)

AUTHORS = versions.AUTHORS
RULE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,60}$")


def _may_approve() -> bool:
    return versions.may_approve(db_session(), current_user.account_id)


def _is_author_role() -> bool:
    return can(*AUTHORS)


@policy_workbench.get("/policies")
@requires()
def policy_versions() -> str:
    """The active version, versions waiting for approval, drafts and rollbacks, and the history."""
    db = db_session()
    return render_template(
        "console/policies.html",
        active=versions.active_info(db),
        versions=versions.history(db),
        drafts=versions.open_drafts(db),
        rollbacks=versions.rollbacks(db, waiting_only=True),
        can_author=_is_author_role(),
    )


@policy_workbench.post("/policies/drafts")
@requires(*AUTHORS)
def new_draft() -> Response:
    """A new draft starts from the active version's document."""
    draft = versions.start_draft(db_session(), author_id=current_user.account_id)
    return redirect(url_for("policy_workbench.draft", draft_id=draft.id))


def _draft_or_404(draft_id: int) -> versions.DraftInfo:
    found = versions.draft_info(db_session(), draft_id)
    if found is None:
        abort(404)
    return found


def _lines(text: str, problems: list[Problem]) -> list[tuple[Problem, str]]:
    """Each problem with the text of the line it points at, to quote beside it."""
    rows = text.splitlines()
    return [(p, rows[p.line - 1] if p.line and 0 < p.line <= len(rows) else "") for p in problems]


def _render_draft(
    draft: versions.DraftInfo, text: str, comment: str, problems: list[Problem], status: int = 200
) -> tuple[str, int]:
    warnings: list[str] = []
    if not problems:
        warnings = versions.test_failures(text, f"draft {draft.id}")
    return render_template(
        "console/policy_draft.html",
        draft=draft,
        text=text,
        comment=comment,
        problems=_lines(text, problems),
        warnings=warnings,
        can_edit=draft.author_id == current_user.account_id and draft.proposed_version is None,
    ), status


@policy_workbench.get("/policies/drafts/<int:draft_id>")
@requires()
def draft(draft_id: int) -> tuple[str, int]:
    found = _draft_or_404(draft_id)
    return _render_draft(
        found, found.document, found.comment, versions.check(found.document, f"draft {draft_id}")
    )


@policy_workbench.post("/policies/drafts/<int:draft_id>")
@requires(*AUTHORS)
def save_draft(draft_id: int) -> Response | tuple[str, int]:
    """Save what was typed (valid or not); with "propose", store it as a version for approval."""
    found = _draft_or_404(draft_id)
    text = request.form.get("document", "").replace("\r\n", "\n")
    comment = request.form.get("comment", "")[:400]
    db = db_session()
    try:
        problems = versions.save_draft(
            db, draft_id, text, account_id=current_user.account_id, comment=comment
        )
    except versions.VersionRefused as refused:
        flash(str(refused), "danger")
        return _render_draft(found, text, comment, [], 403)
    found = _draft_or_404(draft_id)
    if request.form.get("action") != "propose":
        flash(
            _("The draft is saved.") if not problems else _("The draft is saved, with problems to fix."),
            "info",
        )
        return _render_draft(found, text, comment, problems)
    if problems:
        return _render_draft(found, text, comment, problems, 400)
    try:
        version = versions.propose_draft(db, draft_id, account_id=current_user.account_id)
    except PolicyInvalid as invalid:
        return _render_draft(found, text, comment, invalid.problems, 400)
    except versions.VersionRefused as refused:
        flash(str(refused), "danger")
        return _render_draft(found, text, comment, [], 400)
    flash(_("Version %(n)d is waiting for a second person's approval.", n=version.number), "success")
    return redirect(url_for("policy_workbench.version", number=version.number))


@policy_workbench.route("/policies/drafts/<int:draft_id>/rule", methods=["GET", "POST"])
@requires(*AUTHORS)
def rule_form(draft_id: int) -> Response | tuple[str, int]:
    """The form view: one share rule for a partner, group or kind on one dataset, a transform per field,
    written into the draft's YAML (the rule of the same id is replaced).
    """
    found = _draft_or_404(draft_id)
    if found.author_id != current_user.account_id or found.proposed_version is not None:
        abort(403)
    source = request.form if request.method == "POST" else request.args
    target = source.get("target", "").strip()
    dataset = source.get("dataset", "")
    db = db_session()
    errors: list[str] = []
    ds = DATASETS.get(dataset)
    fields: list[tuple[str, list[str], str, str]] = []
    if ds is not None and target:
        current: dict[str, tuple[str, str]] = {}
        try:
            doc = parse(found.document, f"draft {draft_id}")
        except PolicyInvalid:
            doc = None
        if doc is not None:
            profile = (
                preview.partner_profile(db, target.split(":", 1)[1])
                if target.startswith("partner:")
                else None
            )
            kind, groups = profile if profile is not None else ("", frozenset[str]())
            current = authoring.prefill(doc, target, dataset, kind, groups)
        for name in ds.fields:
            kind_now, param_now = current.get(name, ("hidden", ""))
            kind_typed = source.get(f"kind-{name}", kind_now) if request.method == "POST" else kind_now
            param_typed = source.get(f"param-{name}", param_now) if request.method == "POST" else param_now
            fields.append((name, authoring.kinds_for(dataset, name), kind_typed, param_typed))
    rule_id = source.get("rule_id") or (
        f"{target.replace(':', '-').lower()}-{dataset}".replace("_", "-") if ds and target else ""
    )
    rows = source.getlist("rows") if request.method == "POST" else []
    if request.method == "POST":
        if not RULE_ID.match(rule_id):
            errors.append(_("The rule id is letters, digits, dots, dashes or underscores, up to 60."))
        if ds is None or not target:
            errors.append(_("Choose who the rule is for and the dataset."))
        elif not rows:
            errors.append(_("Choose the rows the rule shares."))
        if not errors and ds is not None:
            spec = {
                name: authoring.transform_spec(kind, param)
                for name, _kinds, kind, param in fields
                if kind != "hidden"
            }
            text = authoring.put_rule(found.document, rule_id, target, dataset, rows, spec)
            problems = versions.save_draft(
                db, draft_id, text, account_id=current_user.account_id, comment=found.comment
            )
            if problems:
                flash(_("The rule is written into the draft; the draft has problems to fix."), "warning")
            else:
                flash(_("The rule %(id)s is written into the draft.", id=rule_id), "success")
            return redirect(url_for("policy_workbench.draft", draft_id=draft_id))
    return render_template(
        "console/policy_rule_form.html",
        draft=found,
        targets=preview.targets(db),
        datasets=sorted(DATASETS),
        target=target,
        dataset=dataset if ds else "",
        scopes=[s for s in ds.scopes if s not in ds.forbid_only] if ds else [],
        rows=rows,
        rule_id=rule_id,
        fields=fields,
        examples=authoring.EXAMPLES,
        errors=errors,
    ), 400 if errors else 200


def _version_or_404(number: int) -> versions.VersionInfo:
    found = versions.version_info(db_session(), number)
    if found is None:
        abort(404)
    return found


@policy_workbench.get("/policies/<int:number>")
@requires()
def version(number: int) -> str:
    """One version: who wrote and approved it when, its content, what changed against the active one,
    and, while it waits for approval, its impact on what partners see.
    """
    db = db_session()
    found = _version_or_404(number)
    active = versions.active_info(db)
    against = active if active is not None and active.number != number else None
    diff = compare(
        against.document if against else "",
        found.document,
        f"version {against.number}" if against else "(nothing)",
        f"version {number}",
    )
    rollbacks = [r for r in versions.rollbacks(db) if r.version_number == number]
    effects = None
    # Whoever approves weighs the change first: a version waiting, or a rollback waiting to this one.
    if found.status == "pending_approval" or any(r.approved_at is None for r in rollbacks):
        current = versions.document_of(db, active.number) if active is not None else None
        effects = impact(db, versions.document_of(db, number), current)
    approver = _may_approve()
    return render_template(
        "console/policy_version.html",
        v=found,
        against=against,
        diff=diff,
        impact=effects,
        may_approve=approver and found.author_id != current_user.account_id,
        is_author=found.author_id == current_user.account_id,
        can_author=_is_author_role(),
        rollbacks=rollbacks,
        approvable_rollbacks={
            r.id for r in rollbacks if approver and r.proposed_by_id != current_user.account_id
        },
    )


@policy_workbench.post("/policies/<int:number>/approve")
@requires(*versions.APPROVERS)
def approve(number: int) -> Response:
    found = _version_or_404(number)
    try:
        versions.approve(db_session(), found.id, approver_id=current_user.account_id)
    except versions.VersionRefused as refused:
        flash(str(refused), "danger")
    else:
        flash(_("Version %(n)d is approved and active.", n=number), "success")
    return redirect(url_for("policy_workbench.version", number=number))


@policy_workbench.post("/policies/<int:number>/rollback")
@requires(*AUTHORS)
def propose_rollback(number: int) -> Response:
    """Propose to make this earlier version active again; a second person approves."""
    found = _version_or_404(number)
    try:
        versions.propose_rollback(
            db_session(),
            found.id,
            account_id=current_user.account_id,
            comment=request.form.get("comment", "")[:400],
        )
    except versions.VersionRefused as refused:
        flash(str(refused), "danger")
    else:
        flash(_("The rollback to version %(n)d waits for a second person's approval.", n=number), "success")
    return redirect(url_for("policy_workbench.version", number=number))


@policy_workbench.post("/policies/rollbacks/<int:rollback_id>/approve")
@requires(*versions.APPROVERS)
def approve_rollback(rollback_id: int) -> Response:
    try:
        activated = versions.approve_rollback(db_session(), rollback_id, approver_id=current_user.account_id)
    except versions.VersionRefused as refused:
        flash(str(refused), "danger")
        return redirect(url_for("policy_workbench.policy_versions"))
    flash(_("Version %(n)d is active again.", n=activated.number), "success")
    return redirect(url_for("policy_workbench.version", number=activated.number))


@policy_workbench.get("/policies/diff")
@requires()
def diff() -> str:
    """Any two versions side by side: rule by rule, then line by line."""
    db = db_session()
    old_n, new_n = request.args.get("from", type=int), request.args.get("to", type=int)
    old = versions.version_info(db, old_n) if old_n else None
    new = versions.version_info(db, new_n) if new_n else None
    result = (
        compare(old.document, new.document, f"version {old.number}", f"version {new.number}")
        if old is not None and new is not None
        else None
    )
    return render_template(
        "console/policy_diff.html", history=versions.history(db), old=old, new=new, diff=result
    )


def _under(choice: str) -> tuple[PolicyDocument, str] | list[Problem] | None:
    """The document a preview decides under: "active", "version-N" or "draft-N"."""
    db = db_session()
    if choice.startswith("draft-") and choice[6:].isdigit():
        found = versions.draft_info(db, int(choice[6:]))
        if found is None:
            return None
        label = _("draft %(n)d", n=found.id)
        try:
            return parse(found.document, label), label
        except PolicyInvalid as invalid:
            return invalid.problems
    number = None
    if choice.startswith("version-") and choice[8:].isdigit():
        number = int(choice[8:])
    elif choice in ("", "active"):
        active = versions.active_info(db)
        number = active.number if active is not None else None
    if number is None or versions.version_info(db, number) is None:
        return None
    return versions.document_of(db, number), _("version %(n)d", n=number)


@policy_workbench.get("/policies/preview")
@requires()
def partner_preview() -> str | tuple[str, int]:
    """A partner's page as it would be under the active version, another version or a draft, each
    treated or hidden field explained. No ledger record: it is a staff read, audited as one.
    """
    db = db_session()
    partner = request.args.get("partner", "").strip()
    page = request.args.get("page", "inventory")
    under = request.args.get("under", "active")
    decided = _under(under)
    result, problems = None, []
    if isinstance(decided, list):
        problems = decided
    elif decided is not None and partner:
        document, label = decided
        result = preview.preview(db, partner, page, document, label)
        if result is not None:
            versions.record_preview(db, current_user.account_id, partner, page, label)
    status = 404 if partner and result is None and not problems else 200
    return render_template(
        "console/policy_preview.html",
        partners=preview.partners(db),
        partner=partner,
        page=page,
        pages=list(preview.PAGES),
        under=under,
        choices=[("active", _("Active version"))]
        + [(f"version-{v.number}", _("version %(n)d", n=v.number)) for v in versions.history(db)]
        + [(f"draft-{d.id}", _("draft %(n)d", n=d.id)) for d in versions.open_drafts(db)],
        result=result,
        problems=problems,
    ), status
