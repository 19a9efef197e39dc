"""What the API lists: one endpoint per partner dataset, its filters and its JSON, from the gate's datasets.

The query parameters and the row schemas are derived from the dataset declarations in
``policies.datasets`` (their SQL types), so the OpenAPI description cannot drift from what the gate
serves. Values are JSON as the gate disclosed them: decimals as strings (no float rounding), dates
ISO 8601; a treated field may read as a band label ("low") or "other" (a merged remainder group).
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Boolean, Date, DateTime, Enum, Integer, Numeric

import policies
from policies.datasets import DATASETS


@dataclass(frozen=True)
class Listing:
    """``GET /api/v1<path>``: one page of ``dataset`` as the token's partner may see it."""

    path: str
    dataset: str
    scope: str
    #: Which side of the partnership the dataset is for: "supplier" or "customer".
    side: str
    summary: str
    #: The forecast can be read in weekly (default) or monthly buckets.
    buckets: bool = False


LISTINGS: tuple[Listing, ...] = (
    Listing("/purchase-orders", "purchase_orders", "purchase_orders:read", "supplier", "Purchase orders"),
    Listing(
        "/purchase-order-lines",
        "purchase_order_lines",
        "purchase_orders:read",
        "supplier",
        "Purchase-order lines",
    ),
    Listing("/forecast", "forecast", "forecast:read", "supplier", "Demand forecast", buckets=True),
    Listing("/forecast-commits", "forecast_commits", "forecast_commits:read", "supplier", "Forecast commits"),
    Listing("/inventory", "inventory", "inventory:read", "supplier", "Inventory of supplied items"),
    Listing("/consumption", "consumption", "consumption:read", "supplier", "Consumption of supplied items"),
    Listing("/ship-notices", "ship_notices", "ship_notices:read", "supplier", "Ship notices"),
    Listing("/orders", "orders", "orders:read", "customer", "Sales orders"),
    Listing("/order-lines", "order_lines", "orders:read", "customer", "Sales-order lines"),
    Listing("/shipments", "shipments", "shipments:read", "customer", "Shipments"),
    Listing("/invoices", "invoices", "invoices:read", "customer", "Invoices"),
    Listing("/service-requests", "service_requests", "service_requests:read", "customer", "Service requests"),
    Listing(
        "/availability", "availability", "availability:read", "customer", "Availability of finished goods"
    ),
)


@dataclass(frozen=True)
class Document:
    """``GET /api/v1<path>/{number}``: one document with its lines."""

    path: str
    dataset: str
    lines: str
    #: The lines dataset's filter naming the document.
    lines_filter: str
    scope: str
    side: str
    summary: str


DOCUMENTS: tuple[Document, ...] = (
    Document(
        "/purchase-orders",
        "purchase_orders",
        "purchase_order_lines",
        "order_number",
        "purchase_orders:read",
        "supplier",
        "One purchase order with its lines",
    ),
    Document(
        "/orders",
        "orders",
        "order_lines",
        "order_number",
        "orders:read",
        "customer",
        "One sales order with its lines",
    ),
)

#: The forecast in monthly buckets: summed per item and site (the policy may still group more coarsely).
MONTHLY = policies.Aggregate(("sku", "item", "uom", "site"), "month")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_TEXT = 200
#: Text without NUL, which PostgreSQL refuses in text values.
TEXT_PATTERN = "^[^\\u0000]*$"


class BadParameter(ValueError):
    """A query parameter cannot be used; the message says what to send instead."""


def filter_schema(expr: Any) -> dict[str, Any]:
    """The JSON schema of a filter's query value, from the SQL type it is compared with."""
    kind = expr.type
    if isinstance(kind, Enum):
        return {"type": "string", "enum": list(kind.enums)}
    if isinstance(kind, Boolean):
        return {"type": "boolean"}
    return {"type": "string", "maxLength": MAX_TEXT, "pattern": TEXT_PATTERN}


def parse_filters(dataset: str, args: Mapping[str, str]) -> dict[str, Any]:
    """The dataset's filters present in ``args``, checked against their declared values."""
    filters: dict[str, Any] = {}
    problems = []
    for name, expr in DATASETS[dataset].filters.items():
        raw = args.get(name)
        if raw is None:
            continue
        schema = filter_schema(expr)
        if "enum" in schema:
            if raw not in schema["enum"]:
                problems.append(
                    _("%(name)s must be one of %(values)s", name=name, values=", ".join(schema["enum"]))
                )
                continue
            filters[name] = raw
        elif schema["type"] == "boolean":
            if raw not in ("true", "false"):
                problems.append(_("%(name)s must be true or false", name=name))
                continue
            filters[name] = raw == "true"
        elif "\x00" in raw:
            problems.append(_("%(name)s must not contain NUL characters", name=name))
        elif len(raw) > MAX_TEXT:
            problems.append(_("%(name)s must be at most %(n)d characters", name=name, n=MAX_TEXT))
        else:
            filters[name] = raw
    if problems:
        raise BadParameter("; ".join(problems))
    return filters


def parse_limit(args: Mapping[str, str]) -> int:
    raw = args.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadParameter(_("limit must be a whole number from 1 to %(n)d", n=MAX_LIMIT))
    return int(raw)


def field_schema(expr: Any) -> dict[str, Any]:
    """A disclosed field's JSON: its SQL type's, or a label where the policy bands or merges it."""
    kind = expr.type
    if isinstance(kind, Integer):
        return {"type": ["integer", "string", "null"]}
    if isinstance(kind, Numeric):
        return {"type": ["string", "number", "null"], "description": "a decimal number, as a string"}
    if isinstance(kind, DateTime):
        return {"type": ["string", "null"], "description": "a UTC timestamp, ISO 8601"}
    if isinstance(kind, Date):
        return {"type": ["string", "null"], "description": "a date, ISO 8601"}
    if isinstance(kind, Boolean):
        return {"type": ["boolean", "string", "null"]}
    return {"type": ["string", "null"]}


def row_schema(dataset: str) -> dict[str, Any]:
    """A row of ``dataset``: every field the policy might share; a hidden field is left out."""
    fields = DATASETS[dataset].fields
    return {
        "type": "object",
        "properties": {name: field_schema(expr) for name, expr in fields.items()},
        "additionalProperties": False,
    }


def plain(value: Any) -> Any:
    """A disclosed value as JSON: decimals as strings, dates ISO 8601, enumerations by value."""
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def rows(disclosure: policies.Disclosure) -> list[dict[str, Any]]:
    return [{name: plain(value) for name, value in row.items()} for row in disclosure.rows]


def meta(disclosure: policies.Disclosure) -> dict[str, Any]:
    """How the policy treated each field of these rows, and which fields it hides."""
    return {
        "dataset": disclosure.dataset,
        "channel": "api",
        "policy_version": disclosure.version,
        "fields": [
            {"name": c.name, "treatment": c.treatment, "explanation": c.explanation}
            for c in disclosure.columns
        ],
        "hidden": [{"name": name, "reason": reason} for name, reason in disclosure.hidden],
    }


def page_body(disclosure: policies.Disclosure) -> dict[str, Any]:
    return {"data": rows(disclosure), "next_page": disclosure.next_page, "meta": meta(disclosure)}


META_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["dataset", "channel", "policy_version", "fields", "hidden"],
    "properties": {
        "dataset": {"type": "string"},
        "channel": {"type": "string", "const": "api"},
        "policy_version": {"type": "string", "description": "the sharing policy version that decided"},
        "fields": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "treatment", "explanation"],
                "properties": {
                    "name": {"type": "string"},
                    "treatment": {"type": "string", "description": "e.g. exact, round:100:floor, band"},
                    "explanation": {"type": "string"},
                },
            },
        },
        "hidden": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "reason"],
                "properties": {"name": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
    },
}
