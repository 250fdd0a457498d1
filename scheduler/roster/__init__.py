"""Roster optimizer: named agents' shifts, lunches and channels with OR-Tools CP-SAT.

    problem = RosterProblem.build(scenario, agents, requirements, week.days)
    roster = solve_roster(problem)                  # Roster: shifts, assignments, scheduled, shortfall, solver
    assert validate_roster(problem, roster) == []   # scheduler.validation, solver-agnostic

Files: ``problem.py`` (input schema), ``model.py`` (variables, solve, extraction),
``family.py`` (what a family and a hard rule are), ``rules.py`` (the hard per-agent rules, each with
its constraints, conflict explanation, shortfall diagnosis and validator check),
``constraints.py`` (the other families, one class each, and the registry ``default_families``),
``report.py`` (Roster, shortfall report).

Only ``model.py`` imports OR-Tools at run time (the families take the model as a parameter and name
its types for type checking only); ``solve_roster`` is loaded on first use so that the validator can
read the problem, roster and rule types without the solver.

Adding a hard rule: one ``HardRule`` class in ``rules.py`` (``build``, ``describe``, ``diagnose``,
``validate``), its entry in ``constraints.default_families()``, and its scenario key.
"""

from scheduler.roster.problem import RosterProblem
from scheduler.roster.report import Roster

__all__ = ["RosterProblem", "Roster", "solve_roster"]


def __getattr__(name):
    if name == "solve_roster":
        from scheduler.roster.model import solve_roster

        return solve_roster
    raise AttributeError(f"module 'scheduler.roster' has no attribute '{name}'")
