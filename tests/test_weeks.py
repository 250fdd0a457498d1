import datetime as dt

import pytest

from core.errors import InputError
from scheduler.weeks import parse_week


@pytest.mark.parametrize("text", ["2025-W46", "2025-46", "2025-11-12", "2025-11-16", "2025-11-10", "2025-w46"])
def test_week_46(text):
    w = parse_week(text)
    assert (w.start_date, w.end_date) == (dt.date(2025, 11, 10), dt.date(2025, 11, 16))


def test_week_11_describe():
    assert parse_week("2025-11").describe() == "2025-W11: Mon 2025-03-10 .. Sun 2025-03-16"


def test_iso_week_crossing_the_year():
    w = parse_week("2026-W01")
    assert w.start_date == dt.date(2025, 12, 29)
    assert parse_week("2025-12-31").label == "2026-W01"


@pytest.mark.parametrize("text", ["2025-54", "next week", "2025-02-30", ""])
def test_bad_weeks(text):
    with pytest.raises(InputError, match="--week"):
        parse_week(text)
