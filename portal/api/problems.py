"""Errors as RFC 9457 problem details: a JSON object with type, title, status and detail."""

from __future__ import annotations

from typing import Any

from flask import Response, json, request

PROBLEM_TYPE = "application/problem+json"


def problem(
    status: int,
    title: Any,
    detail: Any = None,
    *,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> Response:
    """A problem details response; ``extensions`` become extra members (e.g. ``errors``)."""
    body: dict[str, Any] = {"type": "about:blank", "title": str(title), "status": status}
    if detail is not None:
        body["detail"] = str(detail)
    body["instance"] = request.path
    body.update(extensions)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


#: The problem details object, as the OpenAPI description publishes it.
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Every problem found, each saying what to fix.",
        },
        "required_scope": {"type": "string"},
    },
}
