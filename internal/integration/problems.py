"""What is wrong with an import file, said so that someone can fix it: file, row or path, field, expectation.

A problem keeps its message's key and values rather than a sentence, so the console shows it in the
reader's language long after the job ran.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from dataclasses import field as default
from typing import Any

from flask_babel import lazy_gettext as _l

#: Every message a problem can carry, by key.
MESSAGES = {
    "required": _l("a value is required"),
    "too_long": _l("expected at most %(length)s characters, got %(got)s"),
    "not_integer": _l("expected a whole number, got %(value)s"),
    "not_number": _l("expected a number, got %(value)s"),
    "too_many_decimals": _l("expected at most %(places)s decimal places, got %(value)s"),
    "below_minimum": _l("expected %(minimum)s or more, got %(value)s"),
    "above_maximum": _l("expected %(maximum)s or less, got %(value)s"),
    "not_date": _l("expected a date like 2026-12-07, got %(value)s"),
    "not_monday": _l("expected a Monday (weeks start on Monday), got %(value)s"),
    "not_datetime": _l("expected a UTC time like 2026-12-07T09:30:00Z, got %(value)s"),
    "not_bool": _l("expected true or false, got %(value)s"),
    "not_choice": _l(
        "expected one of %(choices)s (or a code the %(kind)s mapping translates), got %(value)s"
    ),
    "unknown_reference": _l("%(value)s is not a known %(what)s, in the database or in this file"),
    "unknown_line": _l(
        "%(value)s is not a line of %(what)s %(document)s; expected one of its lines: %(lines)s"
    ),
    "duplicate_key": _l("the same %(key)s appears again (first at %(first)s)"),
    "unknown_column": _l("unknown column; expected some of %(columns)s"),
    "missing_column": _l("the column is missing; the first row must name %(columns)s"),
    "unknown_record": _l("unknown record kind %(value)s; expected one of %(kinds)s"),
    "not_object": _l("expected a JSON object, got %(value)s"),
    "not_list": _l("expected a JSON list, got %(value)s"),
    "unreadable": _l("the file could not be read: %(reason)s"),
    "wrong_type": _l("expected a %(expected)s file for this source system"),
    "empty": _l("the file holds no rows"),
    "shares_total": _l("the shares of the suppliers of %(item)s add up to %(total)s; expected 100"),
    "missing_rows": _l(
        "%(count)s rows are in the database but not in the file; kept. For example: %(examples)s"
    ),
    "not_removed": _l(
        "%(count)s rows not in the file could not be removed: other records still refer to them"
    ),
}


def row_label(n: int) -> str:
    return str(_l("row %(n)s", n=n))


@dataclass(frozen=True)
class Problem:
    file: str
    #: "row 7" in a CSV or XLSX sheet (with the sheet's name), a JSON path such as $.sales_orders[3].lines[0].
    where: str
    field: str
    key: str
    params: dict[str, Any] = default(default_factory=dict)

    @property
    def message(self) -> str:
        """The expectation, in the current language (English outside a request)."""
        return str(MESSAGES[self.key]) % {k: repr(v) if k == "value" else v for k, v in self.params.items()}

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.where, self.field) if p]
        return f"{', '.join(parts)}: {self.message}"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Problem:
        return cls(**data)


class ImportRefused(ValueError):
    """A file had errors and wrote nothing; ``problems`` says what to fix."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems[:5]))
        self.problems = problems
