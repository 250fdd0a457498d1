"""Each constraint family on its own, through ``build_model(problem, families=[...])``, and the contract
every hard rule signs (``HardRule``: build, describe, diagnose, validate).

A micro-instance per hard rule where the rule binds: the most (or fewest) shifts CP-SAT can roster
with the rule differs from the same model without it. The registry guards make a new hard rule fail
here until it has its own case.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import pickle
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from factories import DAY, EARLY, MON, WEEK, agent, late_sunday, problem, scenario
from ortools.sat.python import cp_model

from scheduler.roster.constraints import Ledger, PayCost, default_families, hard_rules
from scheduler.roster.family import Family, HardRule
from scheduler.roster.model import build_model
from scheduler.roster.problem import RosterProblem, required_heads, shift_shapes
from scheduler.roster.report import ShortfallDiagnostics
from scheduler.roster.rules import (
    CompOff,
    Leave,
    MonthlyOvertime,
    Pinned,
)
from scheduler.validation import validate_roster

RULES = {rule.name: type(rule) for rule in hard_rules()}
ROOT = Path(__file__).resolve().parents[1]


def shifts_at_optimum(p: RosterProblem, families: list[Family], sense: str) -> int | None:
    """The most (``max``) or fewest (``min``) shifts the families allow; None when infeasible."""
    built = build_model(p, families=families)
    total = sum(built.rv.x)
    built.model.maximize(total) if sense == "max" else built.model.minimize(total)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    status = solver.solve(built.model)
    if status == cp_model.INFEASIBLE:
        return None
    assert status == cp_model.OPTIMAL
    return int(round(solver.objective_value))


def previous_run(agent_id: str, days: int) -> pd.DataFrame:
    """``days`` 09:00-18:00 shifts of last week, ending Sunday 2025-11-09."""
    dates = [MON - dt.timedelta(days=i) for i in range(1, days + 1)]
    return pd.DataFrame([{"agent_id": agent_id, "date": d, "shift_start": pd.Timestamp(d) + pd.Timedelta(hours=9),
                          "shift_end": pd.Timestamp(d) + pd.Timedelta(hours=18)} for d in dates])


NINE_PAID = {"name": "nine", "starts": ["09:00"], "span_h": 10, "lunch": True}  # 9 paid h: 1 h daily overtime
SUNDAY = WEEK[6]


def owed(agent_id: str, due_by: dt.date, earned_on: dt.date | None = None) -> pd.DataFrame:
    """A comp-off ledger carried from the previous plan: one comp day owed, due by ``due_by``."""
    earned = earned_on or due_by - dt.timedelta(weeks=4)
    return pd.DataFrame([{"agent_id": agent_id, "earned_on": earned, "due_by": due_by, "given_on": None}])
LONG = {"name": "long", "starts": ["08:00"], "span_h": 12, "lunch": True}       # 11 paid h


@dataclass(frozen=True)
class Binds:
    """``problem`` with ``before + [rule]`` gives ``with_rule`` shifts at the optimum of ``sense``, and
    ``without`` with ``before`` alone (None: infeasible)."""

    problem: Callable[[], RosterProblem]
    sense: str
    with_rule: int | None
    without: int | None
    before: tuple[Callable[[], Family], ...] = ()


BINDS = {
    "leave": Binds(lambda: problem(scenario(templates=[DAY]), [agent(1, unavailable=frozenset({WEEK[1]}))],
                                   WEEK[:3], {"chat": 1}), "max", 2, 3),
    "max_days_per_week": Binds(lambda: problem(scenario(templates=[DAY], labour={"max_days_per_week": 3}),
                                               [agent(1)], WEEK, {"chat": 1}), "max", 3, 7),
    "daily_hours": Binds(lambda: problem(scenario(templates=[LONG], windows={"weekday": "08:00-20:00"},
                                                  labour={"max_overtime_h_per_day": 2}),
                                         [agent(1)], [MON], {"chat": 1}), "max", 0, 1),
    "weekly_hours": Binds(lambda: problem(scenario(templates=[DAY]), [agent(1, max_weekly_h=16)], WEEK,
                                          {"chat": 1}), "max", 2, 7, before=(PayCost,)),
    # 9-paid-hour days, 34 of the month's 36 overtime hours used: 2 h of overtime left, so 2 days
    "monthly_overtime": Binds(lambda: problem(scenario(templates=[NINE_PAID], windows={"weekday": "09:00-19:00"}),
                                              [agent(1)], WEEK[:5], {"chat": 1}, month_overtime_h={"A001": 34}),
                              "max", 2, 5, before=(PayCost,)),
    # a comp day off owed from an earlier week falls due this Sunday: of the week's 5 standard days the
    # agent works 4 (7 without the rule, which nothing else here limits)
    "comp_off": Binds(lambda: problem(scenario(templates=[DAY]), [agent(1)], WEEK, {"chat": 1},
                                      comp_off=owed("A001", SUNDAY)), "max", 4, 7, before=(PayCost,)),
    # last week's shift ended Sunday 23:00; the only template starts Monday 07:00 (8 h later)
    "min_rest": Binds(lambda: problem(scenario(templates=[EARLY], windows={"weekday": "07:00-23:00"},
                                               roster={"lunch_window": "10:00-14:00"}),
                                      [agent(1)], [MON], {"chat": 1}, previous_shifts=late_sunday("A001")),
                      "max", 0, 1),
    "consecutive_days": Binds(lambda: problem(scenario(templates=[DAY]), [agent(1)], WEEK[:3], {"chat": 1},
                                              previous_shifts=previous_run("A001", 6)), "max", 2, 3),
    "pinned": Binds(lambda: problem(scenario(templates=[DAY]), [agent(1)], WEEK[:3], {"chat": 1},
                                    pinned_shifts=pd.DataFrame([{"agent_id": "A001", "date": WEEK[1],
                                                                 "shift_start": pd.Timestamp(WEEK[1]) +
                                                                 pd.Timedelta(hours=9)}])), "min", 1, 0),
}


def test_every_hard_rule_has_a_binding_micro_instance():
    assert set(BINDS) == set(RULES)


@pytest.mark.parametrize("name", sorted(BINDS))
def test_hard_rule_binds_on_its_own(name):
    case = BINDS[name]
    p = case.problem()
    before = [make() for make in case.before]
    assert shifts_at_optimum(p, before + [RULES[name]()], case.sense) == case.with_rule
    assert shifts_at_optimum(p, before, case.sense) == case.without


def test_pinned_shift_on_leave_is_infeasible_only_with_both_rules():
    pins = pd.DataFrame([{"agent_id": "A001", "date": MON, "shift_start": pd.Timestamp("2025-11-10 09:00")}])
    p = problem(scenario(templates=[DAY]), [agent(1, unavailable=frozenset({MON}))], [MON], {"chat": 1},
                pinned_shifts=pins)
    assert shifts_at_optimum(p, [Leave(), Pinned()], "max") is None
    assert shifts_at_optimum(p, [Pinned()], "max") == 1
    assert shifts_at_optimum(p, [Leave()], "max") == 0


def test_one_shift_per_day():
    am = {"name": "am", "starts": ["09:00"], "span_h": 4, "lunch": False}
    pm = {"name": "pm", "starts": ["14:00"], "span_h": 4, "lunch": False}
    p = problem(scenario(templates=[am, pm], labour={"min_rest_h": 0}), [agent(1)], [MON], {"chat": 1})
    one = [f for f in default_families() if f.name == "one_shift_per_day"]
    assert shifts_at_optimum(p, one, "max") == 1
    assert shifts_at_optimum(p, [], "max") == 2


# -- the ledgers between PayCost and the rules that read it --------------------------------------------------
def test_a_reader_before_pay_is_an_error_not_a_dropped_cap():
    p = BINDS["monthly_overtime"].problem()
    with pytest.raises(RuntimeError, match="monthly_overtime reads the overtime ledger before it is written"):
        build_model(p, families=[MonthlyOvertime(), PayCost()])
    with pytest.raises(RuntimeError, match="comp_off reads the comp-off ledger before it is written"):
        build_model(p, families=[CompOff(), PayCost()])
    with pytest.raises(RuntimeError, match="writes the overtime ledger that pay already wrote"):
        build_model(p, families=[PayCost(), PayCost()])


def test_ledger_holds_only_agents_with_possible_overtime():
    ledger = Ledger("overtime")
    assert not ledger.written
    ledger.write({(0, 0): 5}, "pay")
    assert ledger.written and ledger.read((0, 0), "x") == 5 and ledger.read((1, 0), "x") is None
    p = problem(scenario(templates=[DAY]), [agent(1)], WEEK[:5], {"chat": 1})  # 8-h days, 40 h: none
    assert build_model(p).rv.overtime.read((0, 0), "test") is None
    p9 = BINDS["monthly_overtime"].problem()
    assert build_model(p9).rv.overtime.read((0, 0), "test") is not None


# -- the HardRule contract ------------------------------------------------------------------------------------
def test_a_hard_rule_must_say_how_it_explains_diagnoses_and_validates():
    class NoCheck(HardRule):
        name = "no_check"

        def build(self, problem, model, rv):
            return []

        def describe(self, problem, agent):
            return "no_check"

        def diagnose(self, diag, agent, day, shape):
            return None

    with pytest.raises(TypeError, match="validate"):
        NoCheck()


def test_only_hard_rules_enforce_per_agent_constraints():
    class Sneaky(Family):
        name = "sneaky"

        def build(self, problem, model, rv):
            rv.enforce(model.add(rv.x[0] == 0), problem.agents[0].agent_id, self)
            return []

    p = problem(scenario(templates=[DAY]), [agent(1)], [MON], {"chat": 1})
    with pytest.raises(TypeError, match="Sneaky enforces a per-agent rule but is not a HardRule"):
        build_model(p, families=[Sneaky()])


def test_registry_rules_are_named_once_and_all_reach_the_conflict_literals():
    names = [f.name for f in default_families()]
    assert len(names) == len(set(names)) and all(names)
    assert [r.name for r in hard_rules()][-1] == "pinned"  # conflicts read "<rule> vs pinned shift"
    # an instance where every hard rule adds a constraint: pins, leave, a previous week, overtime, a
    # weekly cap, a comp day owed
    pins = pd.DataFrame([{"agent_id": "A001", "date": MON, "shift_start": pd.Timestamp("2025-11-10 09:00")}])
    p = problem(scenario(templates=[DAY, NINE_PAID, LONG], windows={"weekday": "08:00-20:00"},
                         labour={"max_days_per_week": 3, "max_overtime_h_per_day": 2, "min_rest_h": 15}),
                [agent(1, unavailable=frozenset({WEEK[2]}), max_weekly_h=30)], WEEK, {"chat": 1},
                previous_shifts=previous_run("A001", 6), pinned_shifts=pins, comp_off=owed("A001", SUNDAY))
    literals = build_model(p, explain=True).rv.rule_literals
    assert {family for _, family in literals} == set(RULES)


# -- diagnosis: why a free agent does not take a shift ----------------------------------------------------------
def roster_frame(rows: list[tuple[str, dt.date, str, str]]) -> pd.DataFrame:
    """Shifts (agent_id, date, HH:MM start, HH:MM end) without lunch, as Roster.shifts has them (hours
    beyond 8 are overtime)."""
    out = []
    for aid, day, start, end in rows:
        s, e = pd.Timestamp(f"{day} {start}"), pd.Timestamp(f"{day} {end}")
        paid = (e - s).total_seconds() / 3600
        out.append({"agent_id": aid, "date": day, "shift_start": s, "shift_end": e, "lunch_start": pd.NaT,
                    "lunch_end": pd.NaT, "paid_hours": paid, "overtime_hours": max(0.0, paid - 8)})
    return pd.DataFrame(out)


NO_ASSIGNMENTS = pd.DataFrame(columns=["interval_start", "agent_id", "channel"])
DIAGNOSES = {
    # rule: (problem, roster rows, day asked about, the rule's answer)
    "leave": (lambda: problem(scenario(templates=[DAY]), [agent(1, unavailable=frozenset({MON}))], [MON],
                              {"chat": 1}), [], MON, "on leave"),
    "max_days_per_week": (lambda: problem(scenario(templates=[DAY], labour={"max_days_per_week": 2}),
                                          [agent(1)], WEEK[:3], {"chat": 1}),
                          [("A001", WEEK[0], "09:00", "18:00"), ("A001", WEEK[1], "09:00", "18:00")],
                          WEEK[2], "already at max_days_per_week"),
    "daily_hours": (lambda: BINDS["daily_hours"].problem(), [], MON, "over the daily hours cap"),
    "weekly_hours": (lambda: problem(scenario(templates=[DAY]), [agent(1, max_weekly_h=16)], WEEK[:3],
                                     {"chat": 1}),
                     [("A001", WEEK[0], "09:00", "17:00"), ("A001", WEEK[1], "09:00", "17:00")],
                     WEEK[2], "at the weekly hours cap"),
    "monthly_overtime": (lambda: BINDS["monthly_overtime"].problem(),
                         [("A001", WEEK[0], "09:00", "19:00"), ("A001", WEEK[1], "09:00", "19:00")],
                         WEEK[2], "at the monthly overtime cap"),
    "comp_off": (lambda: BINDS["comp_off"].problem(), [], WEEK[3], "on a comp day off"),
    "min_rest": (lambda: BINDS["min_rest"].problem(), [], MON, "short of min_rest_h"),
    "consecutive_days": (lambda: BINDS["consecutive_days"].problem(), [], MON, "at max_consecutive_days"),
    "pinned": (lambda: BINDS["pinned"].problem(), [], MON, None),
}


def test_every_hard_rule_has_a_diagnosis_case():
    assert set(DIAGNOSES) == set(RULES)


@pytest.mark.parametrize("name", sorted(DIAGNOSES))
def test_hard_rule_diagnoses_what_keeps_an_agent_off_a_shift(name):
    make, rows, day, expected = DIAGNOSES[name]
    p = make()
    comp_days = pd.DataFrame([{"agent_id": "A001", "given_on": WEEK[3]}])  # the comp day off given on Thursday
    diag = ShortfallDiagnostics(p, roster_frame(rows), NO_ASSIGNMENTS, comp_days)
    shape = shift_shapes(p, day)[0]
    assert RULES[name]().diagnose(diag, p.agents[0], day, shape) == expected
    # and no rule blocks a rested agent with an empty roster on an ordinary day
    calm = problem(scenario(templates=[DAY]), [agent(1, max_weekly_h=40)], [MON], {"chat": 1})
    free = ShortfallDiagnostics(calm, roster_frame([]), NO_ASSIGNMENTS)
    assert RULES[name]().diagnose(free, calm.agents[0], MON, shift_shapes(calm, MON)[0]) is None


def test_shortfall_under_a_daily_cap_names_the_rule_not_cost():
    """Every template is longer than the daily cap: the shortfall used to be blamed on cost."""
    from scheduler.roster import solve_roster

    r = solve_roster(BINDS["daily_hours"].problem())
    assert r.shifts.empty
    assert set(r.shortfall["cause"].str.split(": ").str[-1]) == {"0 work it, the others are over the daily "
                                                                 "hours cap (1)"}


# -- required heads, solver-free validator ------------------------------------------------------------------------
@pytest.mark.parametrize("value, heads", [(2.0, 2), (2.01, 3), (0.2, 1), (0.0, 0), (float("nan"), 0)])
def test_required_heads_round_up_and_nan_is_none(value, heads):
    assert required_heads(value) == heads


def test_shortfall_report_reads_a_missing_requirement_as_zero_heads():
    from scheduler.roster import solve_roster

    p = problem(scenario(templates=[DAY]), [agent(1)], [MON], {"chat": 1})
    req = p.requirements.copy()
    req.loc[0, "required_scheduled"] = math.nan
    p = dataclasses.replace(p, requirements=req)
    r = solve_roster(p)
    assert validate_roster(p, r) == []
    assert pd.Timestamp("2025-11-10 09:00") not in set(r.shortfall["interval_start"])
    assert len(r.shifts) == 1 and len(r.shortfall) == 1  # the lunch hour, one agent


def test_validator_imports_and_runs_without_ortools():
    code = textwrap.dedent("""
        import sys

        class NoOrtools:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "ortools":
                    raise ImportError("ortools is blocked in this test")

        sys.meta_path.insert(0, NoOrtools())
        import pickle

        import pandas as pd
        from scheduler.validation import validate_roster
        from scheduler.roster import Roster

        empty = pd.DataFrame(columns=["agent_id", "date", "shift_start", "shift_end", "lunch_start", "lunch_end",
                                      "paid_hours", "cost", "template"])
        roster = Roster(shifts=empty, assignments=pd.DataFrame(columns=["interval_start", "agent_id", "channel"]),
                        scheduled=pd.DataFrame(columns=["interval_start", "channel", "scheduled_heads"]),
                        shortfall=pd.DataFrame(columns=["interval_start", "channel", "missing"]))
        problem = pickle.load(sys.stdin.buffer)
        print(validate_roster(problem, roster))
        assert not [m for m in sys.modules if m.split(".")[0] == "ortools"]
    """)
    p = problem(scenario(templates=[DAY]), [agent(1)], [MON], {"chat": 1})
    done = subprocess.run([sys.executable, "-c", code], input=pickle.dumps(p), capture_output=True, check=False,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr.decode()
    assert "shortfall: chat at 2025-11-10 09:00" in done.stdout.decode()  # it ran: an empty roster leaves 9 short
