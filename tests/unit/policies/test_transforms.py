"""Transforms on whole columns, their ranking, and their words."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from policies.transforms import Context, Transform, Unrankable, column, less_disclosing

CTX = Context(viewer_partner_id=7, secret=b"k", today=dt.date(2026, 11, 25), regions={"SH01": "East China"})


@pytest.mark.parametrize(
    ("transform", "values", "expected"),
    [
        (Transform("round", (Decimal(100), "floor")), [1234, 99, None], [Decimal(1200), Decimal(0), None]),
        (Transform("round", (Decimal(10), "nearest")), [1235, 1234], [Decimal(1240), Decimal(1230)]),
        (
            Transform(
                "band", ((Decimal(0), "out"), (Decimal(100), "low"), (Decimal(1000), "ok"), (None, "high"))
            ),
            [0, 1, 100, 101, 5000],
            ["out", "low", "low", "ok", "high"],
        ),
        (Transform("cap", (Decimal(500),)), [20, 900], [Decimal(20), Decimal(500)]),
        (Transform("generalize", ("region",)), ["SH01", "XX"], ["East China", "?"]),
        (Transform("generalize", ("week",)), [dt.date(2026, 11, 27)], [dt.date(2026, 11, 23)]),
        (Transform("generalize", ("month",)), [dt.date(2026, 11, 27)], [dt.date(2026, 11, 1)]),
        (
            Transform("delay", (2,)),
            [dt.date(2026, 11, 24), dt.date(2026, 11, 23)],
            [None, dt.date(2026, 11, 23)],
        ),
        (Transform("mask", (4,)), ["DE89370400440532013000"], ["••••••••••••••••••3000"]),
        (Transform("hidden"), [1, 2], [None, None]),
    ],
)
def test_transforms_turn_a_column_into_what_may_be_shown(transform, values, expected):
    assert column(transform, CTX)(values) == expected


def test_pseudonyms_are_stable_per_viewer_differ_between_viewers_and_rotate():
    name = Transform("pseudonymize", ("2026-Q4",))
    mine = column(name, CTX)(["CUS-001", "CUS-001", "CUS-002"])
    assert mine[0] == mine[1] != mine[2]
    assert mine[0].startswith("P-")
    theirs = column(name, Context(viewer_partner_id=8, secret=b"k"))(["CUS-001"])
    assert theirs[0] != mine[0]
    rotated = column(Transform("pseudonymize", ("2027-Q1",)), CTX)(["CUS-001"])
    assert rotated[0] != mine[0]


def test_the_less_disclosing_transform_wins_within_a_family_and_against_exact_or_hidden():
    coarse, fine = Transform("round", (Decimal(100), "floor")), Transform("round", (Decimal(10), "floor"))
    assert less_disclosing(coarse, fine) == coarse
    assert less_disclosing(Transform("exact"), fine) == fine
    assert less_disclosing(Transform("hidden"), fine) == Transform("hidden")
    with pytest.raises(Unrankable):
        less_disclosing(coarse, Transform("band", ((Decimal(1), "low"), (None, "high"))))


def test_transforms_describe_themselves_in_plain_words():
    assert Transform("round", (Decimal(100), "floor")).describe() == "rounded down to 100"
    assert Transform("band", ((Decimal(0), "out"), (None, "ok"))).describe() == "shown as out / ok"
    assert Transform("generalize", ("region",)).describe() == "shown as its region"
