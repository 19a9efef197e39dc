"""The API's writes: the same services as the pages, refusals as problem details, Idempotency-Key required.

A write names an Idempotency-Key; a retry with the same key and body gets the first answer again
(and writes nothing), the same key with another body is refused. The key is claimed before the
write, in the same transaction, so two concurrent retries cannot both write.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any

from flask import Response, jsonify, request
from flask_babel import gettext as _
from jsonschema import Draft202012Validator, FormatChecker

import policies
from internal import api_clients, planning, purchasing, service_desk, shipping
from internal.web import db_session
from portal.api.auth import current_token, requires
from portal.api.datasets import MAX_LIMIT, TEXT_PATTERN, meta, rows
from portal.api.problems import problem
from portal.api.views import PREFIX, api, not_found, on_side, per_client, viewer
from portal.disclosure import commit_terms

#: Quantities: a decimal as a string ("12.5") or a JSON number, within what the database keeps.
QUANTITY: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "pattern": "^-?[0-9]{1,12}(\\.[0-9]{1,3})?$"},
        {"type": "number", "minimum": -999_999_999_999, "maximum": 999_999_999_999},
    ],
    "description": "a decimal number; a string keeps every digit",
}
DATE: dict[str, Any] = {"type": "string", "format": "date", "description": "ISO 8601 date, e.g. 2026-12-07"}


def text(max_length: int) -> dict[str, Any]:
    return {"type": "string", "maxLength": max_length, "pattern": TEXT_PATTERN}


ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["version", "action"],
    "additionalProperties": False,
    "properties": {
        "version": {
            "type": "integer",
            "minimum": 1,
            "maximum": 1_000_000_000,
            "description": "the line's version as last read; a line changed since answers 409",
        },
        "action": {"type": "string", "enum": ["accept", "reject", "propose"]},
        "reason": {**text(400), "description": "required to reject"},
        "proposed_qty": QUANTITY,
        "proposed_date": DATE,
    },
}

COMMITS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["commits"],
    "additionalProperties": False,
    "properties": {
        "commits": {
            "type": "array",
            "minItems": 1,
            "maxItems": 2000,
            "items": {
                "type": "object",
                "required": ["sku", "site", "week", "qty"],
                "additionalProperties": False,
                "properties": {
                    "sku": text(40),
                    "site": text(40),
                    "week": {**DATE, "description": "the Monday the week starts on"},
                    "qty": QUANTITY,
                    "comment": text(400),
                },
            },
        }
    },
}

SHIP_NOTICE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["ship_date", "expected_arrival", "carrier", "lines"],
    "additionalProperties": False,
    "properties": {
        "ship_date": DATE,
        "expected_arrival": DATE,
        "carrier": text(60),
        "tracking_number": text(60),
        "lines": {
            "type": "array",
            "minItems": 1,
            "maxItems": 500,
            "items": {
                "type": "object",
                "required": ["order_number", "line_no", "qty"],
                "additionalProperties": False,
                "properties": {
                    "order_number": text(40),
                    "line_no": {"type": "integer", "minimum": 1, "maximum": 100_000},
                    "qty": QUANTITY,
                },
            },
        },
    },
}

SERVICE_REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["subject", "body"],
    "additionalProperties": False,
    "properties": {
        "subject": {**text(200), "description": "what it is about, in a few words; must not be blank"},
        "body": {**text(4000), "description": "the first message; must not be blank"},
        "order_number": {**text(40), "description": "one of your orders the request is about"},
        "sku": {**text(40), "description": "the item code the request is about"},
    },
}

MESSAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["body"],
    "additionalProperties": False,
    "properties": {"body": {**text(4000), "description": "the message; must not be blank"}},
}

COMMITS_RESULT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["data", "saved", "flagged"],
    "properties": {
        "saved": {"type": "integer"},
        "flagged": {"type": "integer", "description": "commits flagged as shortfall or surplus"},
        "data": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["sku", "site", "week", "status", "revision"],
                "properties": {
                    "sku": {"type": "string"},
                    "site": {"type": "string"},
                    "week": {"type": "string"},
                    "status": {"type": "string", "enum": ["ok", "shortfall", "surplus"]},
                    "revision": {"type": "integer"},
                },
            },
        },
    },
}

IDEMPOTENCY_KEY = "Idempotency-Key"
MAX_KEY = 200


class Refused(Exception):
    """The write was not done; ``response`` is the problem to send."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    """The JSON body, checked against ``schema``; decimals stay exact."""
    try:
        body = json.loads(request.get_data(), parse_float=Decimal)
    except ValueError:
        raise Refused(problem(400, _("Bad request"), _("The body must be a JSON object."))) from None
    errors = sorted(
        Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(body),
        key=lambda e: list(e.path),
    )
    if errors:
        raise Refused(
            problem(
                422,
                _("The request body is not valid"),
                _("Correct the fields named in errors and send the request again."),
                errors=[f"{'/'.join(str(p) for p in e.path) or 'body'}: {e.message}" for e in errors],
            )
        )
    result: dict[str, Any] = body
    return result


def _quantity(value: Any) -> Decimal:
    return Decimal(str(value))


def _acting_account() -> int:
    account_id = current_token().account_id
    if account_id is None:
        raise Refused(
            problem(
                403,
                _("No accountable account"),
                _(
                    "The partner admin who created this client is gone: "
                    "a partner admin must rotate its secret."
                ),
            )
        )
    return account_id


def _refusal(status: int, title: Any, errors: list[Any]) -> Refused:
    messages = [str(e) for e in errors]
    return Refused(
        problem(status, title, messages[0] if len(messages) == 1 else "; ".join(messages), errors=messages)
    )


def idempotent(handler: Callable[..., tuple[int, dict[str, Any]]]) -> Callable[..., Response]:
    """Run ``handler`` once per Idempotency-Key: a retry gets the stored answer; a refusal keeps nothing."""

    @wraps(handler)
    def write(**kwargs: Any) -> Response:
        key = request.headers.get(IDEMPOTENCY_KEY, "").strip()
        if not key or len(key) > MAX_KEY or not key.isprintable():
            return problem(
                400,
                _("Idempotency-Key needed"),
                _(
                    "Send an Idempotency-Key header of 1 to %(n)d printable characters, new for each write "
                    "and the same when retrying it.",
                    n=MAX_KEY,
                ),
            )
        db, token = db_session(), current_token()
        try:
            canonical = json.dumps(json.loads(request.get_data()), sort_keys=True).encode()
        except ValueError:
            canonical = request.get_data()
        fingerprint = api_clients.fingerprint(request.method, request.path, canonical)
        try:
            previous = api_clients.previous_response(db, token.client_pk, key, fingerprint)
            if previous is not None:
                replay = jsonify(previous.body)
                replay.status_code = previous.status_code
                replay.headers["Idempotent-Replayed"] = "true"
                return replay
            record = api_clients.reserve_key(db, token.client_pk, key, fingerprint)
        except api_clients.KeyReused:
            return problem(
                422,
                _("Idempotency-Key already used"),
                _("This Idempotency-Key was used for a different request; use a new key for a new write."),
            )
        except api_clients.KeyInFlight:
            return problem(
                409,
                _("Request in progress"),
                _("A request with this Idempotency-Key is still being handled; retry in a moment."),
            )
        try:
            with db.begin_nested():  # a refused write leaves nothing behind, whatever it had flushed
                status, body = handler(**kwargs)
        except Refused as refused:
            api_clients.release_key(db, record)
            return refused.response
        api_clients.remember_response(db, record, status, body)
        response = jsonify(body)
        response.status_code = status
        return response

    return write


def _line_answer(number: str, line_no: int) -> tuple[int, dict[str, Any]]:
    if not on_side("supplier") or "\x00" in number:
        raise Refused(not_found())
    body = _body(ANSWER_SCHEMA)
    token = current_token()
    try:
        purchasing.acknowledge_line(
            db_session(),
            account_id=_acting_account(),
            partner_id=token.partner_id,
            po_number=number,
            line_no=line_no,
            expected_version=body["version"],
            action=body["action"],
            reason=body.get("reason", ""),
            proposed_qty=_quantity(body["proposed_qty"]) if "proposed_qty" in body else None,
            proposed_date=dt.date.fromisoformat(body["proposed_date"]) if "proposed_date" in body else None,
        )
    except purchasing.DocumentNotFound:
        raise Refused(not_found()) from None
    except purchasing.LineChanged:
        raise _refusal(
            409,
            _("The line changed"),
            [
                _(
                    "Line %(n)d changed since you read it, so the answer was not saved: "
                    "read it again and answer its new version.",
                    n=line_no,
                )
            ],
        ) from None
    except purchasing.AnswerRefused as refused:
        raise _refusal(422, _("The answer was refused"), [refused]) from None
    lines = policies.disclose(
        db_session(),
        viewer(),
        "purchase_order_lines",
        channel="api",
        filters={"order_number": number},
        page=policies.Page(size=MAX_LIMIT),
    )
    shown = [row for row in rows(lines) if row.get("line_no") == line_no]
    return 200, {"data": shown[0] if shown else {}, "meta": meta(lines)}


def _commit_forecast() -> tuple[int, dict[str, Any]]:
    if not on_side("supplier"):
        raise Refused(not_found())
    body = _body(COMMITS_SCHEMA)
    entries = [
        planning.CommitEntry(
            sku=c["sku"],
            site=c["site"],
            week=dt.date.fromisoformat(c["week"]),
            qty=_quantity(c["qty"]),
            comment=c.get("comment", ""),
            row=n,
        )
        for n, c in enumerate(body["commits"], start=1)
    ]
    try:
        stored = planning.commit_forecast(
            db_session(),
            account_id=_acting_account(),
            partner_id=current_token().partner_id,
            entries=entries,
            **commit_terms(db_session(), viewer()),
        )
    except planning.CommitRefused as refused:
        raise _refusal(422, _("The commits were refused"), refused.errors) from None
    data = [
        {
            "sku": e.sku,
            "site": e.site,
            "week": e.week.isoformat(),
            "status": c.status.value,
            "revision": c.revision,
        }
        for e, c in zip(entries, stored, strict=True)
    ]
    flagged = sum(1 for d in data if d["status"] != "ok")
    return 200, {"data": data, "saved": len(data), "flagged": flagged}


def _create_ship_notice() -> tuple[int, dict[str, Any]]:
    if not on_side("supplier"):
        raise Refused(not_found())
    body = _body(SHIP_NOTICE_SCHEMA)
    try:
        notice = shipping.create_ship_notice(
            db_session(),
            account_id=_acting_account(),
            partner_id=current_token().partner_id,
            ship_date=dt.date.fromisoformat(body["ship_date"]),
            expected_arrival=dt.date.fromisoformat(body["expected_arrival"]),
            carrier=body["carrier"],
            tracking_number=body.get("tracking_number", ""),
            lines=[
                shipping.NoticeLine(line["order_number"], line["line_no"], _quantity(line["qty"]))
                for line in body["lines"]
            ],
        )
    except shipping.ShipNoticeRefused as refused:
        raise _refusal(422, _("The ship notice was refused"), refused.errors) from None
    shown = policies.disclose(
        db_session(),
        viewer(),
        "ship_notices",
        channel="api",
        filters={"number": notice.number},
        page=policies.Page(size=1),
    )
    data = rows(shown)[0] if shown.rows else {"number": notice.number}
    return 201, {"data": data, "meta": meta(shown)}


def _request_refused(refused: service_desk.RequestRefused) -> Refused:
    """The service's message, and in ``errors`` the field it is about, as a body error names it."""
    named = f"{refused.field}: {refused}" if refused.field else str(refused)
    return Refused(problem(422, _("The service request was refused"), str(refused), errors=[named]))


def _service_request(number: str) -> dict[str, Any]:
    shown = policies.disclose(
        db_session(),
        viewer(),
        "service_requests",
        channel="api",
        filters={"number": number},
        page=policies.Page(size=1),
    )
    return {"data": rows(shown)[0] if shown.rows else {"number": number}, "meta": meta(shown)}


def _open_service_request() -> tuple[int, dict[str, Any]]:
    if not on_side("customer"):
        raise Refused(not_found())
    body = _body(SERVICE_REQUEST_SCHEMA)
    try:
        opened = service_desk.open_request(
            db_session(),
            account_id=_acting_account(),
            partner_id=current_token().partner_id,
            subject=body["subject"],
            body=body["body"],
            order_number=body.get("order_number") or None,
            sku=body.get("sku") or None,
        )
    except service_desk.RequestRefused as refused:
        raise _request_refused(refused) from None
    return 201, _service_request(opened.number)


def _write_to_service(number: str) -> tuple[int, dict[str, Any]]:
    if not on_side("customer") or "\x00" in number:
        raise Refused(not_found())
    body = _body(MESSAGE_SCHEMA)
    try:
        service_desk.customer_message(
            db_session(),
            account_id=_acting_account(),
            partner_id=current_token().partner_id,
            number=number,
            body=body["body"],
        )
    except service_desk.DocumentNotFound:
        raise Refused(not_found()) from None
    except service_desk.RequestRefused as refused:
        raise _request_refused(refused) from None
    return 201, _service_request(number)


def _route(rule: str, endpoint: str, scope: str, handler: Callable[..., tuple[int, dict[str, Any]]]) -> None:
    handler.__name__ = handler.__qualname__ = endpoint
    api.add_url_rule(
        PREFIX + rule, endpoint, requires(scope)(per_client(idempotent(handler))), methods=["POST"]
    )


_route(
    "/purchase-orders/<number>/lines/<int(min=1, max=100000):line_no>/answer",
    "answer_line",
    "purchase_orders:answer",
    _line_answer,
)
_route("/forecast-commits", "commit_forecast", "forecast_commits:write", _commit_forecast)
_route("/ship-notices", "create_ship_notice", "ship_notices:write", _create_ship_notice)
_route("/service-requests", "open_service_request", "service_requests:write", _open_service_request)
_route("/service-requests/<number>/messages", "write_to_service", "service_requests:write", _write_to_service)
