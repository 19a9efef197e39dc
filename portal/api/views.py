"""The API's read endpoints: every partner dataset through ``policies.disclose`` on the "api" channel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

import policies
from internal.web import db_session, limiter
from portal.api.auth import client_key, current_token, requires, token_response
from portal.api.datasets import (
    DOCUMENTS,
    LISTINGS,
    MAX_LIMIT,
    MONTHLY,
    BadParameter,
    Document,
    Listing,
    meta,
    page_body,
    parse_filters,
    parse_limit,
    rows,
)
from portal.api.problems import problem

api = Blueprint(
    "api", __name__, template_folder="templates", static_folder="static", static_url_path="/api/v1/assets"
)
PREFIX = "/api/v1"

#: Each client's calls share one budget (API_RATE_LIMIT); a 429 says when to retry.
per_client = limiter.shared_limit(
    lambda: str(current_app.config["API_RATE_LIMIT"]), scope="api-client", key_func=client_key
)


@api.post("/oauth/token")
@limiter.limit("60 per minute")
def token() -> Response:
    """OAuth2 client credentials: a short-lived bearer token for the client's scopes."""
    return token_response()


@api.errorhandler(policies.PolicyUnavailable)
def _sharing_paused(_error: policies.PolicyUnavailable) -> Response:
    return problem(503, _("Data sharing is paused"), _("No sharing agreement is active right now."))


@api.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> Response:
    # Registered here by its code, so the API answers as a problem, not with the pages' upload message.
    limit = current_app.config["API_MAX_BODY_BYTES"]
    return problem(413, _("Body too large"), _("Send at most %(n)d bytes in one request.", n=limit))


@api.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):  # abort(), a rate limit, a body too large
        return problem(error.code or 500, error.name, error.description)
    current_app.logger.exception("unhandled API error", exc_info=error)
    return problem(500, _("Something went wrong"), _("The error was logged. Try again in a moment."))


def viewer() -> policies.Viewer:
    token = current_token()
    return policies.Viewer(
        account_id=token.account_id,
        partner_id=token.partner_id,
        partner_code=token.partner_code,
        partner_kind=token.partner_kind,
        groups=token.groups,
    )


def on_side(side: str) -> bool:
    return current_token().partner_kind in (side, "both")


def not_found() -> Response:
    return problem(404, _("Not found"), _("There is no such document, or it is not yours to see."))


def bad_request(detail: Any) -> Response:
    return problem(400, _("Bad request"), detail)


def _listing_view(listing: Listing) -> Callable[[], Response]:
    def view() -> Response:
        if not on_side(listing.side):
            return not_found()
        try:
            filters = parse_filters(listing.dataset, request.args)
            size = parse_limit(request.args)
            group = None
            if listing.buckets:
                buckets = request.args.get("buckets", "week")
                if buckets not in ("week", "month"):
                    raise BadParameter(_("buckets must be week or month"))
                group = MONTHLY if buckets == "month" else None
            disclosed = policies.disclose(
                db_session(),
                viewer(),
                listing.dataset,
                channel="api",
                filters=filters,
                page=policies.Page(after=request.args.get("after") or None, size=size),
                group=group,
            )
        except (BadParameter, policies.UnknownFilter) as error:
            return bad_request(error)
        return jsonify(page_body(disclosed))

    view.__name__ = view.__qualname__ = f"list_{listing.dataset}"
    view.__doc__ = listing.summary
    return view


def _document_view(document: Document) -> Callable[[str], Response]:
    def view(number: str) -> Response:
        if not on_side(document.side) or "\x00" in number:  # PostgreSQL refuses NUL in text
            return not_found()
        db, who = db_session(), viewer()
        header = policies.disclose(
            db, who, document.dataset, channel="api", filters={"number": number}, page=policies.Page(size=1)
        )
        if not header.rows:
            return not_found()
        lines = policies.disclose(
            db,
            who,
            document.lines,
            channel="api",
            filters={document.lines_filter: number},
            page=policies.Page(size=MAX_LIMIT),
        )
        return jsonify({"data": rows(header)[0], "meta": meta(header), "lines": page_body(lines)})

    view.__name__ = view.__qualname__ = f"get_{document.dataset}"
    view.__doc__ = document.summary
    return view


for _listing in LISTINGS:
    _view = _listing_view(_listing)
    api.add_url_rule(PREFIX + _listing.path, _view.__name__, requires(_listing.scope)(per_client(_view)))

for _document in DOCUMENTS:
    _doc_view = _document_view(_document)
    api.add_url_rule(
        PREFIX + _document.path + "/<number>",
        _doc_view.__name__,
        requires(_document.scope)(per_client(_doc_view)),
    )
