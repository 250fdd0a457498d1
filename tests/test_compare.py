"""schedule compare: two tiny scenarios side by side, plan folders kept, table, charts and report."""

import json
from pathlib import Path

import pandas as pd
import pytest

from core.errors import InputError
from core.scenario import load_scenario
from scenarios import DEFAULT_SCENARIO
from scheduler.compare import (
    COMPARISON_COLUMNS,
    InlineExecutor,
    LocalExecutor,
    compare_scenarios,
    comparison_frame,
    scenario_labels,
    split_cores,
)

WEEK = "2025-W46"

CAMPAIGN = """extends = "small.toml"
name = "campaign"
[windows]
weekday = "09:00-21:00"
makeup_workday = "09:00-21:00"
weekend = "09:00-21:00"
holiday_rest_day = "09:00-21:00"
statutory_holiday = "09:00-21:00"
[labour]
max_days_per_week = 6
[[roster.templates]]
name = "day"
starts = ["09:00", "12:00"]
span_h = 9
lunch_window = "11:00-18:00"
[[roster.templates]]
name = "part"
starts = ["09:00", "13:00", "17:00"]
span_h = 4
lunch = false
contracts = ["part_time"]
[[temporary_agents]]
count = 4
skills = ["chat"]
hourly_cost = 30
max_weekly_h = 24
id_prefix = "T"
"""


@pytest.fixture(scope="module")
def tiny_inputs(small_plan_inputs):
    """``tiny_inputs(folder) -> (small.toml, campaign.toml, agents.csv)``: the 12-agent pool (a few seconds a plan)."""
    def write(folder: Path) -> tuple[Path, Path, Path]:
        small, agents = small_plan_inputs(folder)
        (folder / "campaign.toml").write_text(CAMPAIGN, encoding="utf-8")
        return small, folder / "campaign.toml", agents

    return write


@pytest.fixture(scope="module")
def compared(tmp_path_factory, tiny_inputs):
    root = tmp_path_factory.mktemp("compare")
    small, campaign, agents = tiny_inputs(root / "in")
    logs = []
    res = compare_scenarios([small, campaign], WEEK, root / "out", agents=agents, log=logs.append)
    return res, root / "out", logs


@pytest.mark.slow
def test_compare_writes_plans_table_charts_and_report(compared):
    res, out, logs = compared
    assert res.out_dir == out
    for label in ("small", "campaign"):
        plan = out / label / WEEK
        for name in ("shifts.csv", "coverage.csv", "summary.json", "shortfall.csv"):
            assert (plan / name).is_file(), (label, name)
    for name in ("comparison.csv", "staffing.png", "cost_service.png", "report.html"):
        assert (out / name).is_file(), name
    assert (out / "staffing.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temporary folder left
    assert any("small: done" in line for line in logs) and any("campaign: done" in line for line in logs)


@pytest.mark.slow
def test_comparison_columns_and_values(compared):
    res, out, _ = compared
    df = pd.read_csv(out / "comparison.csv")
    channels = ["chat", "phone", "email"]
    expected = []
    for col in COMPARISON_COLUMNS:
        expected += [col.replace("<channel>", ch) for ch in channels] if "<channel>" in col else [col]
    assert list(df.columns[: len(expected)]) == expected
    assert list(df["scenario"]) == ["small", "campaign"]
    assert df["simulated_service_level_chat"].isna().all()  # no simulation asked for
    for label in ("small", "campaign"):
        summary = json.loads((out / label / WEEK / "summary.json").read_text())
        row = df.set_index("scenario").loc[label]
        assert row["paid_hours"] == pytest.approx(summary["paid_hours"])
        assert row["cost"] == pytest.approx(summary["cost"])
        assert row["service_level_chat"] == pytest.approx(summary["channels"]["chat"]["service_level"], abs=1e-4)
        assert row["forecast_contacts_chat"] == pytest.approx(summary["channels"]["chat"]["contacts"])
        assert row["agents_in_pool"] == summary["agents_in_pool"]


@pytest.mark.slow
def test_compare_direction(compared):
    """Longer hours take in more contacts, and more hands work more paid hours."""
    df = compared[0].table.set_index("scenario")
    assert df.loc["campaign", "contacts_chat"] > df.loc["small", "contacts_chat"]
    assert df.loc["campaign", "forecast_contacts_chat"] == df.loc["small", "forecast_contacts_chat"]
    assert df.loc["campaign", "paid_hours"] > df.loc["small", "paid_hours"]
    assert df.loc["campaign", "agents_in_pool"] == df.loc["small", "agents_in_pool"] + 4


@pytest.mark.slow
def test_report_is_self_contained(compared):
    html = (compared[1] / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 2
    assert "http://" not in html and "https://" not in html and "<script" not in html
    assert "small" in html and "campaign" in html and "Side by side" in html


@pytest.mark.slow
def test_compare_plans_export_round_trip(compared):
    """The plans compare keeps are ordinary plan folders: every export reads back to shifts.csv."""
    pytest.importorskip("openpyxl")
    pytest.importorskip("icalendar")
    from scheduler.ics_export import read_ics
    from scheduler.vendor_export import export_plan, load_plan, plan_shift_rows, read_wide_csv, read_wide_xlsx

    plan_dir = compared[1] / "campaign" / WEEK
    plan = load_plan(plan_dir)
    ref = plan_shift_rows(plan)
    assert len(ref) > 10 and plan.teams.get("T001") == "临时"
    out = plan_dir.parent / "export"
    pd.testing.assert_frame_equal(read_wide_csv(export_plan(plan_dir, "wide", out), plan.lunch_min), ref,
                                  check_dtype=False)
    pd.testing.assert_frame_equal(read_wide_xlsx(export_plan(plan_dir, "xlsx", out), plan.lunch_min), ref,
                                  check_dtype=False)
    folder = export_plan(plan_dir, "ics", out)
    back = pd.concat([read_ics(f) for f in folder.glob("*.ics")]).sort_values(["agent_id", "shift_start"])
    pd.testing.assert_frame_equal(back.reset_index(drop=True), ref, check_dtype=False)


def test_bad_scenario_fails_before_any_work(tmp_path, tiny_inputs):
    small, _, agents = tiny_inputs(tmp_path / "in")
    bad = tmp_path / "in" / "bad.toml"
    bad.write_text('extends = "small.toml"\nshrinkage = 2\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.toml, field 'shrinkage'"):
        compare_scenarios([small, bad], WEEK, tmp_path / "out", agents=agents, log=lambda *_: None)
    assert not (tmp_path / "out").exists()


def test_a_scenario_the_history_cannot_serve_fails_before_any_plan(tmp_path, tiny_inputs):
    """A 15-minute scenario beside an hourly one on the bundled (hourly) history: the error came from the
    second plan, after the first had been solved; it is now found before any plan starts."""
    small, _, agents = tiny_inputs(tmp_path / "in")
    fine = tmp_path / "in" / "q15.toml"
    fine.write_text('extends = "small.toml"\nname = "q15"\ninterval_min = 15\n', encoding="utf-8")
    logs = []
    with pytest.raises(InputError, match="history at 60-minute intervals cannot be planned at 15 minutes"):
        compare_scenarios([small, fine], WEEK, tmp_path / "out", agents=agents, executor=InlineExecutor(),
                          log=logs.append)
    assert not any("done in" in line for line in logs), logs
    assert not (tmp_path / "out").exists()


def test_a_failing_plan_writes_nothing(tmp_path, tiny_inputs):
    """A user error inside a worker (here: a week the holiday calendar does not cover) is one line; no folder."""
    small, _, agents = tiny_inputs(tmp_path / "in")
    with pytest.raises(InputError, match="calendar covers"):
        compare_scenarios([small], "2030-W02", tmp_path / "out", agents=agents, executor=InlineExecutor(),
                          log=lambda *_: None)
    assert not (tmp_path / "out").exists()


def test_labels_are_unique_and_folder_safe(tmp_path):
    sc = load_scenario(DEFAULT_SCENARIO)
    other = sc.model_copy(update={"name": "a/b c"})
    assert scenario_labels([sc, sc, other]) == ["baseline", "baseline-2", "a_b_c"]


@pytest.mark.parametrize("jobs,max_workers,cores,expected", [
    (2, None, 2, (2, 1)), (1, None, 2, (1, 2)), (5, None, 8, (5, 1)), (3, 1, 8, (1, 8)), (4, None, 16, (4, 4)),
])
def test_split_cores(jobs, max_workers, cores, expected):
    procs, workers = split_cores(jobs, max_workers, cores)
    assert (procs, workers) == expected and procs * workers <= cores


def test_local_executor_keeps_job_order():
    assert LocalExecutor(2).map(abs, [-3, 2, -1]) == [3, 2, 1]


def test_comparison_reads_simulation_figures():
    from scheduler.compare import PlanOutcome

    summary = {"channels": {"chat": {"contacts": 10.0, "service_level": 0.8}}, "paid_hours": 8, "cost": 300,
               "simulation": {"channels": {"chat": {"service_level": 0.77}}}, "solver": {"gap": 0.0}}
    df = comparison_frame([PlanOutcome("x", summary)])
    assert df.loc[0, "simulated_service_level_chat"] == 0.77
    assert df.loc[0, "contacts_chat"] == 10.0


@pytest.mark.slow
def test_no_roster_in_time_is_a_solver_outcome(tmp_path, monkeypatch, tiny_inputs):
    """The solver's time-out (here forced: CP-SAT returns UNKNOWN) comes back as an outcome a sweep can
    keep, not as a user error that stops the run."""
    from ortools.sat.python import cp_model

    from scheduler.compare import PlanJob, run_job, run_jobs

    solve = cp_model.CpSolver.solve  # an empty model solved, so the solver has a response, then UNKNOWN
    monkeypatch.setattr(cp_model.CpSolver, "solve",
                        lambda self, model, *a, **k: (solve(self, cp_model.CpModel()), cp_model.UNKNOWN)[1])
    small, _, agents = tiny_inputs(tmp_path / "in")
    job = PlanJob("small", load_scenario(small), WEEK, agents_path=str(agents))
    outcome = run_job(job)
    assert outcome.error_kind == "solver" and outcome.summary == {}
    assert outcome.error.startswith("scenario small: CP-SAT found no roster (UNKNOWN) within roster.time_limit_s=5")
    assert outcome.stopped_by.startswith("wall_time")  # no deterministic time spent: the clock stopped it
    assert run_jobs([job], InlineExecutor(), log=lambda *_: None, tolerate_solver=True)[0].error_kind == "solver"
    with pytest.raises(InputError, match="no roster"):
        run_jobs([job], InlineExecutor(), log=lambda *_: None)
