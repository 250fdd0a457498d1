import datetime as dt

import pandas as pd
import pytest

from core.errors import InputError
from forecasts.calendar import Calendar, read_calendar_csv

D = dt.date


@pytest.fixture(scope="module")
def cn():
    return Calendar.cn()


def test_matches_official_list(cn, shared_file):
    """Every day of the official 2025-2026 notices has the right kind, and no other day is special."""
    ref = pd.read_csv(shared_file("cn_holidays_2025_2026.csv"))
    listed = {}
    for r in ref.itertuples():
        listed[D.fromisoformat(r.date)] = r.kind
    day = D(2025, 1, 1)
    while day <= D(2026, 10, 31):  # chinese-calendar's table reaches Oct 2026
        t = cn.day_type(day)
        kind = listed.get(day)
        if kind == "holiday":
            assert t in ("statutory_holiday", "holiday_rest_day"), day
        elif kind == "makeup_workday":
            assert t == "makeup_workday", day
        else:
            assert t == ("weekend" if day.weekday() >= 5 else "weekday"), day
        day += dt.timedelta(days=1)


@pytest.mark.parametrize("year", [2025, 2026])
def test_thirteen_statutory_days(cn, year):
    """From 2025 a year has 13 statutory holiday days."""
    n = sum(cn.day_type(D(year, 1, 1) + dt.timedelta(days=i)) == "statutory_holiday" for i in range(365))
    assert n == 13


def test_national_day_2025(cn):
    assert cn.day_type(D(2025, 10, 6)) == "statutory_holiday"  # Mid-Autumn
    assert cn.day_type(D(2025, 10, 7)) == "holiday_rest_day"
    assert cn.day_type(D(2025, 10, 8)) == "holiday_rest_day"
    assert cn.day_type(D(2025, 10, 11)) == "makeup_workday"
    assert cn.day_type(D(2025, 9, 28)) == "makeup_workday"


def test_spring_festival_2025_statutory_days(cn):
    stat = [d for d in (D(2025, 1, 28) + dt.timedelta(days=i) for i in range(8))
            if cn.day_type(d) == "statutory_holiday"]
    assert stat == [D(2025, 1, 28), D(2025, 1, 29), D(2025, 1, 30), D(2025, 1, 31)]  # eve + first 3 days


def test_none_calendar_has_only_weekdays_and_weekends():
    c = Calendar.none()
    assert c.day_type(D(2025, 10, 1)) == "weekday"
    assert c.day_type(D(2025, 10, 11)) == "weekend"


def test_uncovered_year_names_the_override_option(cn):
    with pytest.raises(InputError, match="--calendar PATH"):
        cn.check_covers(D(2031, 1, 1), D(2031, 1, 7))


def test_override_csv_extends_the_calendar(tmp_path):
    p = tmp_path / "cal.csv"
    p.write_text("date,name,kind\n2031-01-01,New Year,statutory_holiday\n2031-01-04,NY makeup,makeup_workday\n")
    c = Calendar.from_option(p)
    c.check_covers(D(2031, 1, 1), D(2031, 1, 7))
    assert c.day_type(D(2031, 1, 1)) == "statutory_holiday"
    assert c.day_type(D(2031, 1, 4)) == "makeup_workday"
    assert c.day_type(D(2031, 1, 2)) == "weekday"


def test_override_csv_in_chinese_reads_as_the_english_one(tmp_path):
    p = tmp_path / "cal.csv"
    p.write_text("date,name,kind\n2031-01-01,New Year,statutory_holiday\n2031-01-04,NY makeup,makeup_workday\n"
                 "2031-01-05,x,holiday\n")
    q = tmp_path / "cal_zh.csv"
    q.write_bytes("日期,名称,类型\n2031/1/1,New Year,法定节假日\n2031年1月4日,NY makeup,补班\n2031-01-05,x,节假日\n"
                  .encode("gbk"))
    assert read_calendar_csv(q) == read_calendar_csv(p)


def test_override_csv_errors_name_row_and_field(tmp_path):
    p = tmp_path / "cal.csv"
    p.write_text("date,name,kind\n2031-01-01,New Year,holiday\n2031-13-01,bad,holiday\n")
    with pytest.raises(InputError, match=r"cal.csv:3, field 'date'"):
        read_calendar_csv(p)
    p.write_text("date,name,kind\n2031-01-01,New Year,party\n")
    with pytest.raises(InputError, match=r"cal.csv:2, field 'kind'"):
        read_calendar_csv(p)
