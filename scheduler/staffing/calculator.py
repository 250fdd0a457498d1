"""The ``schedule erlang`` calculator: one interval's Erlang C figures from the command line.

Apart from :mod:`scheduler.staffing.requirements` (pandas, a week of intervals) so that the command
loads numpy and the Erlang kernels only and answers in about a second, even for 10^9 contacts.
"""

from __future__ import annotations

import math

from core.errors import InputError
from scheduler.staffing.erlang import (
    MAX_AGENTS,
    MAX_LOAD_ERL,
    asa_s,
    ceil_count,
    erlang_c,
    occupancy,
    offered_load,
    required_agents,
    service_level,
)


def _number(value, field: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(f"'{value}' is not a number", field=field) from None
    if not math.isfinite(x):
        raise InputError(f"'{value}' is not a finite number", field=field)
    return x


def erlang_report(contacts, interval_min, aht_s, answer_within_s, agents=None, target=None,
                  max_occupancy=1.0, shrinkage=0.0) -> dict:
    """The ``schedule erlang`` calculator (Erlang C, one interval).

    With ``agents``: the service those agents give. With ``target``: the fewest agents meeting it (and
    the occupancy cap), their service, and ``scheduled_agents = ceil(agents / (1 - shrinkage))``. Both
    given: the service of ``agents`` plus ``meets_target``. Keys: ``load_erl, agents, p_wait,
    service_level, asa_s, occupancy`` (+ ``scheduled_agents`` with a target). Plain Python numbers.
    """
    contacts = _number(contacts, "--contacts")
    interval_min = _number(interval_min, "--interval-min")
    aht_s = _number(aht_s, "--aht-s")
    answer_within_s = _number(answer_within_s, "--answer-within-s")
    max_occupancy = _number(max_occupancy, "--max-occupancy")
    shrinkage = _number(shrinkage, "--shrinkage")
    if contacts < 0:
        raise InputError("contacts must be >= 0", field="--contacts")
    if interval_min <= 0:
        raise InputError("the interval must be > 0 minutes", field="--interval-min")
    if aht_s <= 0:
        raise InputError("average handle time must be > 0 seconds", field="--aht-s")
    if answer_within_s < 0:
        raise InputError("the answer time must be >= 0 seconds", field="--answer-within-s")
    if not 0 < max_occupancy <= 1:
        raise InputError("the occupancy cap must be in (0, 1]", field="--max-occupancy")
    if not 0 <= shrinkage < 1:
        raise InputError("shrinkage must be in [0, 1)", field="--shrinkage")
    if agents is None and target is None:
        raise InputError("give --agents K or --target X", field="--agents/--target")
    if target is not None:
        target = _number(target, "--target")
        if not 0 < target < 1:
            raise InputError("the service-level target must be in (0, 1), e.g. 0.8", field="--target")
    if agents is not None:
        a = _number(agents, "--agents")
        if a < 0 or a != int(a) or a > MAX_AGENTS:
            raise InputError(f"agents must be a whole number from 0 to {MAX_AGENTS:.0e}", field="--agents")
        agents = int(a)
    load = float(offered_load(contacts, interval_min, aht_s))
    if not load <= MAX_LOAD_ERL:
        raise InputError(f"the offered load, {load:.3g} Erlang, is above the cap of {MAX_LOAD_ERL:.0e} Erlang "
                         "(contacts x aht_s / interval)", field="--contacts")
    given = agents is not None
    if not given:
        agents = int(required_agents(load, aht_s, answer_within_s, target, max_occupancy))
    rep = {
        "load_erl": load,
        "agents": agents,
        "p_wait": float(erlang_c(agents, load)),
        "service_level": float(service_level(agents, load, aht_s, answer_within_s)),
        "asa_s": float(asa_s(agents, load, aht_s)),
        "occupancy": float(occupancy(agents, load)),
    }
    if target is not None:
        if given:
            rep["meets_target"] = bool(rep["service_level"] >= target and
                                       (agents > 0 and load / agents <= max_occupancy * (1 + 1e-9) or load == 0))
        rep["scheduled_agents"] = int(ceil_count(agents / (1.0 - shrinkage)))
    return rep
