"""Dated campaign instances: the events CSV, the scenario key, the phases, and effects learned from an
instance at other dates."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from core.errors import InputError
from core.events import read_events_csv
from core.promotions import promotion_days
from core.scenario import load_scenario
from forecasts import markets
from forecasts.calendar import Calendar
from forecasts.days import phase_key
from forecasts.models import ForecastConfig, forecast_range
from scenarios import DEFAULT_SCENARIO, SCENARIO_DIR

D = dt.date
HEADER = "event,main_day,start,end,presale_at\n"
GOOD = (HEADER + "618,2024-06-18,2024-05-20,2024-06-28,2024-05-20T20:00\n"
        "618,2025-06-18,2025-05-13,2025-06-28,2025-05-13T20:00;2025-05-30T20:00\n")


def write(tmp_path, text: str, name: str = "events.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- parsing ---------------------------------------------------------------------------------------------
def test_the_issue_example_parses(tmp_path):
    ev = read_events_csv(write(tmp_path, GOOD))
    assert [e.main_day for e in ev] == [D(2024, 6, 18), D(2025, 6, 18)]
    assert ev[1].start == D(2025, 5, 13) and ev[1].end == D(2025, 6, 28)
    assert ev[1].presale_at == (dt.datetime(2025, 5, 13, 20), dt.datetime(2025, 5, 30, 20))
    assert ev[1].lead_days == 36 and ev[1].tail_days == 10


def test_comments_bom_and_optional_presale(tmp_path):
    text = ("\ufeff# where the dates come from\nevent,main_day,start,end\n\n# a comment line\n"
            "sale,2025-03-08,2025-03-05,2025-03-13\n")
    ev = read_events_csv(write(tmp_path, text))
    assert len(ev) == 1 and ev[0].presale_at == () and ev[0].event == "sale"
    blank = read_events_csv(write(tmp_path, HEADER + "sale,2025-03-08,2025-03-05,2025-03-13,\n", "b.csv"))
    assert blank[0].presale_at == ()


def test_the_bundled_calendar_reads_and_the_baseline_uses_it():
    ev = read_events_csv(SCENARIO_DIR / "events_cn.csv")
    assert {(e.event, e.main_day.year) for e in ev} >= {("618", y) for y in (2023, 2024, 2025)} | {
        ("double11", y) for y in (2023, 2024, 2025)}
    sc = load_scenario(DEFAULT_SCENARIO)
    assert sc.events_file.endswith("events_cn.csv") and len(sc.events) == len(ev)


@pytest.mark.parametrize("row, line, field, words", [
    ("618,2025-06-31,2025-05-13,2025-06-28,", 2, "main_day", "not a date"),
    ("618,2025-06-18,13/05/2025,2025-06-28,", 2, "start", "not a date"),  # day first: ambiguous
    ("618,2025-06-18,2025-05-13 09:30,2025-06-28,", 2, "start", "not a date"),
    ("618,2025-06-18,2025-05-13,2025-05-01,", 2, "end", "before start"),
    ("618,2025-07-18,2025-05-13,2025-06-28,", 2, "main_day", "outside"),
    ("618,2025-06-18,2025-05-13,2025-06-28,2025-05-13 20h", 2, "presale_at", "not a time"),
    ("618,2025-06-18,2025-05-13,2025-06-28,2025-05-13T20:00;tomorrow", 2, "presale_at", "not a time"),
    ("618,2025-06-18,2025-05-13,2025-06-28,2025-05-01T20:00", 2, "presale_at", "outside"),
    ("618,2025-06-18,2025-05-13,2025-06-28,2025-06-20T20:00", 2, "presale_at", "outside"),
    (",2025-06-18,2025-05-13,2025-06-28,", 2, "event", "empty event"),
    ("618,2025-06-18,2024-06-18,2025-06-28,", 2, "start", "a lead of 365 days"),
    ("618,2025-06-18,2025-05-13,2025-12-31,", 2, "end", "a tail of 196 days"),
])
def test_bad_rows_name_file_row_and_field(tmp_path, row, line, field, words):
    path = write(tmp_path, HEADER + row + "\n")
    with pytest.raises(InputError) as err:
        read_events_csv(path)
    msg = str(err.value)
    assert f"{path}:{line}" in msg and f"field '{field}'" in msg and words in msg
    assert "\n" not in msg


@pytest.mark.parametrize("text, encoding", [
    (HEADER + "618,2025/6/18,2025/5/13,2025/6/28,2025/5/13 20:00\n", "utf-8"),        # as Excel writes dates
    (HEADER.replace(",", ";") + '618;2025-06-18;2025-05-13;2025-06-28;"2025-05-13 20:00"\n', "utf-8"),
    (HEADER.replace(",", "\t") + "618\t2025年6月18日\t2025年5月13日\t2025年6月28日\t2025-05-13T12:00Z\n", "gbk"),
    ("# 天猫 618\n" + HEADER + "618,2025-06-18,2025-05-13,2025-06-28,2025-05-13 20:00:00+08:00\n", "utf-16"),
])
def test_the_forms_every_other_reader_takes_read_alike(tmp_path, text, encoding):
    """The events file was read by its own parser: UTF-8 and commas only, dates YYYY-MM-DD and times
    YYYY-MM-DDTHH:MM, so 2025/6/18, a semicolon file and a presale `2025-05-13 20:00` were refused while
    the history, requests and calendar readers took them. Now it is read by core.csvio and core.values."""
    path = tmp_path / "events.csv"
    path.write_bytes(text.encode(encoding))
    (got,) = read_events_csv(path)
    assert (got.event, got.main_day, got.start, got.end) == ("618", D(2025, 6, 18), D(2025, 5, 13), D(2025, 6, 28))
    assert got.presale_at == (dt.datetime(2025, 5, 13, 20),)


def test_a_row_longer_than_the_header_is_refused_naming_its_line(tmp_path):
    """The shared reader let pandas take the first column for an index (every column shifted by one)."""
    path = write(tmp_path, "# a note\nevent,main_day,start,end\n618,2025-06-18,2025-05-13,2025-06-28,x\n")
    with pytest.raises(InputError, match=r"events.csv:3: 5 cells for the header's 4 columns"):
        read_events_csv(path)


def test_rows_are_numbered_as_file_lines_with_comments(tmp_path):
    path = write(tmp_path, "# one\n# two\n" + HEADER + "618,2025-06-18,2025-05-13,2025-04-28,\n")
    with pytest.raises(InputError, match=r"events.csv:4, field 'end'"):
        read_events_csv(path)


@pytest.mark.parametrize("text, field, words", [
    ("event,main_day,start,end,presale,notes\n", "presale", "unknown column"),
    ("event,main_day,start\n", "end", "missing column"),
    (HEADER + "618,2025-06-18,2025-05-13,2025-06-28,\n618,2025-06-19,2025-05-20,2025-06-28,\n", "main_day",
     "listed twice"),
    (HEADER, None, "no rows"),
    ("# only a comment\n", None, "empty"),
    ("event,main_day,start,end,start\n618,2025-06-18,2025-05-13,2025-06-28,2025-05-13\n", "start", "appears twice"),
])
def test_bad_files_are_refused(tmp_path, text, field, words):
    path = write(tmp_path, text)
    with pytest.raises(InputError, match=words) as err:
        read_events_csv(path)
    if field:
        assert f"field '{field}'" in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="events file not found"):
        read_events_csv(tmp_path / "nope.csv")


# -- the scenario key and the phases -------------------------------------------------------------------------
def test_scenario_key_is_relative_to_the_file_and_replaces_the_rule_for_listed_years(tmp_path):
    (tmp_path / "cal").mkdir()
    write(tmp_path / "cal", HEADER + "618,2024-06-20,2024-05-20,2024-06-28,2024-05-20T20:00\n", "dates.csv")
    scen = tmp_path / "cal" / "shop.toml"
    scen.write_text(f'extends = "{DEFAULT_SCENARIO}"\nevents = "dates.csv"\n', encoding="utf-8")
    sc = load_scenario(scen)
    assert sc.events_file == str((tmp_path / "cal" / "dates.csv").resolve())
    days = [D(2024, 6, 18), D(2024, 6, 20), D(2025, 6, 18)]
    # 2024 from the file (main day moved to 06-20), 2025 by the month-day rule
    assert sc.promotion_main_days(days) == {D(2024, 6, 20): "618", D(2025, 6, 18): "618"}
    phases = sc.promotion_days(D(2024, 5, 19), D(2024, 6, 29))
    assert D(2024, 5, 19) not in phases and D(2024, 6, 29) not in phases
    first = phases[D(2024, 5, 20)]
    assert first.lead_index == 0 and first.presale_hours == (20,) and first.dated
    assert phases[D(2024, 6, 21)].offset == 1


def test_scenario_naming_a_missing_events_file(tmp_path):
    scen = tmp_path / "shop.toml"
    scen.write_text(f'extends = "{DEFAULT_SCENARIO}"\nevents = "gone.csv"\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"shop.toml, field 'events': events file .*gone.csv not found"):
        load_scenario(scen)


def test_phase_keys_align_on_lead_start_and_on_main_day():
    assert phase_key(0, -1) == "main" and phase_key(3, -1) == "tail+3"
    assert phase_key(-1, 35) == "to-1" and phase_key(-7, 29) == "to-7"
    assert phase_key(-20, 0) == "lead#0" and phase_key(-20, 2) == "lead#2" and phase_key(-20, 9) == "lead"


def test_events_only_drops_the_rule():
    ev = read_events_csv(SCENARIO_DIR / "events_cn.csv")
    sc = load_scenario(DEFAULT_SCENARIO)
    rule = promotion_days(sc.promotions, D(2026, 6, 1), D(2026, 6, 30), ev)
    assert any(e.promo == "618" for e in rule.values())          # 2026 is not listed: the rule
    none = promotion_days(sc.promotions, D(2026, 6, 1), D(2026, 6, 30), ev, events_only=True)
    assert none == {}


# -- an effect learned from an instance at other dates --------------------------------------------------------
@pytest.fixture(scope="module")
def moved():
    return markets.moved_presale()


def _scenario(events):
    base = load_scenario(DEFAULT_SCENARIO)
    sc = base.model_copy(update={"promotions": [p for p in base.promotions if p.name in ("618", "double11")]})
    return sc.with_events(events, "<test>")


def _wape(market, fc, start, days=7):
    err = tot = 0.0
    for ch in market.expected:
        f = fc[fc["channel"] == ch].sort_values("interval_start")["contacts"].to_numpy().reshape(days, 24)
        t = market.truth(ch, start, days)
        err += np.abs(f - t).sum()
        tot += t.sum()
    return err / tot


def test_presale_surge_learned_from_past_instances_lands_on_this_years_date(moved):
    """Double 11 2025 opens Oct 10 20:00; past openings were Oct 31 2023 and Oct 20 2024 (other days, other
    distances from the main day). The forecast puts the learned surge on Oct 10, 20:00."""
    start = D(2025, 10, 6)
    fc, _ = forecast_range(moved.history, _scenario(moved.events), Calendar.none(), start, 7, ForecastConfig())
    chat = fc[fc["channel"] == "chat"].set_index("interval_start")["contacts"]
    opening = chat["2025-10-10 20:00"]
    assert opening > 2.2 * chat["2025-10-09 20:00"]
    truth = moved.truth("chat", start, 7)
    assert opening == pytest.approx(truth[4, 20], rel=0.2)
    # with the events file the week is forecast well; by the month-day rule it is not
    with_file = _wape(moved, fc, start)
    rule, _ = forecast_range(moved.history, _scenario([]), Calendar.none(), start, 7, ForecastConfig())
    assert with_file <= 0.12 and with_file < 0.6 * _wape(moved, rule, start)


def test_lead_plateau_learned_from_instances_of_other_lengths(moved):
    """618 2025 starts May 15 (a 34-day lead; 2023: 18 days, 2024: 25 days): its plateau days are forecast
    at the plateau the past instances showed, not at a normal day's level."""
    start = D(2025, 5, 19)
    fc, _ = forecast_range(moved.history, _scenario(moved.events), Calendar.none(), start, 7, ForecastConfig())
    f = fc[fc["channel"] == "chat"]["contacts"].to_numpy().reshape(7, 24).sum(axis=1)
    t = moved.truth("chat", start, 7).sum(axis=1)
    assert np.abs(f / t - 1).max() < 0.08
