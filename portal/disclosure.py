"""How extranet pages read: through the policy gate, as the signed-in partner, never around it."""

from __future__ import annotations

from typing import Any

from flask import abort, request
from flask_babel import gettext as _
from flask_login import current_user

import policies
from internal.web import db_session


def require_side(side: str) -> None:
    """404 unless the active partner is on ``side`` ("supplier" or "customer") of the partnership."""
    membership = current_user.active_membership
    if membership is None or not getattr(membership, f"is_{side}"):
        abort(404)


def viewer() -> policies.Viewer:
    membership = current_user.active_membership
    if membership is None:
        abort(404)
    return policies.Viewer(
        account_id=current_user.account_id,
        partner_id=membership.partner_id,
        partner_code=membership.partner_code,
        partner_kind=membership.partner_kind,
        groups=membership.groups,
    )


def page_of(
    dataset: str, *, size: int = 25, group: policies.Aggregate | None = None, **filters: Any
) -> policies.Disclosure:
    """One page of ``dataset``, continuing after the ``after`` cursor in the query string."""
    after = request.args.get("after") or None
    try:
        return policies.disclose(
            db_session(),
            viewer(),
            dataset,
            filters=filters,
            page=policies.Page(after=after, size=size),
            group=group,
        )
    except policies.UnknownFilter:
        abort(
            400,
            description=_("This link asks for a page that does not exist. Start again from the first page."),
        )


def count_of(dataset: str, **filters: Any) -> int:
    """How many rows of ``dataset`` the partner may see, whatever their number (through the gate)."""
    return policies.count(db_session(), viewer(), dataset, filters=filters).rows


def one_or_404(dataset: str, **filters: Any) -> Any:
    """The single row the partner may see, or 404: someone else's document does not exist for them."""
    disclosed = policies.disclose(
        db_session(), viewer(), dataset, filters=filters, page=policies.Page(size=1)
    )
    if not disclosed.rows:
        abort(404)
    return disclosed.rows[0]


def first_page(dataset: str, *, size: int = 25, **filters: Any) -> policies.Disclosure:
    """The first page of ``dataset``, whatever cursor the query string holds (it belongs to another list)."""
    try:
        return policies.disclose(
            db_session(), viewer(), dataset, filters=filters, page=policies.Page(size=size)
        )
    except policies.UnknownFilter:
        abort(400)


def commit_terms(session: Any, who: policies.Viewer) -> dict[str, Any]:
    """How ``who``'s forecast commits are judged, for ``planning.commit_forecast``, on every channel.

    Within the weeks its policy shows the forecast, and against its share of the demand as it is shown
    the demand and a commit's forecast: the figure its forecast page shows as "your share".
    """
    return {
        "horizon_weeks": policies.horizon_weeks(session, who, "forecast"),
        "demand_shown": policies.as_shown(session, who, "forecast", "qty"),
        "as_shown": policies.as_shown(session, who, "forecast_commits", "forecast_qty"),
    }


def is_shared(dataset: str) -> bool:
    """Whether the active policy shows the partner any of ``dataset``: its page and link exist only then."""
    try:
        return policies.horizon_weeks(db_session(), viewer(), dataset) != 0
    except policies.PolicyUnavailable:
        return False  # the page itself says sharing is paused
