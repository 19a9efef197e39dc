"""Which weeks of each month a forecast covers: a month the horizon cuts is counted, not taken as whole."""

from __future__ import annotations

import datetime as dt

from portal.supplier.months import mondays_of, month_weeks


def test_a_month_holds_the_weeks_whose_monday_falls_in_it():
    assert mondays_of(dt.date(2026, 11, 17)) == [dt.date(2026, 11, d) for d in (2, 9, 16, 23, 30)]
    assert mondays_of(dt.date(2027, 2, 1)) == [dt.date(2027, 2, d) for d in (1, 8, 15, 22)]
    assert mondays_of(dt.date(2026, 6, 1)) == [dt.date(2026, 6, d) for d in (1, 8, 15, 22, 29)]


def test_twelve_weeks_from_the_last_week_of_november_cover_one_week_of_it_and_part_of_february():
    weeks = [dt.date(2026, 11, 30) + dt.timedelta(weeks=n) for n in range(12)]
    assert month_weeks(weeks) == {
        dt.date(2026, 11, 1): (1, 5),
        dt.date(2026, 12, 1): (4, 4),
        dt.date(2027, 1, 1): (4, 4),
        dt.date(2027, 2, 1): (3, 4),
    }


def test_weeks_without_demand_inside_the_span_still_count_as_covered():
    # Demand every other week: the forecast still covers the weeks between.
    assert month_weeks([dt.date(2027, 1, 4), dt.date(2027, 1, 18), dt.date(2027, 2, 1)]) == {
        dt.date(2027, 1, 1): (4, 4),
        dt.date(2027, 2, 1): (1, 4),
    }
    assert month_weeks([]) == {}
