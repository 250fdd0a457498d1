"""Is a plan fit to hand out? The rules in one place: one check before the roster solve, and the
warnings printed after it.

- :func:`check_objective_range` (before the solve): refuses, as one line, requirements so large that
  the roster's integer objective could pass ``core.limits.MAX_OBJECTIVE_COST`` (CP-SAT would call the
  model invalid). A history whose contacts are a million times too large gets there.
- :func:`unforecast_channels` (before the solve): a channel the scenario serves that the history has no
  row of is planned with 0 contacts (nobody staffed for it) and said loudly, one warning line each.
- :func:`idle_agents` (before the solve): agents of the pool the roster can give no shift (no skill the
  scenario serves, no template for their contract), named in one warning line.
- :func:`plan_warnings` (after the solve): a poor roster, one line per problem with what to do. A
  gap above ``GAP_WARN`` (the solver stopped far from a proof); a shortfall above ``SHORTFALL_WARN`` of
  the required agent-intervals, with the cause that binds most (from ``shortfall.csv``'s ``cause``)
  turned into advice: hire or add temporary agents, widen the shift templates, raise
  ``roster.time_limit_s``, or raise ``understaffed_penalty``.
"""

from __future__ import annotations

import pandas as pd

from core import interrupt
from core.errors import InputError
from core.limits import MAX_OBJECTIVE_COST
from scheduler.capacity.report import cause_kind
from scheduler.roster.report import stopped_by_clock

GAP_WARN = 0.10
"""Relative gap above which a roster is reported as poor: the solver may have missed a much better one."""
SHORTFALL_WARN = 0.05
"""Share of the required agent-intervals left unstaffed above which a roster is reported as poor."""
FORECAST_CHECK_RATIO = 10
"""A requirement of this many times the pool at once suggests a history in the wrong unit."""
LARGE_POOL = 200
"""Agents from which CP-SAT's portfolio search is worth trying (README: stronger on hundreds of agents)."""


# --- before the solve ------------------------------------------------------------------------------------

def check_objective_range(requirements: pd.DataFrame, agents: list, scenario, source: str | None = None) -> None:
    """Raise ``InputError`` when the roster objective could exceed ``MAX_OBJECTIVE_COST``.

    The bound adds what CP-SAT adds when it checks a model for overflow: every variable at its upper
    bound. Shortfall: each requirement row's heads x its ``shortfall_weight`` x the convex tier factor;
    pay: every agent on every template start of every day, at 24 h and the highest pay multiplier.
    ``source`` names the history file in the message."""
    from scheduler.roster.constraints import CONVEX_TIERS

    tiers = 1.0 + sum(extra for *_, extra in CONVEX_TIERS) + scenario.roster.unstable_factor
    need = requirements["required_scheduled"].to_numpy(float)
    weight = (requirements["shortfall_weight"] if "shortfall_weight" in requirements
              else pd.Series(scenario.understaffed_penalty, index=requirements.index)).to_numpy(float)
    shortfall = float((need * weight).sum()) * tiers
    pay = scenario.pay
    top_multiplier = max(pay.statutory_holiday, pay.rest_day_overtime, pay.workday_overtime, pay.weekend)
    starts = sum(len(t.starts) for t in scenario.roster.templates)
    wage = sum(a.hourly_cost for a in agents) * 24 * top_multiplier * 7 * starts
    if shortfall + wage <= MAX_OBJECTIVE_COST:
        return
    peak = int(need.max()) if need.size else 0
    if shortfall >= wage:
        raise InputError(
            f"the week needs up to {peak:,} heads at once ({need.sum():.3g} agent-intervals); at "
            f"understaffed_penalty {scenario.understaffed_penalty:g} its shortfall could cost {shortfall:.3g}, "
            f"beyond the {MAX_OBJECTIVE_COST:.3g} the roster's integer objective holds (core/limits.py): check "
            "the history's contacts (a unit or scaling mistake?) or lower understaffed_penalty",
            file=source, field="contacts")
    raise InputError(f"{len(agents):,} agents at their hourly costs could cost {wage:.3g} a week in the roster's "
                     f"objective, beyond the {MAX_OBJECTIVE_COST:.3g} it holds (core/limits.py): use a smaller pool "
                     "or fewer shift template starts", field="--agents")


def unforecast_channels(scenario, forecast: pd.DataFrame, source: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    """The forecast with every channel ``scenario`` serves, and a warning per channel it lacked.

    A channel with no row in the history has no forecast: it is planned at 0 contacts (rows of zeros
    with the scenario's ``default_aht_s``), so the plan lists it and staffs nobody for it, and the
    warning names the history file and the channel. Not an error: a history may rightly lack a channel
    that opens later or that another team answers, and the rest of the plan stands; the reverse (a
    history channel the scenario does not define) is an error, since its contacts would go unplanned
    (``Scenario.check_channels``)."""
    from core.names import channel_rank

    absent = [c for c in scenario.channels if c not in set(forecast["channel"])]
    if not absent:
        return forecast, []
    starts = forecast["interval_start"].drop_duplicates()
    zeros = [pd.DataFrame({"interval_start": starts, "channel": c, "contacts": 0.0, "contacts_p10": 0.0,
                           "contacts_p90": 0.0, "aht_s": float(scenario.channels[c].default_aht_s)})
             for c in absent]
    out = pd.concat([forecast, *zeros], ignore_index=True)
    out = (out.assign(_rank=out["channel"].map(channel_rank)).sort_values(["interval_start", "_rank"], kind="stable")
           .drop(columns="_rank").reset_index(drop=True))
    where = f"the history {source}" if source else "the history"
    warnings = [f"{where} has no {c} rows, a channel scenario '{scenario.name}' serves: {c} is planned with 0 "
                f"contacts and nobody staffed for it; add its history, or set served = false in the scenario's "
                f"[channels.{c}] (or remove that table)"
                for c in absent]
    return out, warnings


def idle_agents(problem, source: str | None = None) -> list[str]:
    """A warning naming the agents of the pool the roster can give no shift: none of their skills is a
    channel the scenario serves, or no roster template is open to them (``RosterProblem.may_work``). They
    stay in the pool, unrostered; said, since a pool written for another scenario (a phone-only agent in a
    chat and email shop) or a contract without templates would otherwise vanish from the plan unseen."""
    served = set(problem.scenario.channels)
    templates = [(t.name, t.contracts) for t in problem.scenario.all_templates]
    idle = []
    for agent in problem.agents:
        if not served & set(agent.skills):
            idle.append(f"{agent.agent_id} (skills {'|'.join(agent.skills)}, none served)")
        elif not any(problem.may_work(agent, name, contracts) for name, contracts in templates):
            idle.append(f"{agent.agent_id} (no template for contract {agent.contract})")
    if not idle:
        return []
    where = f"the agent pool {source}" if source else "the agent pool"
    shown = ", ".join(idle[:5]) + (f" and {len(idle) - 5} more" if len(idle) > 5 else "")
    return [f"{where} has {len(idle)} agent(s) scenario '{problem.scenario.name}' can give no shift: {shown}; "
            "they are not rostered: give them a skill the scenario serves, or a template for their contract"]


# --- after the solve -------------------------------------------------------------------------------------

_RULE_WORDS = ("weekly hours cap", "max_days_per_week", "min_rest_h", "max_consecutive_days", "on leave")
_REASON_KINDS = {"needed on other channels": "busy", "at lunch": "templates",
                 "on a shift that does not cover it": "templates"}
"""What keeps the agents who could cover an interval off it (``roster.report``'s reasons) asks of the
planner: every skilled agent busy on other channels is a pool too small; lunches and shifts that miss
the hour are the templates."""


def _cause_kind(cause: str) -> str:
    """The kind of a ``shortfall.csv`` cause: pool, busy, templates, rules, cost, closed or other. A
    cause listing why the agents who could cover it do not ("the others are R1 (n1), R2 (n2)") is of
    the kind of R1, the reason that keeps most agents off (``capacity.report.cause_kind``)."""
    text = cause_kind(str(cause))
    if text.startswith("agents "):
        reason = text.removeprefix("agents ")
        if reason in _REASON_KINDS:
            return _REASON_KINDS[reason]
        return "rules" if any(w in reason for w in _RULE_WORDS) else "other"
    if text.startswith("pool has"):
        return "pool"
    if text.startswith(("only ", "no shift template covers", "lunch:")) or "is not an interval start" in text:
        return "templates"
    if text.startswith("cost:"):
        return "cost"
    if text.startswith("service window closed"):
        return "closed"
    return "other"


def _advice(kind: str, summary: dict, peak_need: int, gap_poor: bool, scenario) -> str:
    pool = summary.get("agents_in_pool", 0)
    if kind == "pool":
        if pool and peak_need > FORECAST_CHECK_RATIO * pool:
            return (f"the week needs up to {peak_need:,} heads at once against a pool of {pool:,}: check the "
                    "forecast's history (a unit or scaling mistake?), else hire")
        return "the pool lacks skilled agents: hire, train more agents on the channel, or add [[temporary_agents]]"
    if kind == "busy":
        return ("the agents skilled for it are needed on other channels at those hours: hire (plan --hire auto), "
                "train more agents on the channel, or add [[temporary_agents]]")
    if kind == "rules":
        return ("the labour rules bind (weekly hours, days, rest): hire or add [[temporary_agents]], or allow "
                "overtime in [labour]")
    if kind == "templates":
        return ("the shift templates do not reach those hours for enough agents: add starts or longer spans to "
                "roster.templates (for the contracts and day types short), widen the lunch_window, or hire")
    if kind == "cost" and gap_poor:
        return f"idle agents could cover it but the solver stopped early: {_time_limit_advice(summary, scenario)}"
    if kind == "cost":
        return "a shift there costs more than the shortfall it removes: raise understaffed_penalty"
    return "see shortfall.csv for the cause of each interval"


_STOPPED_BY = {"deterministic_time": "its time budget", "relative_gap": "its gap limit", "optimal": "a proof"}


def _time_limit_advice(summary: dict, scenario) -> str:
    """Raise the time limit (naming it when the scenario is known); on a large pool searched
    deterministically, try the portfolio search too. A search Ctrl-C stopped: let it finish."""
    if interrupted(summary):
        return "the search was interrupted (Ctrl-C): plan again and let it finish"
    pool = summary.get("agents_in_pool", 0)
    if scenario is None:
        text, search = "raise roster.time_limit_s", "deterministic"
    else:
        text, search = f"raise roster.time_limit_s (now {scenario.roster.time_limit_s:g} s)", scenario.roster.search
    if search == "deterministic" and pool >= LARGE_POOL:
        text += " or try roster.search = \"portfolio\", stronger on large pools"
    return text


def interrupted(summary: dict) -> bool:
    """Whether Ctrl-C cut the plan's search short (``summary.json`` ``solver.stopped_by``)."""
    return interrupt.STOPPED in str(summary.get("solver", {}).get("stopped_by", ""))


def _gap_warning(summary: dict, scenario) -> str | None:
    solver = summary.get("solver", {})
    gap = solver.get("gap")
    if gap is None or not gap > GAP_WARN:
        return None
    stopped = str(solver.get("stopped_by", ""))
    stopped = "Ctrl-C" if interrupted(summary) else \
        _STOPPED_BY.get(stopped, "the wall clock" if stopped_by_clock(stopped) else "its limit")
    return (f"poor roster: CP-SAT stopped {100 * gap:.1f}% from the best bound ({solver.get('status')} after "
            f"{solver.get('wall_s', 0):.0f} s, stopped by {stopped}); a much cheaper or better-staffed roster "
            f"may exist: {_time_limit_advice(summary, scenario)}")


def _shortfall_warning(summary: dict, shortfall: pd.DataFrame | None, required_intervals: float | None,
                       gap_poor: bool, scenario) -> str | None:
    missing = float(summary.get("understaffed_agent_intervals", 0))
    if required_intervals is None or required_intervals <= 0 or missing <= SHORTFALL_WARN * required_intervals:
        return None
    below = [f"{ch} {100 * s['service_level']:.1f}% against {100 * s['target']:.0f}%"
             for ch, s in summary.get("channels", {}).items()
             if s.get("service_level") is not None and s.get("target") and s["service_level"] < s["target"]]
    kind, peak = "other", 0
    if shortfall is not None and len(shortfall):
        by_kind = shortfall.groupby(shortfall["cause"].map(_cause_kind))["missing"].sum()
        by_kind = by_kind.drop("closed", errors="ignore")
        if len(by_kind):
            kind = str(by_kind.idxmax())
        peak = int(shortfall["required_scheduled"].max())
    share = missing / required_intervals
    service = f" ({', '.join(below)})" if below else ""
    return (f"heavy shortfall: {missing:,.0f} of {required_intervals:,.0f} required agent-intervals "
            f"({100 * share:.1f}%) unstaffed{service}; {_advice(kind, summary, peak, gap_poor, scenario)}")


def plan_warnings(summary: dict, shortfall: pd.DataFrame | None = None,
                  requirements: pd.DataFrame | None = None, scenario=None) -> list[str]:
    """One line per problem that makes the plan poor, each saying what to do; [] for a sound plan.

    ``summary`` is the plan's summary (solver gap, understaffed agent-intervals, per-channel service
    level and target, pool size); ``shortfall`` the roster's shortfall table (for the causes);
    ``requirements`` the requirements table (for the required agent-intervals; without it the share is
    taken from ``summary["required_agent_intervals"]`` when present); ``scenario`` makes the advice
    name the current time limit and search."""
    warnings = []
    gap_line = _gap_warning(summary, scenario)
    if gap_line:
        warnings.append(gap_line)
    if requirements is not None:
        required = float(requirements["required_scheduled"].sum())
    else:
        required = summary.get("required_agent_intervals")
    short_line = _shortfall_warning(summary, shortfall, required, gap_line is not None, scenario)
    if short_line:
        warnings.append(short_line)
    return [" ".join(w.split()) for w in warnings]  # one line each
