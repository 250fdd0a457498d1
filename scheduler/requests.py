"""Agents' requests: the CSV a planner collects (``plan --requests PATH``), and what the roster made of them.

CSV columns (UTF-8, a BOM is accepted; read with the shared reader ``core.csvio``):

| column | required | meaning |
|---|---|---|
| ``agent_id`` | yes | an agent of the pool |
| ``date`` | yes | ``YYYY-MM-DD``, a planning day |
| ``kind`` | yes | ``leave`` (approved: never rostered, a hard rule), ``day_off`` (asked for: soft, |
|  |  | ``roster.day_off_penalty`` when denied) or ``shift:<template>`` (a preferred template: soft, |
|  |  | ``roster.preferred_shift_penalty`` when the agent works another template that day) |
| ``note`` | no | free text, copied to the outcome |

One request per agent and day. Errors name the file, the row and the field: an unknown agent, a date
that is not a date or not a planning day, an unknown kind, an unknown template or one the agent's
contract cannot work that day, a second request for the same agent and day.

``requests_outcome.csv`` (:func:`request_outcomes`): one row per request, in file order, with
``granted`` and, for a denied request, the binding reason: what granting it would have cost. That is
measured, not guessed: the requesting agent and the agents who rest that day and share a skill with it
(those who could cover for it) are set free, everyone else keeps the planned shifts, and the roster is
solved twice under the full model, once as it is and once with the request granted. The difference,
by objective term, is what granting it costs with that much freedom: an upper bound on its price (a
roster with that cost exists). The solver denied the request because granting it costs more than
the request's penalty; a difference below the penalty means the plan stopped within its gap before
finding the better roster, and the reason says so. ``cost_if_granted`` [CNY] and
``missing_if_granted`` [head-intervals] give it in numbers; each denial costs two small solves
(``NEAR_DTIME`` deterministic units at most each).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from core.csvio import fields_as_in_file, read_text_csv
from core.errors import InputError
from core.names import REQUEST_KIND_ALIASES
from core.values import date_cell

if TYPE_CHECKING:
    from core.scenario import Scenario
    from scheduler.agents import Agent
    from scheduler.roster.problem import RosterProblem
    from scheduler.roster.report import Roster

KINDS = ("leave", "day_off", "shift")
REQUIRED = ("agent_id", "date", "kind")
OUTCOME_COLUMNS = ["agent_id", "date", "kind", "note", "granted", "reason", "cost_if_granted", "missing_if_granted"]


@dataclass(frozen=True)
class Request:
    """One request: ``kind`` is ``leave``, ``day_off`` or ``shift`` (then ``template`` names it);
    ``row`` is its line in ``source`` (the header is line 1)."""

    agent_id: str
    date: dt.date
    kind: str
    template: str | None = None
    note: str = ""
    row: int = 0
    source: str = ""

    @property
    def label(self) -> str:
        return f"shift:{self.template}" if self.kind == "shift" else self.kind

    def error(self, message: str, field: str) -> InputError:
        return InputError(message, file=self.source or None, row=self.row or None, field=field)


def read_requests(path: str | Path, agents: list[Agent], days: list[dt.date],
                  scenario: Scenario) -> tuple[Request, ...]:
    """The requests of ``path``, checked against the pool, the planning days and the templates."""
    path = Path(path)
    raw = read_text_csv(path, REQUIRED, what="requests file", option="--requests",
                        hint="required: agent_id, date, kind[, note]")
    with fields_as_in_file(raw):
        by_id = {a.agent_id: a for a in agents}
        templates = {t.name: t for t in scenario.roster.templates}
        seen: dict[tuple[str, dt.date], int] = {}
        out = []
        for row, rec in enumerate(raw.to_dict("records"), start=2):
            def fail(message: str, field: str, row=row):
                return InputError(message, file=path, row=row, field=field)

            aid = rec["agent_id"].strip()
            if aid not in by_id:
                raise fail(f"unknown agent '{aid}' (not in the agent pool)", "agent_id")
            text = rec["date"].strip()
            day = date_cell(text, file=path, row=row, field="date")
            if day not in days:
                raise fail(f"{day} is outside the planning days {days[0]}..{days[-1]}", "date")
            if (aid, day) in seen:
                raise fail(f"a second request of agent {aid} on {day} (the first is row {seen[aid, day]})", "date")
            seen[aid, day] = row
            kind, template = _kind(rec["kind"].strip(), fail)
            if template is not None:
                if template not in templates:
                    raise fail(f"unknown template '{template}'; templates: {', '.join(templates)}", "kind")
                contract = by_id[aid].contract
                if contract not in templates[template].contracts:
                    raise fail(f"template '{template}' is not open to {contract} agent {aid}", "kind")
            out.append(Request(aid, day, kind, template, str(rec.get("note", "")).strip(), row, str(path)))
        return tuple(out)


def _kind(text: str, fail) -> tuple[str, str | None]:
    text = REQUEST_KIND_ALIASES.get(text, text)
    if text in ("leave", "day_off"):
        return text, None
    if text.startswith("shift:") and text[len("shift:"):].strip():
        return "shift", text[len("shift:"):].strip()
    raise fail(f"unknown kind '{text}'; allowed: leave, day_off, shift:<template>", "kind")


def check_requests(problem: RosterProblem) -> None:
    """A ``shift:<template>`` request needs that template to have a shift on its day (day type,
    service window, promotion days); checked once the problem's windows are known."""
    from scheduler.roster.problem import shift_shapes

    for r in problem.requests:
        if r.kind != "shift":
            continue
        if not any(s.template == r.template for s in shift_shapes(problem, r.date)):
            raise r.error(f"template '{r.template}' has no shift on {r.date} ({problem.day_types[r.date]}, "
                          f"service window, promotion days)", "kind")


# -- outcomes ---------------------------------------------------------------------------------------------------
def granted(request: Request, shifts_by_day: dict[tuple[str, dt.date], str]) -> tuple[bool, str]:
    """Whether the roster grants ``request`` (``shifts_by_day``: (agent_id, date) -> template worked),
    with the reason when that needs saying."""
    template = shifts_by_day.get((request.agent_id, request.date))
    if request.kind in ("leave", "day_off"):
        return template is None, ""
    if template is None:
        return True, "rests that day"
    return template == request.template, ""


def request_outcomes(problem: RosterProblem, roster: Roster, explain: bool = True) -> pd.DataFrame:
    """One row per request (``OUTCOME_COLUMNS``); ``explain`` measures what each denied request would
    have cost (a small re-solve each, see the module docstring), else the reason says it was not measured."""
    by_day = {(r.agent_id, pd.Timestamp(r.shift_start).date()): str(r.template) for r in roster.shifts.itertuples()}
    rows = []
    for req in problem.requests:
        ok, reason = granted(req, by_day)
        cost = missing = None
        if not ok and explain:
            free = _free_around(problem, roster, req)
            baseline = _solve_around(problem, roster, req, free, force=False)
            forced = _solve_around(problem, roster, req, free, force=True)
            reason, cost, missing = _denial(problem, req, baseline, forced)
        elif not ok:
            reason = "denied (not measured)"
        rows.append({"agent_id": req.agent_id, "date": req.date, "kind": req.label, "note": req.note,
                     "granted": ok, "reason": reason, "cost_if_granted": cost, "missing_if_granted": missing})
    return pd.DataFrame(rows, columns=OUTCOME_COLUMNS)


def requests_summary(outcomes: pd.DataFrame) -> dict:
    """``{"granted": x, "of": y, "by_kind": {kind: {"granted": x, "of": y}}}``."""
    kinds = outcomes["kind"].str.split(":").str[0] if len(outcomes) else pd.Series(dtype=str)
    by_kind = {k: {"granted": int(outcomes.loc[kinds == k, "granted"].sum()), "of": int((kinds == k).sum())}
               for k in KINDS if (kinds == k).any()}
    return {"granted": int(outcomes["granted"].sum()), "of": len(outcomes), "by_kind": by_kind}


def requests_line(s: dict) -> str:
    parts = ", ".join(f"{k} {v['granted']}/{v['of']}" for k, v in s["by_kind"].items())
    return f"requests granted {s['granted']}/{s['of']}" + (f" ({parts})" if parts else "")


# -- what a denied request would have cost ------------------------------------------------------------------------
@dataclass
class Around:
    """A re-solve near the plan: the objective by kind [CNY], missing heads, the shifts worked, status."""

    terms: dict[str, float]
    missing: int
    shifts: set[tuple[str, dt.date, str, int]]
    status: str


NEAR_DTIME = 10.0     # deterministic-time budget of one re-solve (seconds of an idle core, roughly)
NEAR_WALL_S = 60.0    # its wall-clock safety net


def _free_around(problem: RosterProblem, roster: Roster, request: Request) -> set[str]:
    """Who may change when a request is measured: the requesting agent and the agents who rest on its
    day and share a skill with it (who could cover for it)."""
    busy = {r.agent_id for r in roster.shifts.itertuples() if pd.Timestamp(r.shift_start).date() == request.date}
    skills = set(next(a.skills for a in problem.agents if a.agent_id == request.agent_id))
    return {a.agent_id for a in problem.agents if a.agent_id not in busy and skills & set(a.skills)} | {
        request.agent_id}


def _solve_around(problem: RosterProblem, roster: Roster, request: Request, free: set[str], force: bool) -> Around:
    """The roster re-solved with the agents in ``free`` free to change and everyone else on the planned
    shifts; ``force``: with the request granted."""
    from ortools.sat.python import cp_model

    from scheduler.roster.model import build_model, new_solver, objective_terms

    built = build_model(problem)
    rv, model = built.rv, built.model
    planned = {(r.agent_id, pd.Timestamp(r.shift_start).date(), str(r.template),
                pd.Timestamp(r.shift_start).hour * 60 + pd.Timestamp(r.shift_start).minute)
               for r in roster.shifts.itertuples()}
    for c in rv.cands:
        aid = problem.agents[c.agent].agent_id
        on = (aid, problem.days[c.day], c.shape.template, c.start_min) in planned
        if aid in free:
            model.add_hint(rv.x[c.idx], on)
        else:
            model.add(rv.x[c.idx] == int(on))
    if force:
        a = next(i for i, ag in enumerate(problem.agents) if ag.agent_id == request.agent_id)
        for k in rv.by_agent_day.get((a, problem.days.index(request.date)), []):
            if request.kind == "day_off" or rv.cands[k].shape.template != request.template:
                model.add(rv.x[k] == 0)
    solver = new_solver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = int(problem.seed)
    solver.parameters.max_deterministic_time = NEAR_DTIME
    solver.parameters.max_time_in_seconds = NEAR_WALL_S
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Around({}, 0, set(), solver.status_name(status))
    worked = {(problem.agents[c.agent].agent_id, problem.days[c.day], c.shape.template, c.start_min)
              for c in rv.cands if solver.boolean_value(rv.x[c.idx])}
    missing = sum(int(solver.value(var)) for _, var, _, _ in rv.penalties)
    return Around(objective_terms(built.terms, solver), missing, worked, solver.status_name(status))


def _denial(problem: RosterProblem, req: Request, plan: Around, forced: Around) -> tuple[str, float | None, int | None]:
    """The reason a denied request gives, from the re-solves without (``plan``) and with it granted."""
    spec = problem.scenario.roster
    penalty = spec.day_off_penalty if req.kind == "day_off" else spec.preferred_shift_penalty
    key = "day_off_penalty" if req.kind == "day_off" else "preferred_shift_penalty"
    if not forced.terms:
        return (f"denied: granting it admits no roster with the others' shifts held ({forced.status})",
                None, None)
    delta = {k: forced.terms.get(k, 0.0) - plan.terms.get(k, 0.0) for k in set(plan.terms) | set(forced.terms)}
    # the request's own penalty, paid where the re-solve without it forced still denies it, is not a cost of it
    shifts_by_day = {(aid, day): tpl for aid, day, tpl, _ in plan.shifts}
    delta["requests"] = delta.get("requests", 0.0) + (0.0 if granted(req, shifts_by_day)[0] else penalty)
    cost = sum(delta.values())
    missing = forced.missing - plan.missing
    parts = [f"{'other requests' if k == 'requests' else k} {v:+,.0f}"
             for k, v in sorted(delta.items(), key=lambda kv: -abs(kv[1])) if abs(v) >= 0.5]
    cover = _cover(req, plan.shifts, forced.shifts)
    text = (f"denied: granting it costs CNY {cost:,.0f} more ({', '.join(parts) or 'no change'}; "
            f"{missing:+d} missing head-intervals{'; ' + cover if cover else ''})")
    if cost <= penalty + 0.5:
        text += f", not more than {key}={penalty:g}: the solver stopped within its gap before granting it"
    else:
        text += f" > {key}={penalty:g}"
    if "OPTIMAL" not in (forced.status, plan.status) or forced.status != plan.status:
        text += f" (re-solves {plan.status.lower()}/{forced.status.lower()}, not both proven optimal)"
    return text, round(cost, 2), missing


def _cover(req: Request, before: set, after: set) -> str:
    """Who else changes shifts when the request is granted, e.g. ``A011 takes 2025-03-12 09:00``."""
    added = sorted(after - before)
    removed = sorted(before - after)
    out = [f"{aid} works {day} {m // 60:02d}:{m % 60:02d}" for aid, day, _, m in added if aid != req.agent_id]
    out += [f"{aid} rests {day}" for aid, day, _, _ in removed if aid != req.agent_id
            and not any(a == aid and d == day for a, d, _, _ in added)]
    return ", ".join(out[:4]) + (f" and {len(out) - 4} more" if len(out) > 4 else "")
