"""Which weeks of each month a forecast covers, so a month the horizon cuts reads as partial."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def mondays_of(month: dt.date) -> list[dt.date]:
    """The Mondays of ``month``: the weeks a monthly sum holds (a week counts in its Monday's month)."""
    first = month.replace(day=1)
    day, end = first + dt.timedelta(days=(7 - first.weekday()) % 7), _next_month(first)
    mondays = []
    while day < end:
        mondays.append(day)
        day += dt.timedelta(weeks=1)
    return mondays


def month_weeks(weeks: Iterable[dt.date]) -> dict[dt.date, tuple[int, int]]:
    """Each month (its first day) to (weeks of it the forecast covers, weeks it has).

    The forecast covers every week from the first to the last of ``weeks``; a month its horizon starts
    or ends in covers fewer than it has, and its sum is of those weeks only.
    """
    shown = sorted(set(weeks))
    if not shown:
        return {}
    first, last = shown[0], shown[-1]
    covered: dict[dt.date, tuple[int, int]] = {}
    month = first.replace(day=1)
    while month <= last:
        mondays = mondays_of(month)
        covered[month] = (sum(1 for d in mondays if first <= d <= last), len(mondays))
        month = _next_month(month)
    return covered
