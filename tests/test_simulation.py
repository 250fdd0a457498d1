"""The plan simulation against queueing theory, the requirements model, and itself."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from core.scenario import load_scenario
from scenarios import DEFAULT_SCENARIO
from scheduler.simulation import (
    SIMULATION_COLUMNS,
    priority_service_levels,
    run_queue,
    simulate_channel,
    simulate_plan,
    simulate_result,
    write_simulation,
)
from scheduler.simulation.plan_sim import simulate_coverage, t_quantile_975
from scheduler.simulation.priority import first_passage_survival
from scheduler.staffing.erlang import asa_s, service_level
from scheduler.staffing.requirements import compute_requirements

AHT_S = 180.0


def stationary(load_erl, heads, answer_within_s, arrivals, seed=2025, **kw):
    """One open interval, long enough for ``arrivals`` contacts at a constant rate. A million arrivals
    keep the spread of the simulated service level across seeds within about 0.7 points."""
    interval_s = arrivals * AHT_S / load_erl
    return simulate_channel(np.random.default_rng(seed), is_open=[True], contacts=[float(arrivals)], aht_s=[AHT_S],
                            heads=[float(heads)], interval_s=interval_s, shrinkage=0.0, deferred=False,
                            answer_within_s=answer_within_s, **kw)


# --- the engine against Erlang C ----------------------------------------------------------------------

@pytest.mark.slow
def test_stationary_queue_agrees_with_erlang_c():
    res = stationary(10.0, 12, 20.0, 1_000_000)
    assert res["ok"].size > 990_000
    assert res["ok"].mean() == pytest.approx(float(service_level(12, 10.0, AHT_S, 20.0)), abs=0.015)
    assert res["wait_s"].mean() == pytest.approx(float(asa_s(12, 10.0, AHT_S)), rel=0.1)


@pytest.mark.slow
def test_chat_slots_agree_with_erlang_c_on_k_times_n_servers():
    # 8 agents x 3 chats = 24 slots at 20 Erlang of chat sessions (83% slot occupancy)
    res = stationary(20.0, 8, 30.0, 1_000_000, concurrency=3)
    assert res["servers"].tolist() == [24]
    assert res["ok"].mean() == pytest.approx(float(service_level(24, 20.0, AHT_S, 30.0)), abs=0.015)
    assert res["wait_s"].mean() == pytest.approx(float(asa_s(24, 20.0, AHT_S)), rel=0.1)


@pytest.mark.slow
def test_vip_and_regular_agree_with_the_priority_formulas():
    agents, load, share = 12, 10.5, 0.2
    res = stationary(load, agents, 20.0, 1_000_000, vip_share=share, seed=11)
    theory = priority_service_levels(agents, load, share * load, AHT_S, 20.0)
    vip = res["vip"]
    assert vip.mean() == pytest.approx(share, abs=0.01)
    assert res["ok"][vip].mean() == pytest.approx(float(theory["vip"]), abs=0.02)
    assert res["ok"][~vip].mean() == pytest.approx(float(theory["regular"]), abs=0.02)
    assert res["wait_s"][vip].mean() == pytest.approx(float(theory["asa_vip_s"]), rel=0.15)
    assert res["wait_s"][~vip].mean() == pytest.approx(float(theory["asa_regular_s"]), rel=0.1)
    assert theory["vip"] > float(service_level(agents, load, AHT_S, 20.0)) > theory["regular"]


# --- the priority formulas ----------------------------------------------------------------------------

def test_priority_formulas_reduce_to_erlang_c():
    n, a, t = np.array([5, 12, 55]), np.array([3.0, 10.0, 50.0]), np.array([20.0, 20.0, 60.0])
    ec = service_level(n, a, AHT_S, t)
    assert np.allclose(priority_service_levels(n, a, 0.0, AHT_S, t)["regular"], ec, atol=1e-9)
    assert np.allclose(priority_service_levels(n, a, a, AHT_S, t)["vip"], ec, atol=1e-12)
    assert np.allclose(priority_service_levels(n, a, 0.0, AHT_S, t)["asa_regular_s"], asa_s(n, a, AHT_S))


def test_regular_wait_distribution_has_cobhams_mean_and_conserves_the_mean_wait():
    n, a, a1 = 10, 8.0, 3.0
    th = priority_service_levels(n, a, a1, AHT_S, 0.0)
    # the mean of the wait given waiting, integrated from the survival function
    t = np.linspace(0.0, 12 * AHT_S, 121)
    surv = np.array([first_passage_survival(a / n, a1 / AHT_S, n / AHT_S, x) for x in t])
    simpson = np.r_[1, np.tile([4, 2], 59), 4, 1] * (t[1] - t[0]) / 3
    mean_given_wait = float(simpson @ surv)
    assert th["p_wait"] * mean_given_wait == pytest.approx(float(th["asa_regular_s"]), rel=1e-3)
    # work conservation: the load-weighted mean wait equals the FCFS one
    mixed = (a1 * th["asa_vip_s"] + (a - a1) * th["asa_regular_s"]) / a
    assert float(mixed) == pytest.approx(float(asa_s(n, a, AHT_S)), rel=1e-9)


def test_priority_edge_cases():
    out = priority_service_levels([3, 5, 5], [4.0, 0.0, 4.5], [2.0, 0.0, 4.5], AHT_S, 20.0)
    assert out["regular"][0] == 0.0 and out["asa_regular_s"][0] == np.inf  # N <= A: regulars unstable
    assert 0.0 < out["vip"][0] < 1.0 and np.isfinite(out["asa_vip_s"][0])  # ... VIPs are still answered
    assert out["vip"][1] == out["regular"][1] == 1.0
    with pytest.raises(ValueError):
        priority_service_levels(5, 3.0, 4.0, AHT_S, 20.0)


# --- the queue engine's rules -------------------------------------------------------------------------

def test_queue_runs_across_interval_boundaries():
    # 1 server in [0, 100), 0 in [100, 200), 1 in [200, 300)
    st = run_queue([10.0, 20.0, 150.0], [95.0, 10.0, 5.0], [0, 0, 0], [0.0, 100.0, 200.0, 300.0],
                   np.array([1, 0, 1]))
    # the first contact is served past the boundary; the others wait through the unstaffed interval
    assert st.tolist() == [10.0, 200.0, 210.0]


def test_a_drop_in_staff_lets_busy_agents_finish():
    # 2 servers then 1: both contacts in service at the boundary finish; the third waits for a server
    args = ([0.0, 0.0, 60.0], [80.0, 120.0, 1.0], [0, 0, 0], [0.0, 50.0, 1000.0], np.array([2, 1]))
    assert run_queue(*args).tolist() == [0.0, 0.0, 120.0]  # pessimistic rule: the leaver finishes last
    starts = {run_queue(*args, rng=np.random.default_rng(s))[2] for s in range(40)}
    assert starts == {80.0, 120.0}  # random leaver: whoever stays takes the next contact when free


def test_priority_drain_and_ties():
    # a VIP arriving later is served before a waiting regular; contacts released together: VIP first
    st = run_queue([0.0, 1.0, 2.0], [10.0, 1.0, 1.0], [1, 1, 0], [0.0, 100.0], np.array([1]))
    assert st.tolist() == [0.0, 11.0, 10.0]
    st = run_queue([5.0, 5.0], [1.0, 1.0], [1, 0], [0.0, 5.0, 10.0], np.array([0, 1]))
    assert st.tolist() == [6.0, 5.0]
    # closing with a queue: with drain the closing server answers it, without it waits for ever
    args = ([0.0, 1.0], [50.0, 5.0], [0, 0], [0.0, 10.0, 20.0], np.array([1, 0]))
    assert run_queue(*args, drain=[False, True, False]).tolist() == [0.0, 50.0]
    assert run_queue(*args)[1] == np.inf


def test_queue_validates_before_running():
    with pytest.raises(ValueError, match="non-decreasing"):
        run_queue([2.0, 1.0], [1.0, 1.0], [0, 0], [0.0, 10.0], np.array([1]))
    with pytest.raises(ValueError, match="bounds_s"):
        run_queue([1.0], [1.0], [0], [0.0], np.array([1]))
    with pytest.raises(ValueError, match="servers"):
        run_queue([1.0], [1.0], [0], [0.0, 10.0], np.array([1.5]))


# --- against the requirements model -------------------------------------------------------------------

def _email_days(days=3):
    sc = load_scenario(DEFAULT_SCENARIO)
    starts = pd.date_range("2025-03-10", periods=24 * days, freq="h")
    open_ = (starts.hour >= 9) & (starts.hour < 18)
    fc = pd.DataFrame({"interval_start": starts, "channel": "email",
                       "contacts": np.where(open_, 30.0, 6.0), "aht_s": 360.0})
    req = compute_requirements(fc, sc, pd.Series(open_, index=starts))
    return sc, req


def test_email_staffed_per_requirements_is_answered_within_the_window():
    sc, req = _email_days()
    cov = req.assign(service_level=1.0)
    heads = req[["interval_start", "channel"]].assign(heads=req["required_scheduled"])
    per_day, summary = simulate_coverage(cov, sc, heads, reps=8, seed=3)
    week = per_day[per_day["date"] == "week"].iloc[0]
    # carried overnight emails (6 an hour) and open-hour ones are all handled
    assert week["contacts"] == pytest.approx(req["contacts"].sum(), rel=0.05)
    assert week["service_level"] >= 0.98
    # on the last day emails due after the horizon must be done by its close, so allow a little there
    assert (per_day.loc[per_day["date"] < "2025-03-12", "service_level"] >= 0.995).all()
    assert summary["channels"]["email"]["projected_service_level"] == pytest.approx(1.0)


# --- plan folders -------------------------------------------------------------------------------------

def _tiny_plan(tmp_path, with_assignments=True):
    """One day, hourly, phone and email, 09:00-18:00, written as a plan folder."""
    starts = pd.date_range("2025-03-10", periods=24, freq="h")
    open_ = (starts.hour >= 9) & (starts.hour < 18)
    rows, assign = [], []
    for ch, rate, aht, heads in (("phone", 40.0, 270.0, 8), ("email", 12.0, 360.0, 2)):
        for t, o in zip(starts, open_):
            h = heads if o else 0
            rows.append({"interval_start": t.strftime("%Y-%m-%dT%H:%M"), "channel": ch, "contacts": rate if o else 0.0,
                         "aht_s": aht, "scheduled_heads": h, "service_level": 0.9 if o else np.nan, "open": bool(o),
                         "arrivals": rate if o else rate / 4})
            assign += [{"interval_start": t.strftime("%Y-%m-%dT%H:%M"), "agent_id": f"{ch[0]}{k}", "channel": ch}
                       for k in range(h)]
    plan = tmp_path / "plan"
    plan.mkdir()
    pd.DataFrame(rows).to_csv(plan / "coverage.csv", index=False)
    if with_assignments:
        pd.DataFrame(assign).to_csv(plan / "assignments.csv", index=False)
    (plan / "summary.json").write_text(json.dumps({"inputs": {"scenario": str(DEFAULT_SCENARIO)}}))
    return plan


def test_plan_folder_simulation(tmp_path):
    plan = _tiny_plan(tmp_path)
    per_day, summary = simulate_plan(plan, reps=5, seed=7)
    assert list(per_day.columns) == SIMULATION_COLUMNS
    assert per_day[["channel", "date"]].values.tolist() == [["phone", "2025-03-10"], ["phone", "week"],
                                                            ["email", "2025-03-10"], ["email", "week"]]
    phone = per_day[(per_day["channel"] == "phone") & (per_day["date"] == "week")].iloc[0]
    assert phone["contacts"] == pytest.approx(360, rel=0.1)  # live arrivals only: 9 open hours x 40
    # 8 heads x 0.7 = 5.6 agents at 3 Erlang: comfortably above 80% in 20 s
    assert 0.8 < phone["service_level"] <= 1.0
    assert phone["service_level_ci_low"] <= phone["service_level"] <= phone["service_level_ci_high"]
    assert 0 <= phone["asa_s_ci_low"] <= phone["asa_s"] <= phone["asa_s_ci_high"]
    assert phone["projected_service_level"] == pytest.approx(0.9)
    assert np.isnan(phone["vip_service_level"]) and phone["regular_service_level"] == phone["service_level"]
    assert summary["channels"]["phone"]["difference_points"] == pytest.approx(100 * (phone["service_level"] - 0.9))
    email = per_day[(per_day["channel"] == "email") & (per_day["date"] == "week")].iloc[0]
    assert email["contacts"] == pytest.approx(9 * 12 + 9 * 3, rel=0.15)  # open arrivals + carried overnight
    out = write_simulation(per_day, plan)
    assert out == plan / "simulation.csv"
    assert sorted(p.name for p in plan.iterdir()) == ["assignments.csv", "coverage.csv", "simulation.csv",
                                                      "summary.json"]  # no temporary file left
    back = pd.read_csv(out)
    assert list(back.columns) == SIMULATION_COLUMNS and len(back) == 4


def test_plan_simulation_is_deterministic_and_uses_heads_from_either_source(tmp_path):
    a, _ = simulate_plan(_tiny_plan(tmp_path), reps=3, seed=5, vip_share={"phone": 0.3})
    b, _ = simulate_plan(tmp_path / "plan", reps=3, seed=5, vip_share={"phone": 0.3})
    pd.testing.assert_frame_equal(a, b)
    c, _ = simulate_plan(tmp_path / "plan", reps=3, seed=6, vip_share={"phone": 0.3})
    assert not a["service_level"].equals(c["service_level"])
    # without assignments.csv the heads come from coverage's scheduled_heads: the same numbers here
    (tmp_path / "plan" / "assignments.csv").unlink()
    d, _ = simulate_plan(tmp_path / "plan", reps=3, seed=5, vip_share={"phone": 0.3})
    pd.testing.assert_frame_equal(a, d)
    phone = a[(a["channel"] == "phone") & (a["date"] == "week")].iloc[0]
    assert phone["vip_service_level"] >= phone["regular_service_level"]


def test_simulate_result_reads_the_in_memory_plan(tmp_path):
    plan = _tiny_plan(tmp_path)
    expected, _ = simulate_plan(plan, reps=2, seed=1)
    coverage = pd.read_csv(plan / "coverage.csv")
    roster = SimpleNamespace(assignments=pd.read_csv(plan / "assignments.csv"))
    result = SimpleNamespace(coverage=coverage, roster=roster,
                             inputs=SimpleNamespace(scenario=load_scenario(DEFAULT_SCENARIO)))
    got, summary = simulate_result(result, reps=2, seed=1)
    pd.testing.assert_frame_equal(expected, got)
    assert summary["reps"] == 2 and set(summary["channels"]) == {"phone", "email"}


def test_plan_errors_name_the_file(tmp_path):
    with pytest.raises(InputError, match="plan folder not found"):
        simulate_plan(tmp_path / "nope")
    plan = _tiny_plan(tmp_path)
    with pytest.raises(InputError, match="reps"):
        simulate_plan(plan, reps=0)
    pd.read_csv(plan / "coverage.csv").drop(columns=["arrivals"]).to_csv(plan / "coverage.csv", index=False)
    with pytest.raises(InputError, match="coverage.csv.*arrivals"):
        simulate_plan(plan)


def test_t_quantiles():
    assert t_quantile_975(9) == 2.262
    assert t_quantile_975(60) == pytest.approx(2.0003, abs=1e-3)
