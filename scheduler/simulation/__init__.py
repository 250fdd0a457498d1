"""Discrete-event simulation of a saved plan: does the roster deliver the projected service?

- :mod:`~scheduler.simulation.engine`: the queue engine and the per-channel model (pure numpy, no I/O);
- :mod:`~scheduler.simulation.priority`: M/M/N non-preemptive priority (VIP) service levels;
- :mod:`~scheduler.simulation.plan_sim`: replications of a plan folder or an in-memory plan, per day
  and per week, with 95% confidence intervals (``simulate_plan``, ``simulate_result``).
"""

from scheduler.simulation.engine import run_queue, simulate_channel
from scheduler.simulation.plan_sim import (
                                          SIMULATION_COLUMNS,
                                          simulate_plan,
                                          simulate_result,
                                          simulation_table,
                                          write_simulation,
)
from scheduler.simulation.priority import priority_service_levels

__all__ = ["run_queue", "simulate_channel", "priority_service_levels", "simulate_plan", "simulate_result",
           "write_simulation", "simulation_table", "SIMULATION_COLUMNS"]
