"""The staffing step: forecast contacts -> required productive agents -> heads to roster.

- :mod:`scheduler.staffing.erlang`: Erlang C / Erlang A maths (pure, vectorized numpy);
- :mod:`scheduler.staffing.requirements`: per-interval requirements, coverage of a roster, the
  ``schedule erlang`` calculator (pandas orchestration; chat concurrency and deferred email models);
- :mod:`scheduler.staffing.simulate`: a seeded M/M/N(+M) simulation to check the formulas against.
"""

from scheduler.staffing.erlang import (
    asa_s,
    erlang_a_metrics,
    erlang_b,
    erlang_c,
    interpolate_agents,
    occupancy,
    offered_load,
    required_agents,
    required_agents_erlang_a,
    service_level,
)

__all__ = [
    "offered_load", "erlang_b", "erlang_c", "service_level", "asa_s", "occupancy", "required_agents",
    "erlang_a_metrics", "required_agents_erlang_a", "interpolate_agents",
]
