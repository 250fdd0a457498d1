"""``schedule plan --month`` and ``--weeks`` through typer's CliRunner, and holiday weeks of the default
scenario as a new user plans them. The solves of whole weeks, months and chains are marked slow."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from test_cli import run

from scheduler.chain import YEAR_CHART, YEAR_SUMMARY
from scheduler.plan_folder import COMP_OFF, LEDGER_FILES, MONTH_OVERTIME, PLAN_FILES

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("args, needle", [
    (["--week", "2025-W40", "--month", "2025-10"], "give exactly one of --week, --month or --weeks"),
    ([], "give exactly one of --week, --month or --weeks"),
    (["--month", "2025-13"], "'2025-13' is not a month"),
    (["--weeks", "2025-W42:2025-W40"], "2025-W40 comes before 2025-W42"),
    (["--weeks", "2025-W40"], "is not a range of weeks"),
    (["--week", "2025-W40", "--resume"], "--resume continues a chain of --weeks"),
    (["--weeks", "2025-W40:2025-W41", "--simulate"], "--published and --simulate are for one week"),
    (["--month", "2025-10", "--published", "x"], "--published re-plans one week"),
])
def test_horizon_options_are_checked_in_one_line(tmp_path, args, needle):
    result = run("plan", *args, "--out", tmp_path / "o")
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], result.stderr
    assert not (tmp_path / "o").exists()


def test_a_previous_plan_with_a_broken_ledger_is_a_one_line_error(tmp_path):
    prev = tmp_path / "prev"
    prev.mkdir()
    (prev / "shifts.csv").write_text("agent_id,agent_name,date,shift_start,shift_end,lunch_start,lunch_end,"
                                     "paid_hours\n")
    (prev / COMP_OFF).write_text("agent_id,earned_on,due_by,given_on\nA001,2025-10-04,2025-11-02,someday\n")
    result = run("plan", "--week", "2025-W41", "--previous", prev, "--out", tmp_path / "o")
    assert result.exit_code == 2
    assert "comp_off.csv:2, field 'given_on': 'someday' is not a date" in result.stderr
    assert not (tmp_path / "o").exists()


# -- the default scenario's holiday weeks, as a new user plans them ------------------------------------------------
def meets_every_target(summary: dict) -> bool:
    return all(c["service_level"] >= c["target"] for c in summary["channels"].values())


def check_plan(out: Path) -> tuple[dict, pd.DataFrame]:
    summary = json.loads((out / "summary.json").read_text())
    shifts = pd.read_csv(out / "shifts.csv", encoding="utf-8-sig")
    assert summary["validation"]["violations"] == []
    assert meets_every_target(summary), summary["channels"]
    assert all(w["most_days_worked"] <= 6 for w in summary["labour"]["iso_weeks"].values())
    stat = shifts[shifts["day_type"] == "statutory_holiday"]
    assert (stat["pay_multiplier"] == 3).all() and (stat["rest_day"].isna()).all()
    for name in PLAN_FILES + LEDGER_FILES:
        assert (out / name).is_file(), name
    return summary, shifts


@pytest.mark.slow
def test_national_day_weeks_meet_every_target_with_the_week_before_carried(tmp_path):
    """2025-W40 (2 standard days, 3 statutory) then W41 (--previous W40): full-timers staff the 10:00-18:00
    holiday window, nobody works 7 days in an ISO week, statutory shifts pay 300%."""
    w40, w41 = tmp_path / "w40", tmp_path / "w41"
    assert run("plan", "--week", "2025-W40", "--out", w40).exit_code == 0
    summary, shifts = check_plan(w40)
    assert summary["labour"]["iso_weeks"]["2025-W40"]["standard_days"] == 2
    stat = shifts[shifts["day_type"] == "statutory_holiday"]
    assert stat["shift_start"].str.endswith("T10:00").any() and (stat["paid_hours"] == 7).any()  # fitted day shift
    result = run("plan", "--week", "2025-W41", "--previous", w40, "--out", w41)
    assert result.exit_code == 0, result.output
    summary41, _ = check_plan(w41)
    assert summary41["labour"]["iso_weeks"]["2025-W41"]["standard_days"] == 3
    # the month's overtime carried: October's total in W41 starts from W40's October days
    mo40 = pd.read_csv(w40 / MONTH_OVERTIME)
    mo41 = pd.read_csv(w41 / MONTH_OVERTIME)
    before = mo41.set_index("agent_id")["overtime_h_before"]
    october40 = mo40[mo40["month"] == "2025-10"].set_index("agent_id")["overtime_h_total"]
    assert before.reindex(october40.index).fillna(0).tolist() == pytest.approx(october40.tolist())


@pytest.mark.slow
def test_chained_weeks_write_a_row_per_week_and_resume(tmp_path):
    out = tmp_path / "chain"
    result = run("plan", "--weeks", "2025-W39:2025-W40", "--out", out)
    assert result.exit_code == 0, result.output
    progress = [line for line in result.stdout.splitlines() if line.startswith("2025-W")]
    assert [line.split()[0] for line in progress] == ["2025-W39", "2025-W40"]
    table = pd.read_csv(out / YEAR_SUMMARY)
    assert table["week"].tolist() == ["2025-W39", "2025-W40"]
    assert list(table.columns[:12]) == ["week", "contacts_chat", "contacts_phone", "contacts_email",
                                        "service_level_chat", "service_level_phone", "service_level_email",
                                        "paid_hours", "cost", "premium_cost", "overtime_hours",
                                        "understaffed_agent_intervals"]
    assert "gap" in table.columns and (table["most_days_in_a_week"] <= 6).all()
    assert (out / YEAR_CHART).read_bytes().startswith(b"\x89PNG")
    for week in ("2025-W39", "2025-W40"):
        check_plan(out / week)
    w40 = json.loads((out / "2025-W40" / "summary.json").read_text())
    assert w40["inputs"]["previous"] == str(out / "2025-W39")
    # resume: both weeks are kept as they are, the third is planned from the second
    stamp = (out / "2025-W40" / "shifts.csv").stat().st_mtime_ns
    again = run("plan", "--weeks", "2025-W39:2025-W41", "--out", out, "--resume")
    assert again.exit_code == 0, again.output
    assert again.stdout.count("kept (--resume)") == 2
    assert (out / "2025-W40" / "shifts.csv").stat().st_mtime_ns == stamp
    assert pd.read_csv(out / YEAR_SUMMARY)["week"].tolist() == ["2025-W39", "2025-W40", "2025-W41"]


@pytest.mark.slow
def test_a_month_in_one_model(tmp_path):
    """October 2025 with a short budget (a scenario extending the default): one plan folder, every
    ISO week it cuts under the weekly rules, the calendar month's overtime cap."""
    scn = tmp_path / "month.toml"
    scn.write_text(f'extends = "{ROOT / "scenarios" / "baseline.toml"}"\nname = "baseline"\n'
                   "[roster.month]\ntime_limit_s = 60\nwarm_start_weeks_s = 5\n")
    out = tmp_path / "2025-10"
    result = run("plan", "--month", "2025-10", "--scenario", scn, "--out", out)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["month"] == "2025-10" and summary["validation"]["violations"] == []
    assert list(summary["labour"]["iso_weeks"]) == ["2025-W40", "2025-W41", "2025-W42", "2025-W43", "2025-W44"]
    assert summary["labour"]["max_month_overtime_h"] <= 36
    shifts = pd.read_csv(out / "shifts.csv", encoding="utf-8-sig")
    assert shifts["date"].min() == "2025-10-01" and shifts["date"].max() == "2025-10-31"
    assert len(pd.read_csv(out / "forecast.csv")) == 31 * 24 * 3
