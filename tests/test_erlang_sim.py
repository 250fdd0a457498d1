"""Queueing theory against a seeded discrete-event simulation of the same queue."""

from __future__ import annotations

import pytest

from scheduler.staffing.erlang import asa_s, erlang_a_metrics, erlang_c, service_level
from scheduler.staffing.simulate import simulate_mmn

AHT_S = 180.0


def horizon_for(load: float, arrivals: int) -> float:
    return arrivals * AHT_S / load


@pytest.mark.parametrize("load,agents,arrivals", [
    (10.0, 12, 1_000_000),   # occupancy 83%
    (50.0, 55, 1_500_000),   # 91%: long busy periods, so more arrivals for the same precision
    (3.0, 5, 500_000),
])
def test_simulated_mmn_agrees_with_erlang_c(load, agents, arrivals):
    sim = simulate_mmn(load, AHT_S, agents, 20.0, horizon_for(load, arrivals), seed=2025)
    assert sim["arrivals"] > 0.9 * arrivals
    assert sim["service_level"] == pytest.approx(float(service_level(agents, load, AHT_S, 20.0)), abs=0.015)
    assert sim["p_wait"] == pytest.approx(float(erlang_c(agents, load)), abs=0.015)
    assert sim["asa_s"] == pytest.approx(float(asa_s(agents, load, AHT_S)), rel=0.1)
    assert sim["p_abandon"] == 0.0


def test_simulated_abandonment_agrees_with_erlang_a():
    load, agents, patience = 10.0, 10, 120.0  # N = A: only abandonment keeps the queue stable
    sim = simulate_mmn(load, AHT_S, agents, 20.0, horizon_for(load, 600_000), seed=2025, patience_s=patience)
    theory = erlang_a_metrics(agents, load, AHT_S, patience, 20.0)
    assert sim["service_level"] == pytest.approx(float(theory["service_level"]), abs=0.015)
    assert sim["p_abandon"] == pytest.approx(float(theory["p_abandon"]), abs=0.015)
    assert sim["p_wait"] == pytest.approx(float(theory["p_wait"]), abs=0.015)
    assert sim["asa_s"] == pytest.approx(float(theory["asa_s"]), rel=0.1)


def test_simulation_is_reproducible_and_validates():
    a = simulate_mmn(2.0, AHT_S, 3, 20.0, 50_000, seed=1)
    assert a == simulate_mmn(2.0, AHT_S, 3, 20.0, 50_000, seed=1)
    with pytest.raises(ValueError):
        simulate_mmn(2.0, AHT_S, 0, 20.0, 50_000, seed=1)
