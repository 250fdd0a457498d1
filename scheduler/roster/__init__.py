"""Roster optimizer: named agents' shifts, lunches and channels with OR-Tools CP-SAT.

    problem = RosterProblem.build(scenario, agents, requirements, week.days)
    roster = solve_roster(problem)                  # Roster: shifts, assignments, scheduled, shortfall, solver
    assert validate_roster(problem, roster) == []   # scheduler.validation, solver-agnostic

Files: ``problem.py`` (input schema), ``model.py`` (variables, solve, extraction),
``constraints.py`` (one class per constraint family), ``report.py`` (Roster, shortfall report).
Only ``model.py`` and ``constraints.py`` import OR-Tools; ``solve_roster`` is loaded on first use so
that the validator can read the problem and roster types without the solver.
"""

from scheduler.roster.problem import RosterProblem
from scheduler.roster.report import Roster

__all__ = ["RosterProblem", "Roster", "solve_roster"]


def __getattr__(name):
    if name == "solve_roster":
        from scheduler.roster.model import solve_roster

        return solve_roster
    raise AttributeError(f"module 'scheduler.roster' has no attribute '{name}'")
