"""schedule validate: a roster edited by hand re-checked against its plan's problem (rules, coverage, cost)."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import shutil

import openpyxl
import pandas as pd
import pytest
from factories import DAY, WEEK, agent, problem, scenario
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from core.errors import InputError
from scheduler.agents import Agent
from scheduler.cli import app
from scheduler.plan_folder import read_shifts_csv
from scheduler.revalidate import ROSTER_TIMES, agent_findings, best_split, rebuilt_roster, roster_kind
from scheduler.roster import solve_roster
from scheduler.validation import validate_roster
from scheduler.vendor_export import parse_wide

CHANNELS = ("chat", "phone", "email")


# -- the channel split of a roster without assignments -------------------------------------------------------------
def _covered(split: dict[str, str], need: dict[str, int]) -> int:
    counts = {c: 0 for c in need}
    for ch in split.values():
        if ch in counts:
            counts[ch] += 1
    return sum(min(counts[c], need[c]) for c in need)


@settings(max_examples=150, deadline=None)
@given(skills=st.lists(st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=3, unique=True), min_size=0,
                       max_size=6),
       need=st.fixed_dictionaries({c: st.integers(0, 4) for c in CHANNELS}))
def test_best_split_covers_as_many_required_heads_as_any_split(skills, need):
    agents = [Agent(f"A{i}", f"a{i}", tuple(s), "full_time", 30.0) for i, s in enumerate(skills)]
    split = best_split(agents, need)
    assert set(split) == {a.agent_id for a in agents}
    assert all(split[a.agent_id] in a.skills for a in agents)  # every agent on one of its skills
    best = max((_covered(dict(zip([a.agent_id for a in agents], choice)), need)
                for choice in itertools.product(*[a.skills for a in agents])), default=0)
    assert _covered(split, need) == best  # brute force over every split


# -- the validator on a roster rebuilt from its times ------------------------------------------------------------------
@pytest.fixture(scope="module")
def solved():
    agents = [agent(1), agent(2, skills=("chat", "phone")), agent(3, skills=("phone",)), agent(4)]
    # any valid roster will do here, not the cheapest: a 1 s budget (deterministic) instead of a proven gap
    p = problem(scenario(templates=[DAY], roster={"time_limit_s": 1}), agents, WEEK, {"chat": 2, "phone": 1})
    return p, solve_roster(p)


def test_untouched_roster_rebuilt_from_its_times_is_valid_and_covers_as_much(solved):
    p, r = solved
    again = rebuilt_roster(p, r.shifts[ROSTER_TIMES])
    assert validate_roster(p, again) == []
    assert again.cost == pytest.approx(r.cost) and again.paid_hours == pytest.approx(r.paid_hours)
    assert again.shortfall["missing"].sum() <= r.shortfall["missing"].sum()


def test_a_14_hour_shift_names_the_agent_the_date_and_the_rule(solved):
    p, r = solved
    times = r.shifts[ROSTER_TIMES].copy()
    times.loc[0, "shift_end"] = times.loc[0, "shift_start"] + pd.Timedelta(hours=14)
    aid, day = times.loc[0, "agent_id"], times.loc[0, "shift_start"].date()
    lines = agent_findings(validate_roster(p, rebuilt_roster(p, times)), p, "2025-W46")
    daily = [x for x in lines if ": daily hours: " in x]
    assert daily and daily[0].startswith(f"{aid} agent{int(aid[1:])}, {day} ")
    assert "13 paid h" in daily[0]


@pytest.mark.parametrize("edit", ["duplicate", "overlap"])
def test_paid_hours_and_cost_count_the_same_shifts(solved, edit):
    """A shift pasted twice, or a second one inside it the same day (the audit's ed_dup.csv, ed_overlap.csv):
    the validator reads one shift per agent and day, so the cost left the second out while the paid hours
    counted it ("paid hours 1,816.0 (the plan: 1,808.0)" beside "cost ... +0"). Both now count the shifts
    the checks read; a real extra shift on a free day still raises both."""
    p, r = solved
    times = r.shifts[ROSTER_TIMES].reset_index(drop=True)
    second = times.iloc[[0]].copy()
    if edit == "overlap":  # 10:00-14:00 inside the 09:00-18:00 shift, no lunch: 4 h
        second["shift_start"] += pd.Timedelta(hours=1)
        second["shift_end"] = second["shift_start"] + pd.Timedelta(hours=4)
        second["lunch_start"] = second["lunch_end"] = pd.NaT
    again = rebuilt_roster(p, pd.concat([times, second], ignore_index=True))
    assert again.paid_hours == pytest.approx(r.paid_hours) and again.cost == pytest.approx(r.cost)
    found = validate_roster(p, again)
    assert [v for v in found if v.startswith("one shift per day") and "not counted in the cost, paid hours" in v]
    assert not [v for v in found if v.startswith("cost")]
    worked = set(zip(times["agent_id"], times["shift_start"].dt.date))
    aid, day = next((a.agent_id, d) for d in p.days for a in p.agents if (a.agent_id, d) not in worked)
    t0 = pd.Timestamp(day) + pd.Timedelta(hours=9)
    extra = pd.DataFrame([{"agent_id": aid, "date": day, "shift_start": t0, "shift_end": t0 + pd.Timedelta(hours=9),
                           "lunch_start": t0 + pd.Timedelta(hours=3), "lunch_end": t0 + pd.Timedelta(hours=4)}])
    more = rebuilt_roster(p, pd.concat([times, extra[ROSTER_TIMES]], ignore_index=True))
    assert more.paid_hours == pytest.approx(r.paid_hours + 8) and more.cost > r.cost + 100


def test_validator_lines_about_no_agent_or_a_week_keep_their_rule():
    p = problem(scenario(templates=[DAY]), [agent(1)], WEEK[:1], {"chat": 1})
    lines = agent_findings(["weekly hours: A001: 50 paid h > weekly cap 48",
                            "cost: roster cost 1, the pay rules give 2",
                            "consecutive days: A001: 7 days worked in a row to 2025-11-10 > max_consecutive_days=6"],
                           p, "2025-W46")
    assert lines == ["A001 agent1, 2025-11-10: consecutive days: 7 days worked in a row to 2025-11-10 > "
                     "max_consecutive_days=6",
                     "A001 agent1, 2025-W46: weekly hours: 50 paid h > weekly cap 48",
                     "cost: roster cost 1, the pay rules give 2"]


# -- malformed edits: one line naming file, row and field -------------------------------------------------------------
def _wide(**cells):
    row = {"agent_id": "A001", "agent_name": "x", "team": "", "Mon 2025-11-10": "09:00-18:00 L12:00",
           "Tue 2025-11-11": "休", **cells}
    return pd.DataFrame([row])


@pytest.mark.parametrize("cell", ["09:00-25:00", "09:60-18:00", "24:30-02:00", "09:00-18:00 L12:75", "9-18"])
def test_a_cell_that_is_not_a_shift_of_times_of_day_is_refused(cell):
    with pytest.raises(InputError) as err:
        parse_wide(_wide(**{"Mon 2025-11-10": cell}), source="roster_wide.csv")
    assert str(err.value).startswith("roster_wide.csv:2, field 'Mon 2025-11-10':")


def test_unknown_agents_and_days_outside_the_plan_are_refused():
    week = set(WEEK)
    with pytest.raises(InputError, match=r"roster_wide.csv:2, field 'agent_id': unknown agent 'A001'"):
        parse_wide(_wide(), source="roster_wide.csv", agents={"A002"}, days=week)
    with pytest.raises(InputError, match=r"roster_wide.csv:1, field 'Mon 2025-11-17': 2025-11-17 is not a day"):
        parse_wide(_wide().rename(columns={"Mon 2025-11-10": "Mon 2025-11-17"}), source="roster_wide.csv",
                   agents={"A001"}, days=week)
    empty = pd.concat([_wide(), _wide(agent_id="", **{"Mon 2025-11-10": ""})], ignore_index=True)
    assert len(parse_wide(empty, agents={"A001"}, days=week)) == 1  # a blank row left by Excel is skipped


def test_a_shifts_file_with_a_bad_date_or_number_names_row_and_field(tmp_path):
    head = "agent_id,agent_name,date,shift_start,shift_end,lunch_start,lunch_end,paid_hours\n"
    good = "A001,x,2025-11-10,2025-11-10T09:00,2025-11-10T18:00,2025-11-10T12:00,2025-11-10T13:00,8\n"
    for bad, field in (("A001,x,2025-13-10,2025-11-10T09:00,2025-11-10T18:00,,,8\n", "date"),
                       ("A001,x,2025-11-10,2025-11-10T09:00,2025-11-10T18:00,,,eight\n", "paid_hours")):
        path = tmp_path / "shifts.csv"
        path.write_text(head + good + bad, encoding="utf-8")
        with pytest.raises(InputError, match=rf"shifts.csv:3, field '{field}'"):
            read_shifts_csv(path)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InputError, match="not a roster"):
        roster_kind(tmp_path / "notes.txt")


# -- the command on a plan: untouched, edited, exported and edited, malformed -----------------------------------------
@pytest.fixture(scope="module")
def small_plan(tmp_path_factory, small_plan_inputs):
    folder = tmp_path_factory.mktemp("validate")
    scenario_path, agents_path = small_plan_inputs(folder / "in")
    out = folder / "plan"
    result = CliRunner().invoke(app, ["plan", "--week", "2025-11", "--scenario", str(scenario_path),
                                      "--agents", str(agents_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _validate(*args):
    return CliRunner().invoke(app, ["validate", *map(str, args)])


def _edit_shifts(src, dst, edit):
    rows = list(csv.DictReader(src.open(encoding="utf-8-sig")))
    edit(rows)
    with dst.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.slow
def test_validate_passes_the_untouched_plan_and_flags_a_14_hour_shift(small_plan, tmp_path):
    ok = _validate("--plan", small_plan)
    assert ok.exit_code == 0, ok.output
    assert "valid: no violation in 2025-W11" in ok.output
    edited = tmp_path / "shifts.csv"

    def stretch(rows):
        r = rows[0]
        start = dt.datetime.fromisoformat(r["shift_start"])
        r["shift_end"] = (start + dt.timedelta(hours=14)).strftime("%Y-%m-%dT%H:%M")

    _edit_shifts(small_plan / "shifts.csv", edited, stretch)
    first = next(csv.DictReader(edited.open(encoding="utf-8-sig")))
    bad = _validate("--plan", small_plan, "--roster", edited)
    assert bad.exit_code == 1, bad.output
    lines = [x for x in bad.output.splitlines() if ": daily hours: " in x]
    assert lines and lines[0].startswith(f"{first['agent_id']} {first['agent_name']}, {first['date']} ")
    assert any(": paid hours: paid_hours 8 in the file" in x for x in bad.output.splitlines())


@pytest.mark.slow
def test_a_plan_made_with_relative_paths_validates_and_exports_from_another_directory(
        tmp_path, small_plan_inputs, monkeypatch):
    """summary.json recorded --scenario and --agents as typed (small.toml, agents.csv): from any other working
    directory validate failed ("/elsewhere/small.toml: scenario file not found") and export lost every team."""
    small_plan_inputs(tmp_path / "in", n_agents=6)
    out = tmp_path / "plan"
    monkeypatch.chdir(tmp_path / "in")
    result = CliRunner().invoke(app, ["plan", "--week", "2025-11", "--scenario", "small.toml",
                                      "--agents", "agents.csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    ok = _validate("--plan", out)
    assert ok.exit_code == 0, ok.output
    exported = CliRunner().invoke(app, ["export", "--plan", str(out), "--format", "wide"])
    assert exported.exit_code == 0, exported.output
    wide = pd.read_csv(out / "export" / "roster_wide.csv", encoding="utf-8-sig")
    assert set(wide["team"]) <= {"A组", "B组"} and wide["team"].notna().all()


@pytest.mark.slow
def test_validate_a_dropped_shift_reports_the_coverage_it_costs(small_plan, tmp_path):
    edited = tmp_path / "shifts.csv"
    _edit_shifts(small_plan / "shifts.csv", edited, lambda rows: rows.pop(0))
    out = _validate("--plan", small_plan, "--roster", edited)
    assert out.exit_code == 1 and ": coverage: " in out.output, out.output


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["wide", "xlsx"])
def test_validate_an_exported_roster_round_trip(small_plan, tmp_path, fmt):
    exported = CliRunner().invoke(app, ["export", "--plan", str(small_plan), "--format", fmt, "--out", str(tmp_path)])
    assert exported.exit_code == 0, exported.output
    path = tmp_path / ("roster_wide.csv" if fmt == "wide" else "roster_wide.xlsx")
    ok = _validate("--plan", small_plan, "--roster", path)
    assert ok.exit_code == 0, ok.output
    agent_id = _stretch_first_shift(path)
    bad = _validate("--plan", small_plan, "--roster", path)
    assert bad.exit_code == 1 and any(x.startswith(agent_id + " ") and ": daily hours: " in x
                                      for x in bad.output.splitlines()), bad.output
    _set_first_shift(path, "09:00-25:00")
    malformed = _validate("--plan", small_plan, "--roster", path)
    assert malformed.exit_code == 2 and len(malformed.stderr.strip().splitlines()) == 1, malformed.output
    assert str(path) in malformed.stderr and ", field '" in malformed.stderr
    assert "'09:00-25:00': 25:00 is not a time of day" in malformed.stderr


def _first_shift_cell(rows: list[list]) -> tuple[int, int]:
    header = [str(c) for c in rows[0]]
    for i, row in enumerate(rows[1:], start=1):
        for j, col in enumerate(header):
            if col[:3] in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun") and str(row[j]).startswith("09:00-18:00"):
                return i, j
    raise AssertionError("no 09:00-18:00 shift")


def _set_first_shift(path, text_of) -> str:
    """Replace the first 09:00-18:00 cell by ``text_of(cell)`` (or a fixed text); returns its agent_id."""
    change = text_of if callable(text_of) else (lambda _old: text_of)
    if path.suffix == ".csv":
        rows = list(csv.reader(path.open(encoding="utf-8-sig")))
        i, j = _first_shift_cell(rows)
        rows[i][j] = change(rows[i][j])
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerows(rows)
        return rows[i][0]
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        rows = [[c.value for c in r] for r in ws.iter_rows()]
        try:
            i, j = _first_shift_cell(rows)
        except AssertionError:
            continue
        ws.cell(i + 1, j + 1).value = change(rows[i][j])
        wb.save(path)
        return rows[i][0]
    raise AssertionError("no 09:00-18:00 shift in the workbook")


def _stretch_first_shift(path) -> str:
    return _set_first_shift(path, lambda old: old.replace("09:00-18:00", "09:00-23:00"))


@pytest.mark.slow
def test_validate_refuses_unknown_agents_and_dates_outside_the_plan(small_plan, tmp_path):
    edited = tmp_path / "shifts.csv"

    def stranger(rows):
        rows[1]["agent_id"] = "X999"

    _edit_shifts(small_plan / "shifts.csv", edited, stranger)
    out = _validate("--plan", small_plan, "--roster", edited)
    assert out.exit_code == 2 and f"{edited}:3, field 'agent_id': unknown agent 'X999'" in out.stderr

    def next_week(rows):
        for key in ("date", "shift_start", "shift_end", "lunch_start", "lunch_end"):
            if rows[0][key]:
                rows[0][key] = rows[0][key].replace("2025-03-1", "2025-03-2", 1)

    _edit_shifts(small_plan / "shifts.csv", edited, next_week)
    out = _validate("--plan", small_plan, "--roster", edited)
    assert out.exit_code == 2 and f"{edited}:2, field 'date'" in out.stderr, out.output


@pytest.mark.slow
def test_validate_rechecks_approved_leave_from_the_plans_requests_or_the_option(small_plan, tmp_path):
    first = next(csv.DictReader((small_plan / "shifts.csv").open(encoding="utf-8-sig")))
    leave = tmp_path / "requests.csv"
    leave.write_text(f"agent_id,date,kind\n{first['agent_id']},{first['date']},leave\n", encoding="utf-8")
    bad = _validate("--plan", small_plan, "--requests", leave)
    assert bad.exit_code == 1, bad.output
    assert any(x.startswith(f"{first['agent_id']} {first['agent_name']}, {first['date']} ")
               and ": leave: " in x for x in bad.output.splitlines()), bad.output
    # the plan's own requests, as summary.json records them (schedule plan --requests)
    copy = tmp_path / "plan"
    shutil.copytree(small_plan, copy)
    summary = json.loads((copy / "summary.json").read_text(encoding="utf-8"))
    summary["inputs"]["requests"] = str(leave)
    (copy / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    assert _validate("--plan", copy).exit_code == 1
    leave.unlink()  # gone: said, not an error, and leave is not checked
    gone = _validate("--plan", copy)
    assert gone.exit_code == 0 and "approved leave is not checked" in gone.output, gone.output
