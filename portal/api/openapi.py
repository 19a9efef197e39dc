"""The OpenAPI 3.1 description, built by apispec from the routes and the gate's dataset declarations,
and a reference page rendered by Swagger UI from the npm package copied at set-up (no CDN).
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec_webframeworks.flask import FlaskPlugin
from flask import Response, current_app, jsonify, render_template, request

from internal.api_clients import ALL_SCOPES
from policies.datasets import DATASETS
from portal.api.datasets import (
    DEFAULT_LIMIT,
    DOCUMENTS,
    LISTINGS,
    MAX_LIMIT,
    MAX_TEXT,
    META_SCHEMA,
    TEXT_PATTERN,
    filter_schema,
    row_schema,
)
from portal.api.problems import PROBLEM_SCHEMA, PROBLEM_TYPE
from portal.api.views import PREFIX, api
from portal.api.writes import (
    ANSWER_SCHEMA,
    COMMITS_RESULT_SCHEMA,
    COMMITS_SCHEMA,
    IDEMPOTENCY_KEY,
    MAX_KEY,
    MESSAGE_SCHEMA,
    SERVICE_REQUEST_SCHEMA,
    SHIP_NOTICE_SCHEMA,
)

SECURITY = "partner_oauth"
DESCRIPTION = """\
Purchase orders, forecasts, inventory and the other datasets your sharing agreement covers, and the
answers you send back, for your own systems.

**Authentication:** OAuth2 client credentials. A partner admin creates a client in the partner portal
(the "API clients" page) and chooses its scopes. `POST /oauth/token` with the client's id and secret
(HTTP Basic) returns a bearer token valid for a few minutes; send it as `Authorization: Bearer ...`.

**What you see** is decided by the same sharing policy as the portal's pages: each list answer carries
a `meta` block naming the policy version and, for every field, its treatment (exact, rounded, banded...)
and why. A field the policy hides is left out. Decimals are strings, dates ISO 8601.

**Pages:** lists return up to `limit` rows; pass `next_page` back as `after` for the next page.

**Writes** take an `Idempotency-Key` header: a retry with the same key and body returns the first
answer and changes nothing; the same key with another body is refused (422). Refusals are RFC 9457
problem details.
"""

SCOPE_TEXT = {
    scope: ("read " if scope.endswith(":read") else "write: ") + scope.split(":")[0] for scope in ALL_SCOPES
}


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _problem_responses(*codes: int) -> dict[str, Any]:
    text = {
        400: "the request cannot be used as sent",
        401: "no valid bearer token (missing, expired or revoked)",
        403: "the token lacks the scope this operation needs",
        404: "no such document for your partner",
        409: "a conflicting change or a request with this key in progress",
        413: "the body is too large",
        422: "the body is not valid, or the write was refused",
        429: "too many requests from this client: see Retry-After",
    }
    return {
        str(code): {
            "description": text[code],
            "content": {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for code in codes
    }


def _ok(schema: str, description: str = "OK") -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def build_spec() -> dict[str, Any]:
    """The description of every route of the API blueprint, from the code that serves it."""
    spec = APISpec(
        title="Partner portal API",
        version="1",
        openapi_version="3.1.0",
        plugins=[FlaskPlugin()],
        info={"description": DESCRIPTION},
        servers=[{"url": request.url_root.rstrip("/")}],
    )
    spec.components.security_scheme(
        SECURITY,
        {
            "type": "oauth2",
            "flows": {"clientCredentials": {"tokenUrl": "/oauth/token", "scopes": SCOPE_TEXT}},
        },
    )
    spec.components.schema("Problem", PROBLEM_SCHEMA)
    spec.components.schema("Meta", META_SCHEMA)
    for name in sorted({listing.dataset for listing in LISTINGS} | {d.lines for d in DOCUMENTS}):
        spec.components.schema(f"{_camel(name)}Row", row_schema(name))
        spec.components.schema(
            f"{_camel(name)}Page",
            {
                "type": "object",
                "required": ["data", "next_page", "meta"],
                "properties": {
                    "data": {"type": "array", "items": {"$ref": f"#/components/schemas/{_camel(name)}Row"}},
                    "next_page": {
                        "type": ["string", "null"],
                        "description": "pass as `after` for the next page",
                    },
                    "meta": {"$ref": "#/components/schemas/Meta"},
                },
            },
        )
    views = current_app.view_functions
    text_param = {"type": "string", "maxLength": MAX_TEXT, "pattern": TEXT_PATTERN}
    paging = [
        {
            "in": "query",
            "name": "after",
            "schema": text_param,
            "description": "the previous page's next_page",
        },
        {
            "in": "query",
            "name": "limit",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
        },
    ]
    for listing in LISTINGS:
        filters = [
            {"in": "query", "name": name, "schema": filter_schema(expr)}
            for name, expr in DATASETS[listing.dataset].filters.items()
        ]
        if listing.buckets:
            filters.append(
                {
                    "in": "query",
                    "name": "buckets",
                    "schema": {"type": "string", "enum": ["week", "month"], "default": "week"},
                }
            )
        spec.path(
            view=views[f"api.list_{listing.dataset}"],
            operations={
                "get": {
                    "operationId": f"list_{listing.dataset}",
                    "summary": listing.summary,
                    "tags": [listing.side],
                    "security": [{SECURITY: [listing.scope]}],
                    "parameters": filters + paging,
                    "responses": {
                        "200": _ok(f"{_camel(listing.dataset)}Page"),
                        **_problem_responses(400, 401, 403, 404, 429),
                    },
                }
            },
        )
    for document in DOCUMENTS:
        spec.components.schema(
            f"{_camel(document.dataset)}Document",
            {
                "type": "object",
                "required": ["data", "meta", "lines"],
                "properties": {
                    "data": {"$ref": f"#/components/schemas/{_camel(document.dataset)}Row"},
                    "meta": {"$ref": "#/components/schemas/Meta"},
                    "lines": {"$ref": f"#/components/schemas/{_camel(document.lines)}Page"},
                },
            },
        )
        spec.path(
            view=views[f"api.get_{document.dataset}"],
            operations={
                "get": {
                    "operationId": f"get_{document.dataset}",
                    "summary": document.summary,
                    "tags": [document.side],
                    "security": [{SECURITY: [document.scope]}],
                    "parameters": [{"in": "path", "name": "number", "required": True, "schema": text_param}],
                    "responses": {
                        "200": _ok(f"{_camel(document.dataset)}Document"),
                        **_problem_responses(401, 403, 404, 429),
                    },
                }
            },
        )
    key = {
        "in": "header",
        "name": IDEMPOTENCY_KEY,
        "required": True,
        "schema": {"type": "string", "pattern": f"^[A-Za-z0-9._:-]{{1,{MAX_KEY}}}$"},
        "description": "new for each write, the same when retrying it (e.g. a UUID)",
    }
    spec.components.schema("LineAnswer", ANSWER_SCHEMA)
    spec.components.schema("ForecastCommits", COMMITS_SCHEMA)
    spec.components.schema("ForecastCommitsResult", COMMITS_RESULT_SCHEMA)
    spec.components.schema("NewShipNotice", SHIP_NOTICE_SCHEMA)
    spec.components.schema("NewServiceRequest", SERVICE_REQUEST_SCHEMA)
    spec.components.schema("NewServiceRequestMessage", MESSAGE_SCHEMA)
    for name, schema in (
        ("LineAnswered", "PurchaseOrderLinesRow"),
        ("ShipNoticeCreated", "ShipNoticesRow"),
        ("ServiceRequestWritten", "ServiceRequestsRow"),
    ):
        spec.components.schema(
            name,
            {
                "type": "object",
                "required": ["data", "meta"],
                "properties": {
                    "data": {"$ref": f"#/components/schemas/{schema}"},
                    "meta": {"$ref": "#/components/schemas/Meta"},
                },
            },
        )
    writes = (
        (
            "answer_line",
            "Answer a purchase-order line: accept, reject with a reason, or propose a change",
            "purchase_orders:answer",
            "LineAnswer",
            "200",
            "LineAnswered",
        ),
        (
            "commit_forecast",
            "Commit (or revise) supply for forecast weeks",
            "forecast_commits:write",
            "ForecastCommits",
            "200",
            "ForecastCommitsResult",
        ),
        (
            "create_ship_notice",
            "Send a ship notice over open purchase-order lines",
            "ship_notices:write",
            "NewShipNotice",
            "201",
            "ShipNoticeCreated",
        ),
        (
            "open_service_request",
            "Open a service request, optionally about one of your orders or an item",
            "service_requests:write",
            "NewServiceRequest",
            "201",
            "ServiceRequestWritten",
        ),
        (
            "write_to_service",
            "Add a message to one of your service requests (a closed one takes none)",
            "service_requests:write",
            "NewServiceRequestMessage",
            "201",
            "ServiceRequestWritten",
        ),
    )
    for endpoint, summary, scope, body, status, result in writes:
        parameters = [key]
        if endpoint == "write_to_service":
            parameters.append({"in": "path", "name": "number", "required": True, "schema": text_param})
        if endpoint == "answer_line":
            parameters += [
                {"in": "path", "name": "number", "required": True, "schema": text_param},
                {
                    "in": "path",
                    "name": "line_no",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 100_000},
                },
            ]
        spec.path(
            view=views[f"api.{endpoint}"],
            operations={
                "post": {
                    "operationId": endpoint,
                    "summary": summary,
                    "tags": ["customer" if scope.startswith("service_requests") else "supplier"],
                    "security": [{SECURITY: [scope]}],
                    "parameters": parameters,
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}},
                    },
                    "responses": {
                        status: _ok(result),
                        **_problem_responses(400, 401, 403, 404, 409, 413, 422, 429),
                    },
                }
            },
        )
    return spec.to_dict()


@api.get(PREFIX + "/openapi.json")
def openapi_json() -> Response:
    return jsonify(build_spec())


@api.get(PREFIX + "/reference")
def reference() -> str:
    """The API reference, rendered in the browser by Swagger UI from the description above."""
    return render_template("api/reference.html")
