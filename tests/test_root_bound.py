"""HiGHS's root bound of a CP-SAT model (scheduler.roster.root_bound): the HiGHS model is the CP-SAT
model exactly where the constraints convert exactly (both solvers agree on the optimum), a relaxation
where they do not (its optimum is never above CP-SAT's), the same every run, and silent; a windowed
search reads a bound proven elsewhere once, when its first pass ends, gives the same roster every run
and reports a bound that still holds; the work that waits for it runs behind it on the CPU."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
import random
import sys
import threading

import pandas as pd
import pytest
from factories import MON, agent, problem, scenario
from ortools.sat.python import cp_model

from core.errors import InputError
from scheduler.roster import greedy, solve_roster, windows
from scheduler.roster import model as roster_model
from scheduler.roster.root_bound import BEHIND_NICE, RootBound, behind, relaxation


def _highs_optimum(cp: cp_model.CpModel) -> float:
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(relaxation(cp.proto))
    h.run()
    assert h.modelStatusToString(h.getModelStatus()) == "Optimal"
    return h.getInfo().objective_function_value


def _cp_optimum(cp: cp_model.CpModel) -> float:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(cp) == cp_model.OPTIMAL
    return solver.objective_value


def _random_model(seed: int) -> cp_model.CpModel:
    """Booleans and small integers under every kind of constraint the roster model uses, enforced or not,
    on negated literals too, with an objective that has negated literals and a constant."""
    rng = random.Random(seed)
    m = cp_model.CpModel()
    b = [m.new_bool_var(f"b{i}") for i in range(8)]
    x = [m.new_int_var(0, rng.randint(3, 9), f"x{i}") for i in range(5)]

    def lit():
        v = rng.choice(b)
        return v if rng.random() < 0.6 else ~v

    for _ in range(4):  # linear, ranged
        vs = rng.sample(x, 3)
        expr = sum(rng.randint(-3, 4) * v for v in vs)
        lo = rng.randint(-8, 2)
        m.add_linear_constraint(expr, lo, lo + rng.randint(6, 20))
    for _ in range(4):  # enforced linear, one or two enforcement literals
        vs = rng.sample(x, 2)
        c = m.add(sum(rng.randint(1, 3) * v for v in vs) >= rng.randint(1, 4)) if rng.random() < 0.5 else \
            m.add(sum(rng.randint(1, 3) * v for v in vs) <= rng.randint(2, 8))
        c.only_enforce_if([lit() for _ in range(rng.randint(1, 2))])
    m.add_bool_or([lit() for _ in range(3)]).only_enforce_if(lit())
    m.add_bool_or([lit() for _ in range(3)])
    m.add_bool_and([lit(), lit()]).only_enforce_if(lit())
    m.add_at_most_one(rng.sample(b, 3))
    m.add_exactly_one(rng.sample(b, 3))
    m.add(sum(x) >= 2 * b[0] + b[1])
    m.minimize(sum(rng.randint(-4, 9) * v for v in x) + sum(rng.randint(-5, 5) * lit() for _ in range(6)) + 7)
    return m


def _feasible_model(seed: int) -> cp_model.CpModel:
    """The first feasible draw from ``seed`` on (about one draw in eight is infeasible)."""
    for draw in range(100 * seed, 100 * seed + 100):
        m = _random_model(draw)
        if cp_model.CpSolver().solve(m) != cp_model.INFEASIBLE:
            return m
    raise AssertionError("no feasible draw")


@pytest.mark.parametrize("seed", range(40))
def test_highs_and_cp_sat_agree_where_every_constraint_converts_exactly(seed):
    m = _feasible_model(seed)
    assert _highs_optimum(m) == pytest.approx(_cp_optimum(m), abs=1e-6)


def test_a_max_with_a_cost_is_exact_and_with_a_reward_a_relaxation():
    def model(sign: int) -> cp_model.CpModel:
        m = cp_model.CpModel()
        a, b = m.new_int_var(0, 6, "a"), m.new_int_var(0, 6, "b")
        top = m.new_int_var(0, 20, "top")
        m.add_max_equality(top, [a + 1, 2 * b])
        m.add(a + b >= 5)
        m.minimize(sign * top + a + b)
        return m

    assert _highs_optimum(model(+1)) == pytest.approx(_cp_optimum(model(+1)))  # top is pushed down to the max
    assert _highs_optimum(model(-1)) < _cp_optimum(model(-1))  # top >= max only: a relaxation, still a bound


def test_a_constraint_it_cannot_write_is_left_out_so_the_bound_still_holds():
    m = cp_model.CpModel()
    x = [m.new_int_var(0, 3, f"x{i}") for i in range(4)]
    m.add_all_different(x)
    m.minimize(sum(x))
    assert _highs_optimum(m) <= _cp_optimum(m)  # 0 against 0+1+2+3
    assert _cp_optimum(m) == 6


def _knapsacks() -> cp_model.CpModel:
    """Enough structure for HiGHS to cut at its root."""
    rng = random.Random(3)
    m = cp_model.CpModel()
    x = [m.new_int_var(0, 4, f"x{i}") for i in range(60)]
    for _ in range(25):
        m.add(sum(rng.randint(0, 9) * v for v in rng.sample(x, 12)) >= rng.randint(40, 90))
    m.minimize(sum(rng.randint(3, 20) * v for v in x))
    return m


def test_the_root_bound_is_a_bound_the_same_every_run_and_quiet(capfd):
    m = _knapsacks()
    optimum = _cp_optimum(m)
    runs = [RootBound(m.proto, wall_limit_s=60).start() for _ in range(2)]
    bounds = [r.result() for r in runs]
    assert bounds[0] is not None and bounds[0] <= optimum + 1e-6
    assert bounds[0] == bounds[1] and runs[0].rounds == runs[1].rounds and runs[0].rounds
    assert "HiGHS" not in capfd.readouterr().out  # its banner and log never reach the plan's console


TWO_WEEKS = [MON + dt.timedelta(days=i) for i in range(14)]


def _windowed():
    agents = [agent(i, skills=(("chat",), ("chat", "phone"), ("phone",))[i % 3], cost=28 + i % 5,
                    contract="part_time" if i % 4 == 3 else "full_time") for i in range(1, 25)]

    def demand(day, minute):
        wave = (day.toordinal() * 7 + minute // 60 * 3) % 5
        return {"chat": 4 + wave + (day.weekday() >= 5) * 3, "phone": 2 + (wave > 2)}

    scn = scenario(roster={"time_limit_s": 10.0, "window_days": 4, "agent_friendly": False})
    return problem(scn, agents, TWO_WEEKS, demand, seed=5)


def test_a_windowed_search_reads_a_bound_proven_elsewhere_and_keeps_its_own_when_higher(monkeypatch):
    monkeypatch.setattr(roster_model, "WALL_SAFETY", 30.0)  # the deterministic budget stops every solve
    monkeypatch.setattr(greedy, "poor", lambda figures: False)  # one search each, never searched again
    monkeypatch.setattr(windows, "WINDOW_S", 1.0)  # half a deterministic unit a window: a pass of four
    monkeypatch.setattr(windows, "FIRST_SHARE_WITH_PROVEN_BOUND", 0.1)  # a first roster on this small budget
    p = _windowed()
    highs = RootBound(roster_model.build_model(p).model.proto, 60).start()
    reads = []

    def proven(wanted):
        reads.append(wanted)
        return highs.result(wanted)

    first = solve_roster(dataclasses.replace(p, proven_bound=proven))
    again = solve_roster(dataclasses.replace(p, proven_bound=highs.result))
    pd.testing.assert_frame_equal(first.shifts, again.shifts)  # the same inputs, the same roster
    assert len(reads) == 1  # read once, when the first pass of windows ends, told what proves the roster
    gap = p.scenario.roster.relative_gap
    assert reads[0] == pytest.approx(first.solver["objective"] * roster_model.SCALE * (1 - gap))
    assert highs.result() / roster_model.SCALE <= first.solver["best_bound"] <= first.solver["objective"]
    assert first.solver["windows"]["solved"] >= 1


def test_the_higher_bound_stands():
    assert windows._with_proven(100.0, lambda wanted: 120.0, 110.0, 0.02) == 120.0
    assert windows._with_proven(100.0, lambda wanted: 80.0, 110.0, 0.02) == 100.0  # a weaker bound: CP-SAT's stands
    assert windows._with_proven(100.0, lambda wanted: None, 110.0, 0.02) == 100.0  # none proven


def test_a_bound_wanted_stops_highs_at_the_first_round_reaching_it_whenever_it_is_asked():
    m = _knapsacks()
    whole = RootBound(m.proto, 60).start()
    whole.result()
    assert len(whole.rounds) >= 3
    wanted = whole.rounds[len(whole.rounds) // 2]
    expected = math.ceil(next(b for b in whole.rounds if b >= wanted) - 1e-6)
    early = RootBound(m.proto, 60).start()
    assert early.result(wanted) == expected  # asked at once: HiGHS stops on reaching it
    late = RootBound(m.proto, 60).start()
    late._thread.join()
    assert late.result(wanted) == expected  # asked after HiGHS ended: the same round's bound
    assert len(early.rounds) <= len(late.rounds) == len(whole.rounds)
    assert early.figures() == {**late.figures(), "wall_s": early.figures()["wall_s"]}


def _nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's priority is set on Linux only")
def test_work_behind_the_bound_runs_at_a_lower_priority_and_so_do_the_threads_it_starts():
    caller = _nice()
    seen = {}

    def work():
        seen["work"] = _nice()
        child = threading.Thread(target=lambda: seen.update(child=_nice()))  # as CP-SAT starts its workers
        child.start()
        child.join()
        return "roster"

    assert behind(work) == "roster"
    expected = min(caller + BEHIND_NICE, 19)
    assert seen == {"work": expected, "child": expected}
    assert _nice() == caller  # the caller's thread (HiGHS's creator) keeps its priority


def test_work_behind_the_bound_hands_its_error_to_the_caller_as_it_is():
    def work():
        raise InputError("no history for 2025-10", file="history.csv", field="date")

    with pytest.raises(InputError, match="no history for 2025-10"):
        behind(work)


def test_work_behind_the_bound_runs_where_its_priority_cannot_be_set(monkeypatch):
    def refused(*args):
        raise PermissionError("not permitted")

    monkeypatch.setattr(os, "setpriority", refused)
    assert behind(lambda: 42) == 42
