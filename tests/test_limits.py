"""Numbers a user gets wrong, and work that must stay bounded (issue 14).

Every bad input gives one line on stderr naming the file and key (and row for agents.csv), exit code 2,
no traceback, and nothing written. Long work is bounded: huge loads are answered by the closed-form
Erlang B, the simulation's replications are capped, and a plan on a history a million times too large
finishes with a warning instead of hanging.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from core.errors import InputError
from core.limits import MAX_COST, MAX_OBJECTIVE_COST, OBJECTIVE_SCALE, SEED_MAX
from core.scenario import load_scenario
from forecasts.history import DEFAULT_HISTORY
from scenarios import DEFAULT_AGENTS, DEFAULT_SCENARIO
from scheduler.cli import app
from scheduler.plan_health import GAP_WARN, plan_warnings

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def assert_one_line_error(result, *needles):
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def scenario_file(tmp_path, body: str, name: str = "s.toml") -> str:
    path = tmp_path / name
    path.write_text(f'extends = "{DEFAULT_SCENARIO.as_posix()}"\n{body}', encoding="utf-8")
    return str(path)


def agents_file(tmp_path, row: int, **values) -> str:
    """The bundled pool with some fields of one data row (``row`` is the line number) changed."""
    pool = pd.read_csv(DEFAULT_AGENTS, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    for key, value in values.items():
        pool.loc[row - 2, key] = value
    path = tmp_path / "agents.csv"
    pool.to_csv(path, index=False)
    return str(path)


# --- the scenario: every number finite and within its bound, every time parsed, at load ------------------

@pytest.mark.parametrize("body,key,needle", [
    ("understaffed_penalty = inf\n", "understaffed_penalty", "finite"),
    ("understaffed_penalty = nan\n", "understaffed_penalty", "finite"),
    ("understaffed_penalty = 1e300\n", "understaffed_penalty", f"{MAX_COST:,.0f}"),
    ('[[temporary_agents]]\ncount = 3\nskills = ["chat"]\nhourly_cost = inf\n', "temporary_agents.0.hourly_cost",
     "finite"),
    ('[[temporary_agents]]\ncount = 3\nskills = ["chat"]\nhourly_cost = 1e300\n',
     "temporary_agents.0.hourly_cost", "overflow"),
    ("[roster]\nchange_penalty = 1e300\n", "roster.change_penalty", "overflow"),
    ("[roster]\nspread_penalty = 1e300\n", "roster.spread_penalty", "overflow"),
    ("[roster]\nday_off_penalty = 1e300\n", "roster.day_off_penalty", "overflow"),
    ("[roster]\nunstable_factor = 1e3\n", "roster.unstable_factor", "less than or equal to 100"),
    ("[roster.month]\nunstable_factor = -1\n", "roster.month.unstable_factor", "greater than or equal to 0"),
    ("[roster]\ntime_limit_s = 0.001\n", "roster.time_limit_s", "greater than or equal to 1"),
    ("[roster]\ntime_limit_s = inf\n", "roster.time_limit_s", "finite"),
    ("seed = -1\n", "seed", "2147483647"),
    ("seed = 9223372036854775808\n", "seed", "2147483647"),
    ("seed = 2147483648\n", "seed", "32-bit"),
    ('[roster]\nlunch_window = "25:00-26:00"\n', "roster.lunch_window", "not a time HH:MM"),
    ('[roster]\nlunch_window = "closed"\n', "roster.lunch_window", "not a lunch window"),
    ('[roster]\nfixed_lunch_at = "12:60"\n', "roster.fixed_lunch_at", "not a time HH:MM"),
    ("[pay]\nstatutory_holiday = 1e300\n", "pay.statutory_holiday", "less than or equal to 10"),
    ("[labour]\nmax_overtime_h_per_day = inf\n", "labour.max_overtime_h_per_day", "finite"),
    ("[channels.chat]\ndefault_aht_s = 1e300\n", "channels.chat.default_aht_s", "less than or equal"),
    ("[channels.email]\nresponse_window_h = inf\n", "channels.email.response_window_h", "finite"),
    ('[[promotions]]\nname = "x"\nmain_day = "11-11"\neffects = { chat = { multiplier = inf } }\n',
     "promotions.0.effects.chat.multiplier", "finite"),
])
def test_scenario_numbers_and_times_are_checked_at_load(tmp_path, body, key, needle):
    path = scenario_file(tmp_path, body)
    with pytest.raises(InputError) as err:
        load_scenario(path)
    assert err.value.field == key and needle in str(err.value) and "\n" not in str(err.value)
    out = tmp_path / "out"
    line = assert_one_line_error(run("plan", "--week", "2025-11", "--scenario", path, "--out", out), f"'{key}'")
    assert line.startswith(f"error: {path}")
    assert not out.exists()


def test_the_cost_bound_keeps_the_roster_objective_exact():
    """MAX_COST comes from the roster's objective scale, not from a guess: the model's scale is ours."""
    from scheduler.roster.model import SCALE

    assert SCALE == OBJECTIVE_SCALE
    assert MAX_COST * OBJECTIVE_SCALE * 2**24 <= 2**53 < 2**63
    assert MAX_OBJECTIVE_COST * OBJECTIVE_SCALE == 2**53


def test_seed_bound_is_what_cp_sat_accepts():
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    solver.parameters.random_seed = SEED_MAX  # accepted
    with pytest.raises(TypeError):
        solver.parameters.random_seed = SEED_MAX + 1


@pytest.mark.parametrize("value,kind", [("5", "5"), ('["a.toml", "b.toml"]', "a list"), ("{ x = 1 }", "a table"),
                                        ('""', "''")])
def test_extends_must_be_one_file_name(tmp_path, value, kind):
    path = tmp_path / "s.toml"
    path.write_text(f"extends = {value}\n", encoding="utf-8")
    out = tmp_path / "out"
    line = assert_one_line_error(run("plan", "--week", "2025-11", "--scenario", path, "--out", out),
                                 "field 'extends'", f"not {kind}")
    assert str(path) in line and not out.exists()


def test_gbk_scenario_says_toml_is_utf8_and_how_to_fix(tmp_path):
    path = tmp_path / "gbk.toml"
    text = f'extends = "{DEFAULT_SCENARIO.as_posix()}"\nname = "大促"\n'  # 大 is B4 F3 in GBK: not UTF-8
    path.write_bytes(text.encode("gbk"))
    out = tmp_path / "out"
    line = assert_one_line_error(run("plan", "--week", "2025-11", "--scenario", path, "--out", out),
                                 f"{path}:2:", "not UTF-8", "iconv -f GBK -t UTF-8")
    assert "TOML files are UTF-8" in line and not out.exists()


def test_utf8_bom_scenario_loads(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(f'extends = "{DEFAULT_SCENARIO.as_posix()}"\nname = "促销"\n'.encode("utf-8-sig"))
    assert load_scenario(path).name == "促销"


def test_compare_checks_every_scenario_before_planning(tmp_path):
    """A bad lunch window in the second scenario fails at load, before the first one is planned."""
    good = scenario_file(tmp_path, 'name = "good"\n', "good.toml")
    bad = scenario_file(tmp_path, 'name = "bad"\n[roster]\nlunch_window = "25:00-26:00"\n', "bad.toml")
    out = tmp_path / "cmp"
    result = run("compare", good, bad, "--week", "2025-11", "--out", out)
    assert_one_line_error(result, "bad.toml", "'roster.lunch_window'", "'25:00' is not a time HH:MM")
    assert "scenario(s)" not in result.stdout  # nothing was started
    assert not out.exists()


def test_compare_caps_the_number_of_scenarios(tmp_path):
    from scheduler.compare import MAX_SCENARIOS

    out = tmp_path / "cmp"
    result = run("compare", *[DEFAULT_SCENARIO] * (MAX_SCENARIOS + 1), "--week", "2025-11", "--out", out)
    assert_one_line_error(result, "SCENARIO", f"at most {MAX_SCENARIOS}")
    assert not out.exists()


def test_sweep_time_limit_is_bounded_like_the_scenario(tmp_path):
    out = tmp_path / "sw"
    result = run("sweep", "--week", "2025-11", "--grid", "shrinkage=0.25,0.3", "--time-limit-s", "0.001",
                 "--out", out)
    assert_one_line_error(result, "--time-limit-s", "from 1 to")
    assert not out.exists()


# --- the agent pool ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("values,field,needle", [
    ({"hourly_cost": "inf"}, "hourly_cost", "'inf' is not a finite number"),
    ({"hourly_cost": "nan"}, "hourly_cost", "not a finite number"),
    ({"hourly_cost": "1e300"}, "hourly_cost", f"at most {MAX_COST:,.0f}"),
    ({"hourly_cost": "-3"}, "hourly_cost", "above 0"),
    ({"max_weekly_h": "inf"}, "max_weekly_h", "not a finite number"),
    ({"max_weekly_h": "200"}, "max_weekly_h", "from 0 to 168"),
])
def test_agent_numbers_name_file_row_and_field(tmp_path, values, field, needle):
    path = agents_file(tmp_path, 7, **values)
    out = tmp_path / "out"
    line = assert_one_line_error(run("plan", "--week", "2025-11", "--agents", path, "--out", out),
                                 f"{path}:7", f"field '{field}'", needle)
    assert line.count(":7") == 1 and not out.exists()


# --- weeks ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("week,plan_says,forecast_says", [
    ("9999-52", "outside the years 1900-2200", "outside the years 1900-2200"),
    ("9999-12-31", "outside the years 1900-2200", "outside the years 1900-2200"),
    ("0001-01", "outside the years 1900-2200", "outside the years 1900-2200"),
    ("2030-10", "calendar covers 2004-2026, not 2030", "outside the history's reach"),
])
def test_week_outside_what_can_be_planned(tmp_path, week, plan_says, forecast_says):
    out = tmp_path / "out"
    for command, needle in (("plan", plan_says), ("forecast", forecast_says)):
        result = run(command, "--week", week, "--out", out)
        assert_one_line_error(result, needle)
        assert not out.exists()


def test_backtest_horizon_beyond_the_history(tmp_path):
    out = tmp_path / "bt"
    result = run("backtest", "--history", DEFAULT_HISTORY, "--horizon-days", 100000, "--out", out)
    assert_one_line_error(result, "--folds", "days of history")
    assert not out.exists()


# --- counts with a documented cap -------------------------------------------------------------------------

@pytest.mark.parametrize("args,needle", [
    (("--reps", 100_000_000), "from 1 to 1000"),
    (("--seed", -1), "from 0 to 2147483647"),
])
def test_simulate_counts_are_capped_before_any_work(tmp_path, args, needle):
    result = run("simulate", "--plan", tmp_path / "no_plan_here", *args)
    assert_one_line_error(result, needle)


def test_simulating_too_many_contacts_is_refused_before_any_event(tmp_path):
    """The plan of a history scaled by 10^6 holds 2 x 10^10 contacts: no simulation, one line."""
    plan = tmp_path / "plan"
    plan.mkdir()
    pd.DataFrame({"interval_start": ["2025-03-10T09:00", "2025-03-10T10:00"], "channel": "chat", "open": True,
                  "arrivals": [1e10, 1e10], "aht_s": 420.0, "service_level": 0.0, "contacts": [1e10, 1e10],
                  "scheduled_heads": 5}).to_csv(plan / "coverage.csv", index=False)
    (plan / "summary.json").write_text(json.dumps({"inputs": {"scenario": str(DEFAULT_SCENARIO)}}), encoding="utf-8")
    result = run("simulate", "--plan", plan, "--reps", 10)
    assert_one_line_error(result, "coverage.csv", "2e+11", "too many contacts to simulate")
    assert sorted(p.name for p in plan.iterdir()) == ["coverage.csv", "summary.json"]


# --- erlang: answers for huge loads, caps beyond them -----------------------------------------------------

def halfin_whitt_agents(load: float, aht_s: float, within_s: float, target: float) -> float:
    """Square-root staffing: N = A + beta sqrt(A) with the Halfin-Whitt service level
    1 - exp(-beta sqrt(A) t / AHT) / (1 + beta Phi(beta) / phi(beta)) = target, solved by bisection."""
    def sl(beta):
        phi = math.exp(-beta * beta / 2) / math.sqrt(2 * math.pi)
        big_phi = 0.5 * math.erfc(-beta / math.sqrt(2))
        return 1 - math.exp(-beta * math.sqrt(load) * within_s / aht_s) / (1 + beta * big_phi / phi)
    lo, hi = 0.0, 40.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if sl(mid) < target else (lo, mid)
    return load + hi * math.sqrt(load)


def test_erlang_huge_load_answers_near_square_root_staffing():
    result = run("erlang", "--contacts", "1e9", "--aht-s", 180, "--answer-within-s", 20, "--target", 0.8, "--json")
    assert result.exit_code == 0, result.output
    rep = json.loads(result.stdout)
    load = 1e9 * 180 / 3600
    assert rep["load_erl"] == pytest.approx(load)
    assert 0 <= rep["agents"] - halfin_whitt_agents(load, 180, 20, 0.8) <= 2
    assert 0.8 <= rep["service_level"] < 0.9


def test_erlang_two_billion_agents():
    result = run("erlang", "--contacts", "1e9", "--aht-s", 180, "--answer-within-s", 20, "--agents", 2_000_000_000,
                 "--json")
    assert result.exit_code == 0, result.output
    rep = json.loads(result.stdout)
    assert rep["agents"] == 2_000_000_000 and rep["p_wait"] == 0.0 and rep["service_level"] == 1.0
    assert rep["occupancy"] == pytest.approx(0.025)


@pytest.mark.parametrize("args,needle", [
    (("--contacts", "1e300", "--target", 0.8), "above the cap of 1e+12 Erlang"),
    (("--contacts", 100, "--agents", 10**20), "from 0 to 1e+15"),
])
def test_erlang_beyond_the_caps(args, needle):
    result = run("erlang", "--aht-s", 180, "--answer-within-s", 20, *args)
    assert_one_line_error(result, needle)


# --- plan on a history a million times too large -----------------------------------------------------------

def scaled_history(tmp_path, factor: float):
    hist = pd.read_csv(DEFAULT_HISTORY)
    hist = hist[hist["interval_start"] >= "2024-09-01"]  # enough for the forecast of 2025-W11
    hist = hist.assign(contacts=hist["contacts"] * factor)
    path = tmp_path / f"history_x{factor:g}.csv"
    hist.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("factor,needles", [
    (1e9, ("heads at once", "beyond the 9.01e+13 the roster's integer objective holds", "check the history's")),
    (1e12, ("Erlang in an interval", "above the 1e+12 the staffing search takes", "check the contacts")),
])
def test_plan_on_a_history_too_large_to_roster_is_one_line(tmp_path, factor, needles):
    path = scaled_history(tmp_path, factor)
    out = tmp_path / "out"
    assert_one_line_error(run("plan", "--week", "2025-11", "--history", path, "--out", out),
                          f"error: {path}, field 'contacts'", *needles)
    assert not out.exists()


@pytest.mark.slow
def test_plan_on_a_history_scaled_by_a_million_finishes_with_a_warning(tmp_path):
    """It hung for over 300 s (the O(N) Erlang recursion at 10^7 agents); now every stage is bounded."""
    path = scaled_history(tmp_path, 1e6)
    out = tmp_path / "out"
    result = run("plan", "--week", "2025-11", "--history", path, "--out", out)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert len(summary["warnings"]) >= 1
    warning = next(w for w in summary["warnings"] if w.startswith("heavy shortfall"))
    assert "check the forecast's history" in warning
    assert f"warning: {warning}" in result.stdout.splitlines()
    req = pd.read_csv(out / "requirements.csv")
    assert req["required_scheduled"].max() > 1e6


# --- a channel the scenario serves and the history lacks ---------------------------------------------------

def history_without(tmp_path, channel: str):
    hist = pd.read_csv(DEFAULT_HISTORY)
    hist = hist[(hist["interval_start"] >= "2024-09-01") & (hist["channel"] != channel)]
    path = tmp_path / f"history_without_{channel}.csv"
    hist.to_csv(path, index=False)
    return path


def test_a_channel_the_history_lacks_is_planned_at_zero_with_a_warning(tmp_path):
    """A history without phone rows left phone out of the plan without a word (no summary entry, no
    note, no warning; the week's cost fell from 72.6k to 49.3k): now the forecast and requirements have
    phone at 0 and the problem carries a warning naming the history file and the channel."""
    from scheduler.plan import build_problem, load_inputs
    from scheduler.weeks import parse_week

    path = history_without(tmp_path, "phone")
    built = build_problem(load_inputs(parse_week("2025-11"), history_path=path))
    assert built.channels == ["chat", "phone", "email"]
    assert built.warnings == [f"the history {path} has no phone rows, a channel scenario 'baseline' serves: phone "
                              "is planned with 0 contacts and nobody staffed for it; add its history, or set "
                              "served = false in the scenario's [channels.phone] (or remove that table)"]
    fc = built.forecast
    phone = fc[fc["channel"] == "phone"]
    assert len(phone) == 7 * 24 and (phone[["contacts", "contacts_p10", "contacts_p90"]] == 0).all().all()
    assert fc.groupby("channel")["contacts"].sum()[["chat", "email"]].min() > 1000
    assert list(fc["channel"].iloc[:3]) == ["chat", "phone", "email"]  # in the order of every forecast
    req = built.requirements
    assert req.loc[req["channel"] == "phone", "required_scheduled"].sum() == 0
    assert req.loc[req["channel"] == "chat", "required_scheduled"].sum() > 0


def test_a_scenario_that_extends_another_drops_a_channel_it_inherits_with_served_false(tmp_path):
    """What the warning above advises: a chat-and-email shop extending the bundled scenario sets
    ``served = false`` in ``[channels.phone]`` (tables merge, so leaving the table out kept phone), and its
    history without phone plans those two channels without the warning."""
    from scheduler.plan import build_problem, load_inputs
    from scheduler.weeks import parse_week

    scenario = tmp_path / "shop.toml"
    scenario.write_text(f'extends = "{DEFAULT_SCENARIO.as_posix()}"\nname = "shop"\n[channels.phone]\n'
                        'served = false\n', encoding="utf-8")
    built = build_problem(load_inputs(parse_week("2025-11"), scenario_path=scenario,
                                      history_path=history_without(tmp_path, "phone")))
    assert built.channels == ["chat", "email"] and set(built.requirements["channel"]) == {"chat", "email"}
    assert not any("no phone rows" in w for w in built.warnings)
    # the bundled pool's six phone-only agents have no skill the shop serves, and are named for it
    assert [w for w in built.warnings if "can give no shift" in w and "A008 (skills phone" in w]


def test_forecast_says_so_too_and_writes_the_channel_at_zero(tmp_path):
    """`schedule forecast` dropped the channel without a word, where `plan` warns: both now forecast it
    the same way (one rule, ``plan_health.unforecast_channels``)."""
    path = history_without(tmp_path, "email")
    result = run("forecast", "--week", "2025-11", "--history", path, "--out", tmp_path / "f")
    assert result.exit_code == 0, result.output
    assert f"warning: the history {path} has no email rows, a channel scenario 'baseline' serves" in result.stdout
    fc = pd.read_csv(tmp_path / "f" / "forecast.csv")
    assert set(fc["channel"]) == {"chat", "phone", "email"}
    assert fc.loc[fc["channel"] == "email", "contacts"].sum() == 0


def test_agents_the_roster_can_give_no_shift_are_named_in_a_warning(tmp_path):
    """A pool written for another scenario: an agent whose only skill the scenario does not serve, and a
    part-timer where the scenario has no part-time template, were left out of the plan without a word
    (agents used 10/12, nothing said why)."""
    from scheduler.plan import build_problem, load_inputs
    from scheduler.weeks import parse_week

    pool = tmp_path / "agents.csv"
    pool.write_text("agent_id,name,skills,contract,hourly_cost\nA1,甲,chat|email,full_time,40\n"
                    "A2,乙,phone,full_time,40\nA3,丙,chat,part_time,30\n", encoding="utf-8")
    text = DEFAULT_SCENARIO.read_text(encoding="utf-8")
    text = text.replace(text[text.index("[channels.phone]"):text.index("[channels.email]")], "")
    text = text.replace('contracts = ["part_time"]', 'contracts = ["full_time"]')
    scenario = tmp_path / "shop.toml"
    scenario.write_text(text.replace('events = "events_cn.csv"', ""), encoding="utf-8")
    built = build_problem(load_inputs(parse_week("2025-11"), scenario_path=scenario, agents_path=pool,
                                      history_path=history_without(tmp_path, "phone")))
    assert built.warnings == [f"the agent pool {pool} has 2 agent(s) scenario 'baseline' can give no shift: A2 (skills "
                              "phone, none served), A3 (no template for contract part_time); they are not "
                              "rostered: give them a skill the scenario serves, or a template for their contract"]


# --- the plan's health rule ------------------------------------------------------------------------------

def summary_of(gap=0.001, missing=0, status="OPTIMAL", pool=52, chat_sl=0.95, stopped_by="gap"):
    return {"solver": {"status": status, "gap": gap, "wall_s": 60.0, "stopped_by": stopped_by},
            "understaffed_agent_intervals": missing, "agents_in_pool": pool,
            "channels": {"chat": {"service_level": chat_sl, "target": 0.8},
                         "phone": {"service_level": 0.93, "target": 0.8}}}


def requirements_of(total_heads: int) -> pd.DataFrame:
    return pd.DataFrame({"required_scheduled": [total_heads // 2, total_heads - total_heads // 2]})


def shortfall_of(causes: dict[str, int], need: int = 30) -> pd.DataFrame:
    return pd.DataFrame({"interval_start": pd.date_range("2025-03-10 09:00", periods=len(causes), freq="h"),
                         "channel": "chat", "required_scheduled": need, "scheduled_heads": 0,
                         "missing": list(causes.values()), "cause": list(causes)})


def test_a_sound_plan_has_no_warning():
    assert plan_warnings(summary_of(missing=2), shortfall_of({"cost: a shift here costs more": 2}),
                         requirements_of(2000)) == []


def test_a_large_gap_says_raise_the_time_limit():
    got = plan_warnings(summary_of(gap=0.837, status="FEASIBLE", pool=2000, stopped_by="wall_time"),
                        None, requirements_of(2000))
    assert len(got) == 1 and "83.7%" in got[0] and "raise roster.time_limit_s" in got[0] and "portfolio" in got[0]
    assert plan_warnings(summary_of(gap=GAP_WARN), None, requirements_of(2000)) == []  # the bound itself is fine


@pytest.mark.parametrize("cause,advice", [
    ("pool has 40 chat-skilled agents; 2025-03-10 20:00 needs 48", "hire"),
    ("no shift template covers 22:00 on weekday 2025-03-10", "roster.templates"),
    ("only 12 chat-skilled agents have a contract whose templates cover 2025-10-01 10:00; it needs 19",
     "add starts or longer spans to roster.templates"),
    ("40 chat-skilled agents could cover 2025-03-10 20:00: 30 work it, the others are at the weekly hours cap (10)",
     "labour rules bind"),
    ("27 phone-skilled agents could cover 2025-11-12 12:00: 0 work it, the others are needed on other channels (21), "
     "at lunch (6)", "needed on other channels at those hours: hire (plan --hire auto)"),
    ("20 chat-skilled agents could cover 2025-11-12 12:00: 4 work it, the others are at lunch (9), on a shift that "
     "does not cover it (5), needed on other channels (2)", "widen the lunch_window"),
    ("20 chat-skilled agents could cover 2025-11-12 12:00: 4 work it, the others are already at max_days_per_week "
     "(9), on a shift that does not cover it (5), needed on other channels (2)", "labour rules bind"),
    ("cost: a shift here costs more than the shortfall penalty it removes", "raise understaffed_penalty"),
])
def test_heavy_shortfall_names_what_to_do(cause, advice):
    got = plan_warnings(summary_of(missing=616, chat_sl=0.749), shortfall_of({cause: 616}), requirements_of(3000))
    assert len(got) == 1
    line = got[0]
    assert line.startswith("heavy shortfall: 616 of 3,000") and "(20.5%)" in line
    assert "chat 74.9% against 80%" in line and "phone" not in line and advice in line and "\n" not in line


def test_shortfall_and_gap_together_point_at_the_time_limit():
    got = plan_warnings(summary_of(gap=0.837, missing=616, status="FEASIBLE", pool=2000, chat_sl=0.749),
                        shortfall_of({"cost: a shift here costs more than the shortfall penalty it removes": 600,
                                      "no shift template covers 08:00": 16}), requirements_of(3000))
    assert len(got) == 2 and got[0].startswith("poor roster") and "raise roster.time_limit_s" in got[1]


def test_a_search_ctrl_c_stopped_says_so_and_asks_for_a_full_run_not_a_higher_limit():
    got = plan_warnings(summary_of(gap=0.768, missing=616, status="FEASIBLE", pool=52,
                                   stopped_by="counts: interrupted (Ctrl-C); agents: interrupted (Ctrl-C)"),
                        shortfall_of({"cost: a shift here costs more than the shortfall penalty it removes": 616}),
                        requirements_of(3000))
    assert len(got) == 2 and "stopped by Ctrl-C" in got[0]
    assert all("plan again and let it finish" in line and "time_limit_s" not in line for line in got)


def test_erlang_closed_form_is_what_plan_requirements_use():
    """The 10^6 history's loads (10^7 Erlang) take the closed form: required agents in milliseconds."""
    from scheduler.staffing.erlang import EXACT_MAX_AGENTS, required_agents, service_level

    load = np.array([1e7, 3e7, 2.5e3])
    n = required_agents(load, 420, 30, 0.8, 0.85)
    assert n[0] > EXACT_MAX_AGENTS and np.all(n >= load / 0.85)
    assert np.all(service_level(n, load, 420, 30) >= 0.8)


@pytest.mark.parametrize("search,portfolio_advised", [("deterministic", True), ("portfolio", False)])
def test_time_limit_advice_names_the_scenario_setting(tmp_path, search, portfolio_advised):
    sc = load_scenario(scenario_file(tmp_path, f'[roster]\ntime_limit_s = 10\nsearch = "{search}"\n'))
    got = plan_warnings(summary_of(gap=0.91, status="FEASIBLE", pool=2000, stopped_by="wall_time (may not be "
                                   "reproducible)"), None, requirements_of(1626), sc)
    assert len(got) == 1 and "raise roster.time_limit_s (now 10 s)" in got[0] and "stopped by the wall clock" in got[0]
    assert ("portfolio" in got[0]) == portfolio_advised


@pytest.mark.parametrize("stopped_by,said", [
    ("counts: wall_time (may not be reproducible); agents: deterministic_time", "the wall clock"),
    ("counts: deterministic_time; agents: deterministic_time", "its limit"),
    ("deterministic_time", "its time budget"),
])
def test_a_staged_solve_cut_by_the_clock_says_so(stopped_by, said):
    """A roster solved in two stages reports both stages; the clock stopping either is what the warning names."""
    got = plan_warnings(summary_of(gap=0.3, status="FEASIBLE", pool=52, stopped_by=stopped_by), None,
                        requirements_of(2000))
    assert len(got) == 1 and f"stopped by {said})" in got[0]


def test_served_false_leaves_out_the_history_rows_of_that_channel(tmp_path):
    """``served = false`` on chat with the bundled history (which has chat): the plan, its forecast and the
    `forecast` command leave chat out instead of refusing the history ("history has channel 'chat' that
    scenario does not define"); a channel the scenario neither serves nor drops is still refused."""
    from scheduler.plan import build_problem, load_inputs
    from scheduler.weeks import parse_week

    scenario = tmp_path / "nochat.toml"
    scenario.write_text(f'extends = "{DEFAULT_SCENARIO.as_posix()}"\nname = "nochat"\n[channels.chat]\n'
                        'served = false\n', encoding="utf-8")
    inputs = load_inputs(parse_week("2025-11"), scenario_path=scenario)
    assert inputs.history.channels == ["phone", "email"]
    built = build_problem(inputs)
    assert set(built.forecast["channel"]) == set(built.requirements["channel"]) == {"phone", "email"}
    result = run("forecast", "--week", "2025-11", "--scenario", scenario, "--out", tmp_path / "f")
    assert result.exit_code == 0, result.output
    assert set(pd.read_csv(tmp_path / "f" / "forecast.csv")["channel"]) == {"phone", "email"}
    unserved_history = tmp_path / "phone_rows.csv"
    pd.DataFrame({"interval_start": ["2025-03-03 09:00"], "channel": ["phone"], "contacts": [3]}).to_csv(
        unserved_history, index=False)
    chat_only = tmp_path / "chat_only.toml"
    chat_only.write_text(f'extends = "{DEFAULT_SCENARIO.as_posix()}"\nname = "c"\n[channels.phone]\nserved = false\n'
                         '[channels.email]\nserved = false\n', encoding="utf-8")
    from core.scenario import load_scenario
    from forecasts.history import read_history
    from scheduler.plan import served_history

    strict = load_scenario(chat_only).model_copy(update={"unserved_channels": ["email"]})  # phone: not dropped
    with pytest.raises(InputError, match="history has channel 'phone' that scenario 'c' does not define"):
        served_history(strict, read_history(unserved_history))


def test_a_week_with_every_day_closed_is_refused(tmp_path):
    """Every weekday closed by its own window (the day-type check on load cannot see it: holidays and
    makeup workdays may still open): the plan ran to an empty roster with exit 0 and a service level of
    '-'; it is now refused naming the scenario's [windows], and nothing is written."""
    body = "[windows]\n" + "".join(f'{d} = "closed"\n' for d in
                                   ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
    path = scenario_file(tmp_path, body)
    out = tmp_path / "out"
    assert_one_line_error(run("plan", "--week", "2025-11", "--scenario", path, "--out", out),
                          f"error: {path}", "field 'windows'", "closed on every day of 2025-W11")
    assert not out.exists()
