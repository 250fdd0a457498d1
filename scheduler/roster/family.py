"""What a constraint family of the roster model is, and what a hard rule must also say.

A ``Family`` adds its constraints to the CP-SAT model and returns its objective terms (``build``). A
``HardRule`` is a family whose rule holds for each agent on its own (labour law, leave, pinned
shifts); it is declared once, in one class, with everything the rest of the roster needs to know
about it:

- ``build(problem, model, rv)``: the constraints, each added through ``rv.enforce(ct, agent_id, self)``
  so that a conflict can be traced to agent x rule;
- ``describe(problem, agent)``: the rule's part of the one-line explanation of a conflict;
- ``diagnose(diag, agent, day, shape)``: whether the rule keeps an agent off a shift in the solved
  roster, the cause ``shortfall.csv`` gives for an understaffed interval;
- ``validate(problem, worked, out)``: the solver-free re-check of a roster, written again from the
  rule's definition (never calling model code), run by ``scheduler.validation``.

A ``HardRule`` missing one of them cannot be instantiated (abstract methods), so a rule can no longer
drop out of the conflict explanations, the shortfall causes or the validator by being forgotten in a
list. The registry is ``constraints.default_families()``.

This module, like ``rules.py`` and ``constraints.py``, imports OR-Tools for type checking only: the
validator imports the hard rules, and must run where OR-Tools is not installed.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

from scheduler.agents import Agent
from scheduler.roster.problem import RosterProblem, ShiftShape

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

    from scheduler.roster.model import RosterVars
    from scheduler.roster.report import ShortfallDiagnostics
    from scheduler.validation import Violations, WorkedShifts

TermKind = Literal["pay", "shortfall", "switching", "fairness", "changes", "comp_off", "rest_pairs", "start_times",
                   "spread", "requests"]
"""What an objective term pays for; ``Roster.solver["objective_terms"]`` sums the objective by kind."""


@dataclass(frozen=True)
class Term:
    """One objective term: ``weight`` [cost units] x ``expr`` (a CP-SAT linear expression)."""

    expr: cp_model.LinearExprT
    weight: float
    kind: TermKind


class Family:
    """One constraint family: ``build`` adds its constraints to ``model`` over the decision variables
    ``rv`` and returns its objective terms (empty for rules that only constrain)."""

    name: ClassVar[str] = ""
    hard: ClassVar[bool] = False  # a hard per-agent rule (see HardRule)

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        raise NotImplementedError


class HardRule(Family, ABC):
    """A hard rule that holds per agent: build, describe, diagnose and validate in one class."""

    hard: ClassVar[bool] = True

    @abstractmethod
    def describe(self, problem: RosterProblem, agent: Agent) -> str:
        """The rule as it applies to ``agent``, e.g. ``max_consecutive_days=6 after 6 days worked in a
        row to 2025-11-09``: one side of ``rules conflict: agent A001 (...): X vs Y``."""

    @abstractmethod
    def diagnose(self, diag: ShortfallDiagnostics, agent: Agent, day: dt.date, shape: ShiftShape) -> str | None:
        """Why this rule keeps ``agent``, who does not work on ``day``, from taking ``shape`` that day in
        the solved roster (e.g. ``short of min_rest_h``); None when the rule allows it. The shortfall
        report asks the hard rules in registry order and names the first that answers; an agent
        every rule lets work is left out for cost."""

    @abstractmethod
    def validate(self, problem: RosterProblem, worked: WorkedShifts, out: Violations) -> None:
        """Add a line to ``out`` for every breach of the rule in the roster's shifts (``worked``),
        computed from the rule's definition and the roster's frames only."""
