"""``schedule plan --month`` and ``--weeks`` through typer's CliRunner, and holiday weeks of the default
scenario as a new user plans them. The solves of whole weeks, months and chains are marked slow."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from scheduler.chain import YEAR_CHART, YEAR_SUMMARY
from scheduler.cli import app
from scheduler.plan_folder import COMP_OFF, LEDGER_FILES, MONTH_OVERTIME, PLAN_FILES

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


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


# -- weeks chained and a month, end to end on the bundled history (short deterministic budgets) ---------------
# The figures (every target met in the holiday weeks, the month's gap and wall time) are measured by
# benchmarks/bench_horizon.py and the README; these tests check the rules and the files, not the optimum.
QUICK = """
name = "quick"
[roster]
time_limit_s = 1
workers = 1
[roster.month]
time_limit_s = 5
workers = 1
warm_start_weeks_s = 0
[hire]
time_limit_s = 1
"""


@pytest.fixture
def quick(tmp_path, small_plan_inputs) -> tuple[Path, Path]:
    """(scenario, agents): the default scenario on 1-2 s deterministic budgets, 12 agents."""
    scenario, agents = small_plan_inputs(tmp_path, 12)
    base = scenario.read_text(encoding="utf-8").split("\n")[0]  # extends = "<the default scenario>"
    scenario.write_text(base + QUICK, encoding="utf-8")
    return scenario, agents


def check_plan(out: Path) -> tuple[dict, pd.DataFrame]:
    """The labour rules in a written plan: a clean validator, one rest day in every ISO week, statutory
    holiday shifts at 300% and never rest-day work, and the ledgers written."""
    summary = json.loads((out / "summary.json").read_text())
    shifts = pd.read_csv(out / "shifts.csv", encoding="utf-8-sig")
    assert summary["validation"]["violations"] == []
    assert all(w["most_days_worked"] <= 6 for w in summary["labour"]["iso_weeks"].values())
    days = shifts.groupby(["agent_id", pd.to_datetime(shifts["date"]).dt.isocalendar().week])["date"].nunique()
    assert days.max() <= 6
    stat = shifts[shifts["day_type"] == "statutory_holiday"]
    assert (stat["pay_multiplier"] == 3).all() and (stat["rest_day"].isna()).all()
    for name in PLAN_FILES + LEDGER_FILES:
        assert (out / name).is_file(), name
    return summary, shifts


@pytest.mark.slow
def test_chained_weeks_carry_the_rules_write_a_row_per_week_and_resume(tmp_path, quick):
    """National Day: 2025-W40 (2 standard days, 3 statutory) then W41 (3 standard days) carried over."""
    scenario, agents = quick
    out = tmp_path / "chain"
    result = run("plan", "--weeks", "2025-W40:2025-W41", "--scenario", scenario, "--agents", agents, "--out", out)
    assert result.exit_code == 0, result.output
    progress = [line for line in result.stdout.splitlines() if line.startswith("2025-W")]
    assert [line.split()[0] for line in progress] == ["2025-W40", "2025-W41"]
    table = pd.read_csv(out / YEAR_SUMMARY)
    assert table["week"].tolist() == ["2025-W40", "2025-W41"]
    assert list(table.columns[:13]) == ["week", "contacts_chat", "contacts_phone", "contacts_email",
                                        "service_level_chat", "service_level_phone", "service_level_email",
                                        "paid_hours", "cost", "premium_cost", "overtime_hours",
                                        "understaffed_agent_intervals", "gap"]
    assert (out / YEAR_CHART).read_bytes().startswith(b"\x89PNG")
    assert json.loads((out / ".schedule-output.json").read_text())["command"] == "plan --weeks"
    summary40, shifts40 = check_plan(out / "2025-W40")
    summary41, _ = check_plan(out / "2025-W41")
    assert summary40["labour"]["iso_weeks"]["2025-W40"]["standard_days"] == 2
    assert summary41["labour"]["iso_weeks"]["2025-W41"]["standard_days"] == 3
    assert summary41["inputs"]["previous"] == str(out / "2025-W40")
    stat = shifts40[shifts40["day_type"] == "statutory_holiday"]
    assert ((stat["template"] == "day") & stat["shift_start"].str.endswith("T10:00")).any()  # fitted to 10:00
    # October's overtime carried: W41 starts from W40's October days
    mo40, mo41 = pd.read_csv(out / "2025-W40" / MONTH_OVERTIME), pd.read_csv(out / "2025-W41" / MONTH_OVERTIME)
    october40 = mo40[mo40["month"] == "2025-10"].set_index("agent_id")["overtime_h_total"]
    before = mo41.set_index("agent_id")["overtime_h_before"]
    assert before.reindex(october40.index).fillna(0).tolist() == pytest.approx(october40.tolist())
    # resume: both weeks are complete plans of the scenario, kept as they are (the README's "--resume")
    stamp = (out / "2025-W41" / "shifts.csv").stat().st_mtime_ns
    again = run("plan", "--weeks", "2025-W40:2025-W41", "--scenario", scenario, "--agents", agents, "--out", out,
                "--resume")
    assert again.exit_code == 0, again.output
    assert again.stdout.count("kept (--resume)") == 2
    assert (out / "2025-W41" / "shifts.csv").stat().st_mtime_ns == stamp
    assert pd.read_csv(out / YEAR_SUMMARY)["week"].tolist() == ["2025-W40", "2025-W41"]


def test_a_chain_is_refused_where_it_would_lose_a_users_files(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    result = run("plan", "--weeks", "2025-W40:2025-W41", "--out", out)
    assert result.exit_code == 2 and "--force" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


@pytest.mark.slow
def test_a_month_in_one_model(tmp_path, quick):
    """October 2025 in one model: one plan folder, every ISO week it cuts under the weekly rules, the
    calendar month's overtime cap."""
    scenario, agents = quick
    out = tmp_path / "2025-10"
    result = run("plan", "--month", "2025-10", "--scenario", scenario, "--agents", agents, "--out", out)
    assert result.exit_code == 0, result.output
    summary, shifts = check_plan(out)
    assert summary["month"] == "2025-10"
    assert list(summary["labour"]["iso_weeks"]) == ["2025-W40", "2025-W41", "2025-W42", "2025-W43", "2025-W44"]
    assert summary["labour"]["max_month_overtime_h"] <= 36
    overtime = shifts.groupby("agent_id")["overtime_hours"].sum()
    assert overtime.max() <= 36 + 1e-6
    assert shifts["date"].min() >= "2025-10-01" and shifts["date"].max() <= "2025-10-31"
    assert len(pd.read_csv(out / "forecast.csv")) == 31 * 24 * 3
    assert summary["capacity"]["sized"] is False  # a week's sizing: --weeks --hire auto
    assert "stages" not in summary["solver"]  # a month is one stage, the full model (searched by windows)


def test_the_month_settings_replace_the_weeks_and_the_spread_price_only_when_set():
    from core.scenario import load_scenario
    from scenarios import default_scenario
    from scheduler.horizon import month_scenario

    week = load_scenario(default_scenario())
    month = month_scenario(week)
    spec = week.roster.month
    assert (month.roster.time_limit_s, month.roster.relative_gap) == (spec.time_limit_s, spec.relative_gap)
    assert month.roster.spread_penalty == (week.roster.spread_penalty if spec.spread_penalty is None
                                           else spec.spread_penalty)
    unset = week.model_copy(update={"roster": week.roster.model_copy(
        update={"month": spec.model_copy(update={"spread_penalty": None})})})
    assert month_scenario(unset).roster.spread_penalty == week.roster.spread_penalty
