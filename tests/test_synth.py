"""Properties of the synthetic history and agent pool (forecasts/synth.py) and of the shipped files."""

from __future__ import annotations

import datetime as dt
import gzip

import numpy as np
import pandas as pd
import pytest

from core.names import CHANNELS
from core.scenario import load_scenario
from forecasts.calendar import Calendar
from forecasts.synth import (
    DEFAULT_HISTORY,
    HISTORY_COLUMNS,
    SynthParams,
    generate_agents,
    generate_history,
    history_csv_text,
)
from scenarios import DEFAULT_AGENTS, DEFAULT_SCENARIO
from scheduler.agents import load_agents

SHORT = SynthParams(start_date=dt.date(2025, 10, 1), end_date=dt.date(2025, 11, 30))


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return generate_history()


@pytest.fixture(scope="module")
def hourly(history) -> pd.DataFrame:
    """The history with date, hour and day-type columns."""
    out = history.copy()
    out["date"] = out["interval_start"].str[:10]
    out["hour"] = out["interval_start"].str[11:13].astype(int)
    return out


@pytest.fixture(scope="module")
def daily(hourly) -> pd.DataFrame:
    """Daily totals per channel, with day type and whether the day is 'normal'
    (weekday or weekend, outside every promotion span and the Spring Festival season)."""
    tot = hourly.pivot_table(index="date", columns="channel", values="contacts", aggfunc="sum")
    tot = tot[list(CHANNELS)]
    days = pd.to_datetime(tot.index)
    cal = Calendar.cn()
    tot["day_type"] = [cal.day_type(d.date()) for d in days]
    tot["dow"] = days.day_of_week
    tot["year"] = days.year
    tot["month"] = days.month
    special = np.zeros(len(tot), dtype=bool)
    for promo in load_scenario(DEFAULT_SCENARIO).promotions:
        for year in range(2022, 2027):
            first, last = promo.span(year)
            special |= (days.date >= first) & (days.date <= last)
    for _year, eve in ((2023, "2023-01-21"), (2024, "2024-02-09"), (2025, "2025-01-28")):
        centre = pd.Timestamp(eve)
        special |= (days >= centre - pd.Timedelta(days=10)) & (days <= centre + pd.Timedelta(days=20))
    tot["normal"] = ~special & tot["day_type"].isin(["weekday", "weekend"])
    return tot


def _normal_weekdays(daily, **where):
    sel = daily["normal"] & (daily["day_type"] == "weekday")
    for key, value in where.items():
        sel &= daily[key] == value
    return daily[sel]


# -- structure and determinism ----------------------------------------------------------------
def test_frame_layout(history):
    n_days = (dt.date(2025, 12, 31) - dt.date(2023, 1, 1)).days + 1
    assert tuple(history.columns) == HISTORY_COLUMNS
    assert len(history) == n_days * 24 * 3
    assert history["interval_start"].iloc[0] == "2023-01-01T00:00"
    assert history["interval_start"].iloc[-1] == "2025-12-31T23:00"
    assert list(history["channel"].iloc[:6]) == ["chat", "phone", "email"] * 2
    assert history["interval_start"].is_monotonic_increasing
    assert history["contacts"].dtype.kind == "i" and (history["contacts"] >= 0).all()
    assert (history["aht_s"] > 0).all()
    assert np.allclose(history["aht_s"], history["aht_s"].round(1))
    assert (history["contacts"] == 0).any()  # zero rows are kept (phone at night)


def test_same_seed_same_frame_other_seed_differs():
    a = generate_history(SHORT)
    b = generate_history(SHORT)
    pd.testing.assert_frame_equal(a, b)
    c = generate_history(SynthParams(seed=SHORT.seed + 1, start_date=SHORT.start_date, end_date=SHORT.end_date))
    assert list(c["interval_start"]) == list(a["interval_start"])
    assert (c["contacts"] != a["contacts"]).mean() > 0.5


def test_zero_contact_rows_carry_the_base_aht_of_their_hour(hourly):
    p = SynthParams()
    zero = hourly[(hourly["contacts"] == 0) & (hourly["channel"] == "phone")]
    years = (pd.to_datetime(zero["date"]) - pd.Timestamp(p.start_date)).dt.days / 365.25
    expected = (p.aht_base_s["phone"] * np.array(p.aht_hourly["phone"])[zero["hour"]]
                * (1 + p.aht_trend_per_year) ** years)
    assert np.allclose(zero["aht_s"], expected, atol=0.051)


# -- scale, weekly and intraday shape ------------------------------------------------------------
@pytest.mark.parametrize("year", [2023, 2024, 2025])
def test_normal_weekday_scale(daily, year):
    days = _normal_weekdays(daily, year=year)
    assert len(days) > 100
    mean = days[list(CHANNELS)].mean()
    assert 1500 <= mean["chat"] <= 3000
    assert 200 <= mean["phone"] <= 400
    assert 100 <= mean["email"] <= 200
    # most single days stay in range too
    for ch, (lo, hi) in {"chat": (1500, 3000), "phone": (200, 400), "email": (100, 200)}.items():
        assert days[ch].between(lo, hi).mean() > 0.9, ch


def test_growth_over_the_years(daily):
    m23 = _normal_weekdays(daily, year=2023)[list(CHANNELS)].mean()
    m25 = _normal_weekdays(daily, year=2025)[list(CHANNELS)].mean()
    growth = (m25 / m23) ** 0.5 - 1
    assert ((growth > 0.08) & (growth < 0.2)).all()


def test_weekends_lower_for_phone_and_email_not_chat(daily):
    normal = daily[daily["normal"]]
    weekday = normal[normal["day_type"] == "weekday"][list(CHANNELS)].mean()
    weekend = normal[normal["day_type"] == "weekend"][list(CHANNELS)].mean()
    ratio = weekend / weekday
    assert 0.5 <= ratio["phone"] <= 0.7
    assert 0.5 <= ratio["email"] <= 0.7
    assert 0.93 <= ratio["chat"] <= 1.1


def test_chat_outside_service_hours_is_a_real_share(hourly):
    chat = hourly[hourly["channel"] == "chat"]
    outside = chat[(chat["hour"] < 9) | (chat["hour"] >= 18)]["contacts"].sum()
    share = outside / chat["contacts"].sum()
    assert 0.35 <= share <= 0.45


def test_intraday_shapes(hourly, daily):
    normal_days = daily.index[daily["normal"] & (daily["day_type"] == "weekday")]
    rows = hourly[hourly["date"].isin(normal_days)]
    by_hour = rows.pivot_table(index="hour", columns="channel", values="contacts", aggfunc="mean")
    chat, phone, email = by_hour["chat"], by_hour["phone"], by_hour["email"]
    assert chat[20:23].max() == chat.max()            # evening shopping peak
    assert chat[12] < min(chat[11], chat[14])         # lunch dip
    assert chat[3] > 0 and chat[3] < 0.1 * chat.max()  # nights low but not empty
    assert phone[9:18].sum() / phone.sum() > 0.85     # phone in office hours
    assert phone[10] > phone[12] < phone[15]
    assert email[9:23].min() > 0.5 * email.max()      # email flat over waking hours


# -- calendar -----------------------------------------------------------------------------------
def test_makeup_workday_behaves_like_a_weekday(daily):
    assert daily.loc["2025-09-28", "day_type"] == "makeup_workday"
    sep = daily[daily["normal"] & (daily["year"] == 2025) & (daily["month"] == 9)]
    weekday_phone = sep[sep["day_type"] == "weekday"]["phone"].mean()
    sunday_phone = sep[(sep["day_type"] == "weekend") & (sep["dow"] == 6)]["phone"].mean()
    phone = daily.loc["2025-09-28", "phone"]
    assert abs(phone - weekday_phone) < abs(phone - sunday_phone)


def test_makeup_workday_has_the_weekday_intraday_shape(hourly, daily):
    makeup = daily.index[daily["day_type"] == "makeup_workday"]
    weekend = daily.index[daily["normal"] & (daily["day_type"] == "weekend")]
    chat = hourly[hourly["channel"] == "chat"]

    def morning_share(days):
        sel = chat[chat["date"].isin(days)]
        return sel[sel["hour"].between(8, 10)]["contacts"].sum() / sel["contacts"].sum()

    assert morning_share(makeup) > morning_share(weekend) * 1.1


def test_spring_festival_statutory_days_are_low(daily):
    stat = daily[(daily["day_type"] == "statutory_holiday")]
    for year, _month in ((2023, 1), (2024, 2), (2025, 1)):
        sf_days = [d for d in stat.index if d.startswith(str(year))
                   and Calendar.cn().day_info(dt.date.fromisoformat(d))[1] == "Spring Festival"]
        assert len(sf_days) >= 3
        ref = _normal_weekdays(daily, year=year)
        ref = ref[ref["month"].between(2, 4)][list(CHANNELS)].mean()
        ratio = daily.loc[sf_days, list(CHANNELS)].mean() / ref
        assert (ratio < 0.55).all(), (year, ratio.to_dict())
        assert (ratio > 0.15).all(), (year, ratio.to_dict())


def test_national_day_moderately_lower(daily):
    nd = daily.loc["2025-10-01":"2025-10-03", "chat"].mean()
    sep_weekend = daily[daily["normal"] & (daily["year"] == 2025) & (daily["month"] == 9)
                        & (daily["day_type"] == "weekend")]["chat"].mean()
    assert 0.65 < nd / sep_weekend < 0.95


# -- promotions ---------------------------------------------------------------------------------
def _normal_hour_mean(hourly, daily, channel, hour, year, months):
    days = daily.index[daily["normal"] & (daily["year"] == year) & daily["month"].isin(months)]
    sel = hourly[(hourly["channel"] == channel) & (hourly["hour"] == hour) & hourly["date"].isin(days)]
    return sel["contacts"].mean()


def _at(hourly, stamp, channel="chat"):
    row = hourly[(hourly["interval_start"] == stamp) & (hourly["channel"] == channel)]
    return int(row["contacts"].iloc[0])


@pytest.mark.parametrize("year", [2023, 2024, 2025])
def test_double11_midnight_surge(hourly, daily, year):
    ref = _normal_hour_mean(hourly, daily, "chat", 0, year, [9, 10, 11, 12])
    assert _at(hourly, f"{year}-11-11T00:00") > 5 * ref
    assert _at(hourly, f"{year}-11-11T01:00") > 3 * _normal_hour_mean(hourly, daily, "chat", 1, year, [9, 10, 11, 12])


@pytest.mark.parametrize("stamp", ["2023-10-24T20:00", "2024-10-14T20:00", "2025-10-15T20:00",  # events_cn.csv
                                   "2023-05-26T20:00", "2024-05-20T20:00", "2025-05-13T20:00",
                                   "2025-05-30T20:00",
                                   "2025-03-05T20:00", "2024-12-09T20:00"])               # month-day rule
def test_presale_openings_surge_at_20h(hourly, daily, stamp):
    year = int(stamp[:4])
    ref = _normal_hour_mean(hourly, daily, "chat", 20, year, range(1, 13))
    assert _at(hourly, stamp) > 2.5 * ref
    # and the hour before is not a surge
    before = stamp[:11] + "19:00"
    assert _at(hourly, before) < 2.0 * _normal_hour_mean(hourly, daily, "chat", 19, year, range(1, 13))


def test_double11_day_and_after_sale_tail(daily):
    ref = _normal_weekdays(daily, year=2025)
    ref = ref[ref["month"].isin([9, 12])][list(CHANNELS)].mean()
    main = daily.loc["2025-11-11", list(CHANNELS)] / ref
    assert 2.8 < main["chat"] < 4.5
    day1 = daily.loc["2025-11-12", list(CHANNELS)] / ref
    assert day1["phone"] > 1.4 and day1["email"] > 1.4
    assert day1["phone"] > day1["chat"]  # after-sale work lands on phone and email
    late = daily.loc["2025-11-24":"2025-11-25", "phone"].mean() / ref["phone"]
    assert late < day1["phone"]


def test_aht_rises_in_the_after_sale_tail(hourly):
    def weighted_aht(first, last, channel):
        sel = hourly[(hourly["channel"] == channel) & hourly["date"].between(first, last)]
        return np.average(sel["aht_s"], weights=sel["contacts"])

    for channel in ("phone", "email"):
        ratio = weighted_aht("2025-11-12", "2025-11-14", channel) / weighted_aht("2025-09-08", "2025-09-19", channel)
        assert 1.05 < ratio < 1.2, channel


def test_aht_bases_are_plausible(history):
    for channel, (lo, hi) in {"chat": (380, 460), "phone": (240, 300), "email": (320, 400)}.items():
        sel = history[history["channel"] == channel]
        assert lo < np.average(sel["aht_s"], weights=sel["contacts"]) < hi


# -- noise --------------------------------------------------------------------------------------
@pytest.mark.parametrize("channel,hours,floor", [("chat", range(10, 23), 1.5), ("phone", range(9, 18), 1.1)])
def test_hourly_counts_are_overdispersed(hourly, daily, channel, hours, floor):
    """variance/mean of the count at a fixed hour across normal Tue-Thu weekdays of 2024 (Poisson: 1)."""
    days = _normal_weekdays(daily, year=2024)
    days = days[days["dow"].between(1, 3)].index
    sel = hourly[(hourly["channel"] == channel) & hourly["date"].isin(days)]
    assert sel["date"].nunique() >= 50
    by_hour = sel.groupby("hour")["contacts"]
    ratio = (by_hour.var() / by_hour.mean())[list(hours)]
    assert (ratio > 1).mean() >= 0.8
    assert ratio.median() > floor


def test_daily_totals_are_overdispersed(daily):
    """The per-day level shock shows in daily totals even for email (~10 emails an hour)."""
    days = _normal_weekdays(daily, year=2024)
    days = days[days["dow"].between(1, 3) & days["month"].between(7, 9)]
    assert len(days) >= 20
    ratio = days[list(CHANNELS)].var() / days[list(CHANNELS)].mean()
    assert (ratio > 1.2).all(), ratio.to_dict()


# -- shipped files ------------------------------------------------------------------------------
def test_bundled_history_equals_a_fresh_generation(history):
    assert DEFAULT_HISTORY.is_file(), "run python -m forecasts.synth"
    assert DEFAULT_HISTORY.stat().st_size < 1_500_000
    shipped = gzip.decompress(DEFAULT_HISTORY.read_bytes()).decode("utf-8")
    assert shipped == history_csv_text(history)


def test_bundled_agents_load_and_cover_the_channels():
    agents = load_agents(DEFAULT_AGENTS)
    assert 40 <= len(agents) <= 60
    assert sum(a.can("email") for a in agents) >= 6
    assert sum(a.can("phone") for a in agents) >= 20
    assert sum(a.can("chat") for a in agents) >= 30
    assert len({a.name for a in agents}) == len(agents)
    for a in agents:
        if a.contract == "full_time":
            assert 36 <= a.hourly_cost <= 46 and a.max_weekly_h is None
        else:
            assert 28 <= a.hourly_cost <= 34 and a.max_weekly_h == 24
        assert (a.hourly_cost * 2).is_integer()
    on_leave = [a for a in agents if a.unavailable]
    assert 1 <= len(on_leave) <= 5
    assert all(d.year == 2025 for a in on_leave for d in a.unavailable)
    assert DEFAULT_AGENTS.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM for Excel
    shipped = pd.read_csv(DEFAULT_AGENTS, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    pd.testing.assert_frame_equal(shipped, generate_agents().astype(str).replace("nan", ""), check_dtype=False)


def test_agent_generator_is_seeded_and_scales():
    assert generate_agents(seed=1).equals(generate_agents(seed=1))
    small = generate_agents(n_full_time=8, n_part_time=2, seed=3)
    assert len(small) == 10 and small["agent_id"].is_unique and small["name"].is_unique
    assert list(small["agent_id"][:2]) == ["A001", "A002"]
    assert (small["contract"] == "part_time").sum() == 2
