"""What every dataset is made of: the Dataset and its Window, the types of its parts, and the SQL
helpers and names both sides share (policies.datasets.supplier and .customer declare the datasets)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Numeric,
    Select,
    String,
    TypeDecorator,
    cast,
    func,
    literal,
    select,
    type_coerce,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import QueryableAttribute

#: A column, a mapped attribute or any SQL expression a dataset shows or filters on.
Expr = ColumnElement[Any] | QueryableAttribute[Any]
#: A row scope: the viewing partner's id to the SQL condition its rows meet.
#: The viewer's partner id as a statement sees it: a value, or the parameter a cached statement binds.
PartnerId = int | ColumnElement[int]
Scope = Callable[[PartnerId], ColumnElement[bool]]
Condition = Callable[[PartnerId, Any], ColumnElement[bool]]
#: A condition on the value asked for alone (a search, a date range), whoever the viewer.
ValueCondition = Callable[[Any], ColumnElement[bool]]


def on_value(conditions: dict[str, ValueCondition]) -> dict[str, Condition]:
    """Conditions that read only the value asked for, as the gate calls every condition."""

    def reading(make: ValueCondition) -> Condition:
        return lambda _viewer, value: make(value)

    return {name: reading(make) for name, make in conditions.items()}


@dataclass(frozen=True)
class Window:
    """The values of a dataset's leading field (an item's SKU) that a viewer can have rows for.

    Every row belongs to one value, and rows sort by it first, so a page needs only the rows of its
    first few values: the gate reads them a few values at a time instead of grouping and sorting every
    row the viewer may see (a strategic supplier's forecast: a thousand items' weeks). Used only when
    the rows are narrowed by ``scope``, which makes ``values`` a superset of the rows' values.
    """

    field: str
    scope: str
    values: Callable[[PartnerId], Select[Any]]


@dataclass(frozen=True)
class Dataset:
    name: str
    #: Which side of a partnership may be shown it: "supplier" or "customer".
    audience: str
    #: Field name to SQL expression; also the order of columns shown.
    fields: dict[str, Expr]
    #: The fields that identify a row (recorded in the ledger).
    key: tuple[str, ...]
    #: The FROM clause with its joins, selecting ``fields``.
    base: Callable[[], Select[Any]]
    #: Sort order; also the keyset cursor's columns, with their Python types.
    order: tuple[tuple[Expr, type], ...]
    #: Filters a page may ask for: name to the expression compared with equality.
    filters: dict[str, Expr]
    #: The named row scopes a policy rule may use: each a condition on the viewer's partner id.
    scopes: dict[str, Scope]
    #: Documents list newest first; a document's lines read in their own order.
    newest_first: bool = True
    #: Scopes that only pick rows out for a forbid (sharing them alone would reach other partners' rows).
    forbid_only: frozenset[str] = frozenset()
    #: What the rows are about, for the ledger: field to (subject kind, the subject's identifier
    #: when it is not the field's own value, e.g. a customer's code behind its name).
    subjects: dict[str, tuple[str, Expr | None]] = field(default_factory=dict)
    #: Fields an aggregate sums; the time field an aggregate buckets to a grain.
    measures: tuple[str, ...] = ()
    time_field: str | None = None
    #: Filters beyond equality (a search, a date range), or that depend on the viewer: name to a function
    #: of the viewer's partner id and the value asked for, giving the condition.
    conditions: dict[str, Condition] = field(default_factory=dict)
    #: Lets the gate read a page a few values of its leading field at a time (see Window).
    window: Window | None = None
    #: Field to the enterprise figure its values derive from ("forecast demand"): a figure shown in two
    #: datasets must be shown alike in both, or the finer one undoes the coarser (``policies.figures``).
    derived_from: dict[str, str] = field(default_factory=dict)
    #: The fields each condition reads: a condition is refused to a viewer not shown all of them, so a
    #: search cannot probe values the policy hides.
    condition_reads: dict[str, tuple[str, ...]] = field(default_factory=dict)


def time_bucket(expr: Any, grain: str, dialect: str) -> ColumnElement[dt.date]:
    """The first day of the week (Monday), month or quarter ``expr`` falls in, in the database's SQL."""
    if dialect == "postgresql":
        return cast(func.date_trunc(grain, expr), Date)
    if grain == "week":
        weekday = (cast(func.strftime("%w", expr), Integer) + 6) % 7
        day = func.date(expr, literal("-") + cast(weekday, String) + literal(" days"))
    elif grain == "month":
        day = func.date(expr, "start of month")
    else:
        months = (cast(func.strftime("%m", expr), Integer) - 1) % 3
        day = func.date(expr, "start of month", literal("-") + cast(months, String) + literal(" months"))
    return type_coerce(day, Date)  # SQLite's CAST AS DATE would make a number of it


def select_columns(
    fields: dict[str, Expr], order: tuple[tuple[Expr, type], ...], subjects: dict[str, Expr] | None = None
) -> Select[Any]:
    """The fields, the keyset cursor's columns, and any subject identifiers the ledger records."""
    cursor = [column.label(f"_cursor{n}") for n, (column, _type) in enumerate(order)]
    behind = [expr.label(f"_subject_{name}") for name, expr in (subjects or {}).items()]
    return select(*(expr.label(name) for name, expr in fields.items()), *cursor, *behind)


def owned_by(owner: Expr) -> Scope:
    return lambda viewer: owner == viewer


class Cents(TypeDecorator[Decimal]):
    """A sum of money counted in whole cents in SQL, read back as an exact Decimal.

    SQLite keeps NUMERIC values as floating point: summing the amounts there would add floats, so each
    amount is rounded to an integer number of cents first, and integers add exactly on every database.
    """

    impl = Numeric(20, 0)
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(round(value)) / 100).quantize(CENT)


CENT = Decimal("0.01")


def in_cents(amount: Any) -> ColumnElement[Any]:
    """``amount`` rounded to whole cents, as an integer-valued SQL expression."""
    return func.round(amount * 100)


#: Kinds of subject the ledger records what a row is about.
ITEM = "item"
DOCUMENT = "document"
CUSTOMER = "customer"
#: One of the enterprise's own sites (plant, warehouse), by its code, however the row showed it.
SITE = "site"

#: Enterprise figures that more than one dataset shows, in whole or as a share of it.
DEMAND = "forecast demand"
PREVIOUS_DEMAND = "previous forecast demand"
SUPPLY_SHARE = "supply share"
STOCK_ON_HAND = "stock on hand"
CONSUMED = "consumption"
