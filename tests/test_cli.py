"""Every documented command, end to end through typer's CliRunner, as a new user would run it."""

import json
import os
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from core.scenario import load_scenario
from scenarios import DEFAULT_SCENARIO
from scheduler.cli import app
from scheduler.plan_folder import COLUMNS, REQUESTS_OUTCOME

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.mark.slow
def test_plan_default_week_writes_all_files(default_week_plan):
    result, out = default_week_plan
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "2025-W11: Mon 2025-03-10 .. Sun 2025-03-16"
    for name in ("forecast.csv", "requirements.csv", "shifts.csv", "coverage.csv", "summary.json"):
        assert (out / name).is_file(), name
    for name, cols in COLUMNS.items():
        if name == REQUESTS_OUTCOME:
            continue  # only with --requests
        df = pd.read_csv(out / name, encoding="utf-8-sig")
        assert list(df.columns[: len(cols)]) == cols, name


@pytest.mark.slow
def test_plan_contents_are_believable(default_week_plan):
    _, out = default_week_plan
    summary = json.loads((out / "summary.json").read_text())
    assert summary["week"] == "2025-W11"
    assert set(summary["solver"]) >= {"status", "objective", "best_bound", "gap", "wall_s"}
    assert summary["solver"]["status"] in ("OPTIMAL", "FEASIBLE")
    terms = summary["solver"]["objective_terms"]  # the objective by kind adds up to it, and its pay is the cost
    assert sum(terms.values()) == pytest.approx(summary["solver"]["objective"], rel=1e-4)
    assert terms["pay"] == pytest.approx(summary["cost"], rel=1e-6)
    assert summary["validation"]["violations"] == []
    for ch in ("chat", "phone", "email"):
        assert 0 <= summary["channels"][ch]["service_level"] <= 1
        assert summary["channels"][ch]["target"] > 0
    shifts = pd.read_csv(out / "shifts.csv", encoding="utf-8-sig")
    assert summary["agents_used"] == shifts["agent_id"].nunique() > 10
    assert shifts["paid_hours"].sum() == pytest.approx(summary["paid_hours"], rel=1e-6)
    # timestamps are local YYYY-MM-DDTHH:MM
    fc = pd.read_csv(out / "forecast.csv")
    assert fc["interval_start"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d").all()
    assert len(fc) == 7 * 24 * 3
    assert (fc["contacts_p10"] <= fc["contacts_p90"]).all()


@pytest.mark.parametrize("week", ["2025-W46", "2025-11-12"])
def test_week_forms_resolve(week, tmp_path):
    result = run("forecast", "--week", week, "--out", tmp_path / "f")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "2025-W46: Mon 2025-11-10 .. Sun 2025-11-16"
    assert (tmp_path / "f" / "forecast.csv").is_file()


def test_erlang_readme_example():
    result = run("erlang", "--contacts", 100, "--interval-min", 30, "--aht-s", 180, "--answer-within-s", 20,
                 "--target", 0.8)
    assert result.exit_code == 0, result.output
    assert "agents 14 " in result.stdout and "service_level 0.888" in result.stdout


def test_erlang_json():
    result = run("erlang", "--contacts", 100, "--interval-min", 30, "--aht-s", 180, "--answer-within-s", 20,
                 "--agents", 13, "--json")
    assert result.exit_code == 0, result.output
    rep = json.loads(result.stdout)
    assert set(rep) >= {"agents", "p_wait", "service_level", "asa_s", "occupancy"}
    assert rep["service_level"] == pytest.approx(0.7955947884177831, abs=1e-9)


def strict_json(text: str):
    """``text`` parsed as RFC 8259 JSON, which has no Infinity or NaN (Python's parser takes them)."""
    def refuse(constant):
        raise AssertionError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("agents", [0, 5, 10])  # the offered load is 10 Erlang: no agent count below it is stable
def test_erlang_json_of_an_unstable_queue_is_strict_json(agents):
    result = run("erlang", "--contacts", 100, "--interval-min", 30, "--aht-s", 180, "--answer-within-s", 20,
                 "--agents", agents, "--json")
    assert result.exit_code == 0, result.output
    rep = strict_json(result.stdout)
    assert rep["asa_s"] is None  # the wait has no bound
    assert rep["agents"] == agents and rep["p_wait"] == 1 and rep["service_level"] == 0


def _history_with(tmp_path, bad_line):
    p = tmp_path / "hist.csv"
    p.write_text("interval_start,channel,contacts\n2025-03-03T09:00,chat,5\n" + bad_line + "\n")
    return p


@pytest.mark.parametrize("args,needle", [
    (lambda t: ["--history", _history_with(t, "2025-03-03T10:00,chat,-4")], "hist.csv:3, field 'contacts': negative"),
    (lambda t: ["--history", _history_with(t, "2025-03-03T10:00,wechat,4")],
     "hist.csv:3, field 'channel': unknown channel"),
    (lambda t: ["--history", _history_with(t, "2025/03/03 10h,chat,4")], "hist.csv:3, field 'interval_start'"),
    (lambda t: ["--history", t / "missing.csv"], "missing.csv, field '--history': history file not found"),
    (lambda t: ["--agents", t / "nobody.csv"], "nobody.csv, field '--agents'"),
    (lambda t: ["--scenario", t / "nothing.toml"], "nothing.toml, field '--scenario'"),
])
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, args, needle):
    out = tmp_path / "out" / "plan"
    result = run("plan", "--week", "2025-11", "--out", out, *args(tmp_path))
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("option,what", [("--history", "history file"), ("--agents", "agent pool file"),
                                         ("--requests", "requests file"), ("--scenario", "scenario file"),
                                         ("--calendar", "calendar file"), ("--events", "events file")])
@pytest.mark.parametrize("kind", ["folder", "device"])
def test_an_input_that_is_a_folder_or_a_device_says_so(tmp_path, option, what, kind):
    """A folder or /dev/null exists: "history file not found" sent the user looking for a missing file."""
    given = tmp_path if kind == "folder" else Path(os.devnull)
    problem = "is a folder, not a file" if kind == "folder" else "is not a regular file"
    result = run("plan", "--week", "2025-11", "--out", tmp_path / "out", option, given)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"field '{option}': {what} {problem}" in lines[0], result.stderr
    assert lines[0].startswith(f"error: {given.resolve() if option == '--scenario' else given}, ")
    assert "not found" not in lines[0] and not (tmp_path / "out").exists()


def test_week_outside_history_reach(tmp_path):
    result = run("plan", "--week", "2026-W20", "--out", tmp_path / "o")
    assert result.exit_code == 2
    assert "outside the history's reach" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_week_before_any_history(tmp_path):
    result = run("plan", "--week", "2023-W01", "--out", tmp_path / "o")
    assert result.exit_code == 2
    assert "history" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_malformed_week(tmp_path):
    result = run("plan", "--week", "2025-99", "--out", tmp_path / "o")
    assert result.exit_code == 2 and "--week" in result.stderr


@pytest.mark.slow
def test_simulate_saved_plan(default_week_plan):
    _, out = default_week_plan
    result = run("simulate", "--plan", out, "--reps", 3, "--seed", 1)
    assert result.exit_code == 0, result.output
    sim = pd.read_csv(out / "simulation.csv")
    week = sim[sim["date"] == "week"].set_index("channel")
    assert set(week.index) == {"chat", "phone", "email"}
    # the projection and the simulation of the same roster agree to a few points on phone
    assert abs(week.loc["phone", "service_level"] - week.loc["phone", "projected_service_level"]) < 0.05


def test_simulate_missing_plan(tmp_path):
    result = run("simulate", "--plan", tmp_path / "nope")
    assert result.exit_code == 2 and "plan folder not found" in result.stderr


def test_backtest_on_real_bank_calls(tmp_path, shared_file):
    path = shared_file("us_bank_calls_2003_5min.csv")
    result = run("backtest", "--history", path, "--calendar", "none", "--folds", 2, "--out", tmp_path / "bt")
    assert result.exit_code == 0, result.output
    df = pd.read_csv(tmp_path / "bt" / "backtest.csv")
    assert {"ours", "seasonal_naive", "mean4_same_weekday", "poisson_floor"} <= set(df["model"])
    assert "wape" in result.stdout


def test_data_generate_reproduces_the_bundled_pool(tmp_path):
    from scenarios import DEFAULT_AGENTS

    result = run("data", "generate", "--out-history", tmp_path / "h.csv.gz", "--out-agents", tmp_path / "a.csv")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "a.csv").read_bytes() == DEFAULT_AGENTS.read_bytes()
    import gzip

    from forecasts.history import DEFAULT_HISTORY
    assert gzip.decompress((tmp_path / "h.csv.gz").read_bytes()) == gzip.decompress(DEFAULT_HISTORY.read_bytes())


@pytest.mark.slow
def test_replan_against_published_plan_keeps_it(default_week_plan, tmp_path):
    """Re-planning the same week against its own published roster keeps it, but for changes that pay for
    their change penalty (the published roster was proven only within relative_gap of optimal).

    The published roster is a solution of the re-plan with no change, so the re-plan's optimum is at most
    the first objective, and the solve stops within relative_gap of its optimum. Its roster is also a
    solution of the first problem, so what it costs without its change penalties is at least the first
    solve's proven bound: the changes can cost at most the difference."""
    _, out = default_week_plan
    result = run("plan", "--week", "2025-11", "--published", out, "--out", tmp_path / "again")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "again" / "summary.json").read_text())
    first = json.loads((out / "summary.json").read_text())
    a = pd.read_csv(out / "shifts.csv", encoding="utf-8-sig")
    b = pd.read_csv(tmp_path / "again" / "shifts.csv", encoding="utf-8-sig")
    changed = set(zip(a["agent_id"], a["shift_start"])) ^ set(zip(b["agent_id"], b["shift_start"]))
    assert summary["changes_vs_published"] == len(changed)
    roster = load_scenario(DEFAULT_SCENARIO).roster
    ceiling = first["solver"]["objective"] / (1 - roster.relative_gap) + 1e-6
    assert summary["solver"]["objective"] <= ceiling
    assert len(changed) * roster.change_penalty <= ceiling - first["solver"]["best_bound"]
    assert len(changed) < len(a) / 10  # a re-plan, not a new roster


def test_previous_plan_folder_without_shifts(tmp_path):
    (tmp_path / "prev").mkdir()
    result = run("plan", "--week", "2025-12", "--previous", tmp_path / "prev", "--out", tmp_path / "o")
    assert result.exit_code == 2 and "shifts.csv, field '--previous'" in result.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_actuals_import_report_and_history(tmp_path, default_week_plan):
    """The documented actuals flow end to end: import (twice: idempotent), the monthly and weekly KPI
    reports (with plan vs actual against a saved plan), and the history the forecaster reads."""
    from forecasts.history import read_history
    from scheduler.actuals.synth import generate_records, write_records

    records = generate_records(5_000, seed=3, start="2025-03-10", days=7)
    src = write_records(records, tmp_path / "contacts.csv")
    db = tmp_path / "a.duckdb"
    first = run("actuals", "import", src, "--db", db)
    assert first.exit_code == 0, first.output
    again = run("actuals", "import", src, "--db", db)
    assert again.exit_code == 0, again.output
    import duckdb
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from contacts").fetchone()[0] == len(records)

    _, plan_dir = default_week_plan
    rep = run("report", "--week", "2025-W11", "--db", db, "--plan", plan_dir, "--out", tmp_path / "rep")
    assert rep.exit_code == 0, rep.output
    table = pd.read_csv(tmp_path / "rep" / "report.csv")
    assert list(table["channel"])[-1] == "total"
    assert table.loc[table["channel"] == "total", "contacts"].iloc[0] == len(records)
    assert (tmp_path / "rep" / "report.html").is_file() and (tmp_path / "rep" / "plan_vs_actual.csv").is_file()
    month = run("report", "--month", "2025-03", "--db", db, "--out", tmp_path / "month")
    assert month.exit_code == 0, month.output

    hist = run("history", "from-actuals", "--db", db, "--out", tmp_path / "h.csv")
    assert hist.exit_code == 0, hist.output
    assert read_history(tmp_path / "h.csv").frame["contacts"].sum() == len(records)


def test_actuals_import_bad_file(tmp_path):
    result = run("actuals", "import", tmp_path / "none.csv", "--db", tmp_path / "a.duckdb")
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "none.csv" in result.stderr
    assert not (tmp_path / "a.duckdb").exists()


def test_erlang_command_matches_every_published_reference_row(shared_file):
    """`schedule erlang --json` against ../shared/data/erlang_reference.csv (exact 60-digit values)."""
    ref = pd.read_csv(shared_file("erlang_reference.csv"))
    for r in ref.itertuples():
        args = ["erlang", "--contacts", r.calls_per_interval, "--interval-min", r.interval_s / 60,
                "--aht-s", r.aht_s, "--answer-within-s", r.target_answer_s, "--json"]
        got = json.loads(run(*args, "--agents", r.agents).stdout)
        assert got["p_wait"] == pytest.approx(r.exact_p_wait, abs=1e-6), r.case_id
        assert got["service_level"] == pytest.approx(r.exact_service_level, abs=1e-6), r.case_id
        assert got["asa_s"] == pytest.approx(r.exact_asa_s, abs=1e-4), r.case_id
        # --target just below the row's service level returns exactly its agent count
        found = json.loads(run(*args, "--target", r.exact_service_level - 1e-9).stdout)
        assert found["agents"] == r.agents, r.case_id


def test_every_command_reports_user_errors():
    """Every command, in every group, is registered through cli.command (the one error reporter)."""
    from scheduler.cli import app

    def commands(group):
        yield from group.registered_commands
        for sub in group.registered_groups:
            yield from commands(sub.typer_instance)

    found = {c.callback.__name__: getattr(c.callback, "reports_user_errors", False) for c in commands(app)}
    assert {"plan", "compare", "sweep", "export", "erlang", "data_generate"} <= set(found)
    assert all(found.values()), [name for name, ok in found.items() if not ok]


def test_no_roster_in_time_is_one_line_exit_2(tmp_path, monkeypatch):
    from core.errors import SolverError

    def no_roster(problem):
        raise SolverError("CP-SAT found no roster (UNKNOWN) within roster.time_limit_s=60; raise it")

    monkeypatch.setattr("scheduler.roster.model.solve_roster", no_roster)
    result = run("plan", "--week", "2025-11", "--out", tmp_path / "o")
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines() == [
        "error: CP-SAT found no roster (UNKNOWN) within roster.time_limit_s=60; raise it"]
    assert "Traceback" not in result.output and not (tmp_path / "o").exists()


def test_bad_input_to_a_campaign_command_is_one_line_exit_2(tmp_path):
    result = run("export", "--plan", tmp_path / "nope", "--format", "wide")
    assert result.exit_code == 2 and result.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'nope'}, field '--plan': plan folder not found"]
    result = run("compare", DEFAULT_SCENARIO, "--week", "2025-W46", "--jobs", 0, "--out", tmp_path / "c")
    assert result.exit_code == 2 and "field '--jobs'" in result.stderr and not (tmp_path / "c").exists()


def test_cli_starts_without_pandas_or_the_solver():
    """Command bodies import lazily, so `schedule --help` and `schedule erlang` start fast."""
    import subprocess
    import sys

    code = ("import sys, scheduler.cli\n"
            "print(sorted(m for m in ('pandas', 'ortools', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- one meaning of --calendar none; --events -------------------------------------------------------------------
def _bank_history(tmp_path, shared_file):
    raw = pd.read_csv(shared_file("us_bank_calls_2003_5min.csv"))
    path = tmp_path / "bank.csv"
    pd.DataFrame({"interval_start": raw["DateTime"].str.replace("Z", "").str[:16], "channel": "phone",
                  "contacts": raw["Calls"]}).to_csv(path, index=False)
    return path


def _scenario_without_campaigns(tmp_path):
    text = DEFAULT_SCENARIO.read_text(encoding="utf-8")
    text = text[:text.index("\n[[promotions]]")]
    text = "\n".join(line for line in text.splitlines() if not line.startswith("events ="))
    path = tmp_path / "plain.toml"
    path.write_text(text, encoding="utf-8")
    sc = load_scenario(path)
    assert not sc.promotions and not sc.events
    return path


def test_forecast_calendar_none_ignores_the_scenarios_campaigns(tmp_path, shared_file):
    """The US bank's October week (the default scenario's Double 11 lead by its month-day rule) gives the
    same numbers with the default scenario as with one without promotions, and the notes say why."""
    hist = _bank_history(tmp_path, shared_file)
    outs = {}
    for label, extra in (("default", []), ("plain", ["--scenario", _scenario_without_campaigns(tmp_path)])):
        result = run("forecast", "--week", "2003-W42", "--history", hist, "--calendar", "none",
                     "--out", tmp_path / label, *extra)
        assert result.exit_code == 0, result.output
        assert "no Chinese day types and no campaigns" in result.stdout
        outs[label] = (tmp_path / label / "forecast.csv").read_bytes()
    assert outs["default"] == outs["plain"]
    # dated campaigns still apply with --calendar none when --events gives them
    events = tmp_path / "events.csv"
    events.write_text("event,main_day,start,end,presale_at\ndouble11,2003-11-11,2003-10-14,2003-11-20,"
                      "2003-10-14T20:00\n", encoding="utf-8")
    result = run("forecast", "--week", "2003-W42", "--history", hist, "--calendar", "none", "--events", events,
                 "--out", tmp_path / "dated")
    assert result.exit_code == 0, result.output
    assert "campaigns only from the dated events" in result.stdout
    assert (tmp_path / "dated" / "forecast.csv").read_bytes() != outs["default"]


def test_bad_events_file_is_one_line_exit_2_nothing_written(tmp_path):
    events = tmp_path / "events.csv"
    events.write_text("event,main_day,start,end\n618,2025-06-18,2025-06-20,2025-06-28\n", encoding="utf-8")
    for cmd in (["forecast", "--week", "2025-W25"], ["plan", "--week", "2025-W25"],
                ["compare", DEFAULT_SCENARIO, "--week", "2025-W25"],
                ["sweep", "--week", "2025-W25", "--grid", "shrinkage=0.3,0.35"]):
        out = tmp_path / "out" / cmd[0]
        result = run(*cmd, "--events", events, "--out", out)
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "events.csv:2, field 'main_day'" in lines[0], result.stderr
        assert not out.exists()


def test_forecast_defaults_to_the_scenarios_interval(tmp_path):
    """A scenario planned at 30 minutes gets a 30-minute forecast from `schedule forecast`, as `plan` makes;
    it wrote hourly rows (the option's fixed default of 60) for a scenario whose plans are half-hourly."""
    from forecasts.history import DEFAULT_HISTORY
    hist = pd.read_csv(DEFAULT_HISTORY)
    hist = hist[(hist["interval_start"] >= "2025-01-01") & (hist["interval_start"] < "2025-03-10")]
    later = hist.assign(interval_start=(pd.to_datetime(hist["interval_start"]) + pd.Timedelta(minutes=30))
                        .dt.strftime("%Y-%m-%dT%H:%M"))
    path = tmp_path / "h30.csv"
    pd.concat([hist, later]).to_csv(path, index=False)
    scenario = tmp_path / "half.toml"
    scenario.write_text(f'extends = "{DEFAULT_SCENARIO.as_posix()}"\ninterval_min = 30\n', encoding="utf-8")
    result = run("forecast", "--week", "2025-W11", "--history", path, "--scenario", scenario, "--out", tmp_path / "f")
    assert result.exit_code == 0, result.output
    fc = pd.read_csv(tmp_path / "f" / "forecast.csv")
    assert len(fc) == 7 * 48 * 3
    assert fc["interval_start"].str.endswith(":30").any()
