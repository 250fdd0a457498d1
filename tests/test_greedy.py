"""The greedy start (``scheduler.roster.greedy``): a roster that keeps the hard rules and fills a short
pool's demand, and the second search a poor first one gets from it."""

from __future__ import annotations

import pytest
from factories import DAY, EARLY, WEEK, agent, late_sunday, problem, scenario
from ortools.sat.python import cp_model

from scheduler.roster import greedy
from scheduler.roster.model import build_model, requirement_rows
from scheduler.validation import validate_roster

LATE = {"name": "late", "starts": ["14:00"], "span_h": 9, "lunch": True, "lunch_window": "17:00-20:00"}


def short_pool():
    """Four full-timers against five chat heads all day, Mon..Sun, early/day/late shifts; A001 finished
    a shift at 23:00 on the Sunday before (no early shift on Monday), A002 is on leave on Wednesday and
    A003 may work 24 h a week."""
    agents = [agent(1), agent(2, unavailable=frozenset({WEEK[2]})), agent(3, max_weekly_h=24.0), agent(4)]
    scn = scenario(templates=[EARLY, DAY, LATE], windows={k: "07:00-23:00" for k in
                                                          ("weekday", "weekend", "makeup_workday")})
    return problem(scn, agents, WEEK, {"chat": 5}, previous_shifts=late_sunday("A001"))


def greedy_of(p):
    built = build_model(p)
    return built, greedy.greedy_shifts(p, built.rv.cands, requirement_rows(p))


def test_the_greedy_roster_keeps_every_hard_rule():
    """Held in the whole model, the greedy shifts leave it feasible: every hard rule holds."""
    p = short_pool()
    built, chosen = greedy_of(p)
    for c, x in zip(built.rv.cands, built.rv.x):
        built.model.add(x == int(c.idx in chosen))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 60
    assert solver.solve(built.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    by = {(built.rv.cands[k].agent, built.rv.cands[k].day): built.rv.cands[k] for k in chosen}
    assert len(by) == len(chosen)  # one shift a day
    assert (1, 2) not in by  # A002's leave
    assert (0, 0) not in by or by[0, 0].shape.template != "early"  # 11 h after Sunday 23:00
    assert sum(by[a, d].paid_min for a, d in by if a == 2) <= 24 * 60


def test_the_greedy_roster_fills_a_short_pool():
    """Five heads wanted all day and four agents: each works as many days as the week allows (six, the
    sixth at the rest-day rate: a day's shortfall costs more), A003 as its 24 h allow."""
    p = short_pool()
    built, chosen = greedy_of(p)
    days = [sum(1 for k in chosen if built.rv.cands[k].agent == a) for a in range(4)]
    assert days[0] == days[3] == p.max_working_days
    assert days[1] == p.max_working_days  # its leave day is one of the seven
    assert days[2] == 3  # 24 h of 8-h shifts


def _found(objective: float, bound: float):
    from types import SimpleNamespace

    return SimpleNamespace(figures={"objective": objective, "best_bound": bound, "deterministic_time": 1.0,
                                    "solve_wall_s": 1.0})


def test_a_poor_search_is_searched_again_from_the_greedy_roster_when_it_costs_less():
    """A poor first search (here a stand-in far above anything) is searched again from the greedy roster,
    hinted whole; the better roster is kept with the higher bound and the time of both."""
    p = short_pool()
    built = build_model(p)
    seen = []

    def again(share):
        assert share == greedy.AGAIN_SHARE
        seen.append({v: h for v, h in zip(built.model.proto.solution_hint.vars,
                                          built.model.proto.solution_hint.values)})
        return _found(500.0, 200.0)

    kept = greedy.search_again_if_poor(p, built, _found(1e12, 100.0), again)
    assert kept.figures["objective"] == 500.0 and kept.figures["best_bound"] == 200.0
    assert kept.figures["deterministic_time"] == 2.0
    start = kept.figures["greedy_start"]
    assert start["searched"] and start["kept"] and start["greedy_objective"] < 1e12
    assert len(seen[0]) == len(built.model.proto.variables)  # every variable hinted: the completed roster


def test_a_poor_search_the_greedy_roster_does_not_beat_is_kept_without_a_second_search():
    p = short_pool()
    built = build_model(p)
    kept = greedy.search_again_if_poor(p, built, _found(1.0, 0.0), lambda share: pytest.fail("searched again"))
    assert kept.figures["objective"] == 1.0
    assert kept.figures["greedy_start"]["searched"] is False


def test_a_plan_searches_again_only_when_its_first_search_is_poor(monkeypatch):
    """End to end through the staged solve: taken for poor, the first search gets the greedy start (and
    the roster kept is the better, validator clean); not poor, nothing is added."""
    from scheduler.roster import solve_roster

    p = short_pool()
    monkeypatch.setattr(greedy, "poor", lambda figures: True)
    r = solve_roster(p)
    assert validate_roster(p, r) == []
    start = r.solver["stages"]["counts"]["greedy_start"]
    if start["searched"]:
        assert r.solver["stages"]["counts"]["objective"] == pytest.approx(
            min(start["first_objective"], start["from_greedy"]))
    else:
        assert start["greedy_objective"] is None or start["greedy_objective"] >= start["first_objective"]
    monkeypatch.undo()
    assert "greedy_start" not in solve_roster(p).solver["stages"]["counts"]


@pytest.mark.parametrize("objective, bound, expected", [(100.0, 95.0, False), (100.0, 89.0, True),
                                                         (None, 10.0, False)])
def test_poor_is_a_gap_beyond_the_retry_threshold(objective, bound, expected):
    assert greedy.poor({"objective": objective, "best_bound": bound}) is expected
