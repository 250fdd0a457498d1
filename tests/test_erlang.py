"""Erlang C / Erlang A maths: published reference values, properties, stability, edge cases."""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
from scheduler.staffing.requirements import erlang_report

REFERENCE = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "erlang_reference.csv"


def reference_rows() -> list[dict]:
    if not REFERENCE.is_file():
        pytest.skip(f"{REFERENCE} not present")
    with REFERENCE.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def row_load(row) -> float:
    return float(offered_load(float(row["calls_per_interval"]), float(row["interval_s"]) / 60, float(row["aht_s"])))


# --- published reference values --------------------------------------------------------------------

def test_reference_metrics_match_exact_columns():
    for row in reference_rows():
        a, n = row_load(row), int(row["agents"])
        aht, t = float(row["aht_s"]), float(row["target_answer_s"])
        assert float(erlang_c(n, a)) == pytest.approx(float(row["exact_p_wait"]), abs=1e-6), row["case_id"]
        assert float(service_level(n, a, aht, t)) == pytest.approx(float(row["exact_service_level"]), abs=1e-6)
        assert float(asa_s(n, a, aht)) == pytest.approx(float(row["exact_asa_s"]), abs=1e-4)


def test_reference_rows_vectorized_in_one_call():
    rows = reference_rows()
    a = np.array([row_load(r) for r in rows])
    n = np.array([int(r["agents"]) for r in rows])
    aht = np.array([float(r["aht_s"]) for r in rows])
    t = np.array([float(r["target_answer_s"]) for r in rows])
    np.testing.assert_allclose(service_level(n, a, aht, t), [float(r["exact_service_level"]) for r in rows],
                               atol=1e-6)
    np.testing.assert_allclose(asa_s(n, a, aht), [float(r["exact_asa_s"]) for r in rows], atol=1e-4)


def test_required_agents_brackets_each_reference_row():
    """A target just below the exact service level at N needs exactly N: N - 1 misses it."""
    for row in reference_rows():
        a, n = row_load(row), int(row["agents"])
        aht, t, sl = float(row["aht_s"]), float(row["target_answer_s"]), float(row["exact_service_level"])
        assert int(required_agents(a, aht, t, sl - 1e-9)) == n, row["case_id"]
        assert int(required_agents(a, aht, t, sl + 1e-9)) == n + 1, row["case_id"]


def test_required_agents_published_statements():
    checked = 0
    for row in reference_rows():
        text = row["published_other"]
        a, aht = row_load(row), float(row["aht_s"])
        m = re.search(r"required agents for (\d+)/(\d+) = (\d+)", text)
        if m:
            target, t, n = int(m.group(1)) / 100, float(m.group(2)), int(m.group(3))
            assert int(required_agents(a, aht, t, target)) == n
            checked += 1
            s = re.search(r"with (\d+)% shrinkage (\d+)", text)
            if s:
                rep = erlang_report(float(row["calls_per_interval"]), float(row["interval_s"]) / 60, aht, t,
                                    target=target, shrinkage=int(s.group(1)) / 100)
                assert rep["scheduled_agents"] == int(s.group(2))
        m = re.search(r"requires (\d+) agents for (\d+)% in (\d+) s", text)
        if m:
            n, target, t = int(m.group(1)), int(m.group(2)) / 100, float(m.group(3))
            assert int(required_agents(a, aht, t, target)) == n
            checked += 1
    assert checked >= 2


def test_textbook_example_100_calls_in_30_min():
    assert int(required_agents(10.0, 180, 20, 0.8)) == 14
    assert round(float(service_level(14, 10.0, 180, 20)), 7) == 0.88835


# --- properties ------------------------------------------------------------------------------------

loads = st.floats(min_value=0.01, max_value=300, allow_nan=False)
ahts = st.floats(min_value=10, max_value=1200, allow_nan=False)
answers = st.floats(min_value=0, max_value=300, allow_nan=False)
targets = st.floats(min_value=0.05, max_value=0.99, allow_nan=False)
occupancies = st.floats(min_value=0.5, max_value=1.0, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(a=loads, n=st.integers(0, 400), aht=ahts, t=answers)
def test_service_level_non_decreasing_in_agents(a, n, aht, t):
    sl = service_level([n, n + 1], a, aht, t)
    assert sl[1] >= sl[0] - 1e-12


@settings(max_examples=200, deadline=None)
@given(a=loads, extra=st.floats(0, 50), n=st.integers(0, 400), aht=ahts, t=answers)
def test_service_level_non_increasing_in_load(a, extra, n, aht, t):
    sl = service_level(n, [a, a + extra], aht, t)
    assert sl[1] <= sl[0] + 1e-12


@settings(max_examples=200, deadline=None)
@given(a=loads, n=st.integers(0, 400), aht=ahts, t=answers)
def test_metrics_are_probabilities(a, n, aht, t):
    for value in (erlang_b(n, a), erlang_c(n, a), service_level(n, a, aht, t), occupancy(n, a)):
        assert 0.0 <= float(value) <= 1.0
    w = float(asa_s(n, a, aht))
    assert w >= 0 and (math.isinf(w) == (n <= a))


@settings(max_examples=200, deadline=None)
@given(a=loads, aht=ahts, t=answers, target=targets, occ=occupancies)
def test_required_agents_is_the_smallest_meeting_target_and_cap(a, aht, t, target, occ):
    n = int(required_agents(a, aht, t, target, occ))
    assert float(service_level(n, a, aht, t)) >= target
    assert a / n <= occ * (1 + 1e-9)
    fewer_misses = float(service_level(n - 1, a, aht, t)) < target
    fewer_overloads = n - 1 == 0 or a / (n - 1) > occ
    assert fewer_misses or fewer_overloads


def test_required_agents_vectorized_equals_elementwise():
    rng = np.random.default_rng(3)
    a = rng.uniform(0, 60, 200)
    a[::17] = 0.0
    aht = rng.uniform(60, 600, 200)
    got = required_agents(a, aht, 20, 0.8, 0.85)
    want = [int(required_agents(x, h, 20, 0.8, 0.85)) for x, h in zip(a, aht)]
    assert got.dtype == np.int64 and got.tolist() == want
    assert (got[a == 0] == 0).all()
    assert required_agents(np.zeros((2, 3)), 180, 20, 0.8).shape == (2, 3)


def test_edge_cases_without_load_or_agents():
    assert float(erlang_c(0, 0.0)) == 0.0 and float(service_level(0, 0.0, 180, 20)) == 1.0
    assert float(asa_s(0, 0.0, 180)) == 0.0 and float(occupancy(0, 0.0)) == 0.0
    assert float(erlang_c(3, 3.0)) == 1.0 and float(service_level(3, 3.0, 180, 20)) == 0.0
    assert math.isinf(float(asa_s(3, 3.5, 180)))
    assert float(occupancy(0, 2.0)) == 1.0
    assert int(required_agents(0.0, 180, 20, 0.8)) == 0


def test_invalid_arguments_raise():
    with pytest.raises(ValueError):
        service_level(2.5, 1.0, 180, 20)
    with pytest.raises(ValueError):
        erlang_c(-1, 1.0)
    with pytest.raises(ValueError):
        required_agents(-1.0, 180, 20, 0.8)
    with pytest.raises(ValueError):
        required_agents(1.0, 180, 20, 1.0)
    with pytest.raises(ValueError):
        required_agents(1.0, 0, 20, 0.8)
    # the compiled search validates every interval before searching any
    for bad in (dict(load=[1.0, np.nan]), dict(load=[np.inf]), dict(aht_s=[180, np.inf]),
                dict(answer_within_s=[-1.0, 20]), dict(target=[0.8, 0.0]), dict(max_occupancy=[1.5, 0.8])):
        kw = dict(load=[1.0, 2.0], aht_s=180, answer_within_s=20, target=0.8, max_occupancy=1.0) | bad
        with pytest.raises(ValueError, match=next(iter(bad)).replace("load", "load must")):
            required_agents(**kw)


def test_required_agents_broadcasts_and_survives_extreme_occupancy_caps():
    loads = np.array([[0.5], [7.0]])
    aht = np.array([[120.0, 180.0, 600.0]])
    got = required_agents(loads, aht, 20, 0.8)
    assert got.shape == (2, 3)
    for i, j in np.ndindex(got.shape):
        assert got[i, j] == int(required_agents(float(loads[i, 0]), float(aht[0, j]), 20, 0.8))
    assert required_agents(5.0, 180, 20, 0.8).shape == ()
    # a 1% cap puts the first candidate far above the load, where 1 / Erlang B overflows to inf
    assert int(required_agents(1000.0, 180, 20, 0.8, 0.01)) == 100_000
    assert int(required_agents(0.01, 180, 20, 0.8, 0.001)) == 10


# --- numerical range -------------------------------------------------------------------------------

def _log_space_erlang_c(n: int, a: float) -> float:
    """Independent of the recursion: Erlang B from log terms k log A - log k! and a log-sum-exp."""
    k = np.arange(n + 1)
    log_fact = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, n + 1)))])
    terms = k * math.log(a) - log_fact
    top = terms.max()
    log_b = terms[-1] - (top + math.log(np.exp(terms - top).sum()))
    b = math.exp(log_b)
    return n * b / (n - a * (1 - b))


@pytest.mark.parametrize("n", [5001, 5050, 5100, 5150, 5300])
def test_large_load_is_stable_and_matches_log_space_and_halfin_whitt(n):
    a = 5000.0
    c = float(erlang_c(n, a))
    sl = float(service_level(n, a, 180, 20))
    assert np.isfinite(c) and 0 <= c <= 1 and 0 <= sl <= 1
    assert c == pytest.approx(_log_space_erlang_c(n, a), rel=1e-9)
    beta = (n - a) / math.sqrt(a)
    phi = math.exp(-beta * beta / 2) / math.sqrt(2 * math.pi)
    big_phi = 0.5 * (1 + math.erf(beta / math.sqrt(2)))
    assert c == pytest.approx(1 / (1 + beta * big_phi / phi), abs=0.01)


def test_large_load_required_agents():
    n = int(required_agents(5000.0, 180, 20, 0.8))
    assert 5000 < n < 5100
    assert float(service_level(n, 5000.0, 180, 20)) >= 0.8 > float(service_level(n - 1, 5000.0, 180, 20))


def test_tiny_load():
    a = 0.01
    assert float(erlang_c(1, a)) == pytest.approx(a, rel=1e-12)  # M/M/1: P(wait) = rho
    assert float(service_level(1, a, 180, 20)) == pytest.approx(1 - a * math.exp(-(1 - a) * 20 / 180), rel=1e-12)
    assert int(required_agents(a, 180, 20, 0.8)) == 1
    assert 0 <= float(erlang_b(200, a)) < 1e-300


# --- fractional agents -----------------------------------------------------------------------------

def test_interpolate_agents_exact_at_whole_counts_and_between_neighbours():
    a = 10.0
    whole = interpolate_agents(service_level, np.array([12.0, 14.0]), a, 180, 20)
    np.testing.assert_allclose(whole, service_level([12, 14], a, 180, 20))
    mid = float(interpolate_agents(service_level, 12.25, a, 180, 20))
    lo, hi = service_level([12, 13], a, 180, 20)
    assert mid == pytest.approx(0.75 * lo + 0.25 * hi)
    assert math.isinf(float(interpolate_agents(asa_s, 9.5, a, 180)))
    both = interpolate_agents(erlang_a_metrics, 12.5, a, 180, 300, 20)
    assert set(both) >= {"p_wait", "service_level", "p_abandon", "asa_s"}


# --- Erlang A --------------------------------------------------------------------------------------

def _erlang_a_series(n: int, a: float, aht: float, patience: float, t: float) -> dict:
    """Independent reference: sum over the queue length j an arrival finds, with
    P(answered within t | j) from the negative-binomial form of the incomplete beta function."""
    x, y, v = n * patience / aht, a * patience / aht, math.exp(-t / patience)
    log_r = math.log(sum(math.exp(k * math.log(a) - math.lgamma(k + 1) - (n * math.log(a) - math.lgamma(n + 1)))
                         for k in range(n)))
    s = jt = ab = 0.0
    tj, j = 1.0, 0
    g = [v ** (x + 1)]  # g_i = NB pmf terms; I_v(x + 1, j + 1) = sum_{i <= j} g_i
    cdf = g[0]
    while True:
        served = x / (x + j + 1)
        s += tj
        jt += tj * served * (1 - cdf)
        ab += tj * (1 - served)
        j += 1
        tj *= y / (x + j)
        g.append(g[-1] * (x + j) * (1 - v) / j)
        cdf += g[-1]
        if j > y - x + 10 and tj < 1e-18 * s:
            break
    r = math.exp(log_r)
    z = r + s
    return {"p_wait": s / z, "service_level": (r + jt) / z, "p_abandon": ab / z}


@pytest.mark.parametrize("n,a,aht,patience,t", [
    (10, 9.0, 180, 120, 20), (5, 8.0, 300, 60, 30), (1, 0.5, 100, 30, 10), (12, 10.0, 180, 600, 20),
    (20, 22.0, 240, 300, 15), (3, 10.0, 180, 5, 20),
])
def test_erlang_a_matches_series_reference(n, a, aht, patience, t):
    got = erlang_a_metrics(n, a, aht, patience, t)
    want = _erlang_a_series(n, a, aht, patience, t)
    for key, value in want.items():
        assert float(got[key]) == pytest.approx(value, abs=1e-9), key


@pytest.mark.parametrize("n,a", [(12, 10.0), (20, 18.0), (1, 0.01), (5100, 5000.0), (60, 50.0)])
def test_erlang_a_tends_to_erlang_c_as_patience_grows(n, a):
    m = erlang_a_metrics(n, a, 180, 1e10, 20)
    assert float(m["p_wait"]) == pytest.approx(float(erlang_c(n, a)), abs=1e-6)
    assert float(m["service_level"]) == pytest.approx(float(service_level(n, a, 180, 20)), abs=1e-6)
    assert float(m["asa_s"]) == pytest.approx(float(asa_s(n, a, 180)), abs=1e-4)
    assert float(m["p_abandon"]) < 1e-6


@settings(max_examples=60, deadline=None)
@given(a=st.floats(0.05, 80), n=st.integers(1, 100), aht=st.floats(30, 900), patience=st.floats(1, 3600),
       t=st.floats(0, 120))
def test_erlang_a_bounds_and_abandonment_falls_with_agents(a, n, aht, patience, t):
    m = erlang_a_metrics([n, n + 1], a, aht, patience, t)
    for key in ("p_wait", "service_level", "p_abandon", "occupancy"):
        assert np.all((m[key] >= 0) & (m[key] <= 1)), key
    assert m["p_abandon"][1] <= m["p_abandon"][0] + 1e-12
    assert m["service_level"][1] >= m["service_level"][0] - 1e-12
    assert np.all(m["asa_s"] >= 0)


@settings(max_examples=40, deadline=None)
@given(a=st.floats(0.05, 60), aht=st.floats(60, 600), patience=st.floats(10, 1200), t=st.floats(5, 60),
       target=st.floats(0.5, 0.95), occ=st.floats(0.7, 1.0))
def test_required_agents_erlang_a_is_the_smallest(a, aht, patience, t, target, occ):
    n = int(required_agents_erlang_a(a, aht, patience, t, target, occ))
    assert float(erlang_a_metrics(n, a, aht, patience, t)["service_level"]) >= target
    assert a / n <= occ * (1 + 1e-9)
    if n > 1 and a / (n - 1) <= occ:
        assert float(erlang_a_metrics(n - 1, a, aht, patience, t)["service_level"]) < target


def test_erlang_a_edge_cases():
    m = erlang_a_metrics([0, 3], 0.0, 180, 60, 20)
    assert m["service_level"].tolist() == [1.0, 1.0] and m["p_abandon"].tolist() == [0.0, 0.0]
    m = erlang_a_metrics(0, 2.0, 180, 60, 20)
    assert float(m["service_level"]) == 0.0 and float(m["p_abandon"]) == 1.0
    assert required_agents_erlang_a([0.0, 10.0], 180, 1e9, 20, 0.8).tolist() == [0, 14]


# --- many agents: the closed form above EXACT_MAX_AGENTS -------------------------------------------------

from scheduler.staffing import erlang as erlang_module  # noqa: E402


def _both_ways(monkeypatch, fn, *args):
    """``fn(*args)`` by the exact recursion (threshold out of reach) and by the closed form (threshold 0)."""
    monkeypatch.setattr(erlang_module, "EXACT_MAX_AGENTS", 10**12)
    exact = fn(*args)
    monkeypatch.setattr(erlang_module, "EXACT_MAX_AGENTS", 0)
    closed = fn(*args)
    monkeypatch.undo()
    return exact, closed


@pytest.mark.parametrize("a", [0.5, 40.0, 900.0, 12_000.0, 60_000.0])
def test_closed_form_erlang_b_matches_the_recursion(monkeypatch, a):
    """Across the whole range of N around the load (-40 to +40 sqrt(A)), both tails included."""
    n = np.unique(np.clip(np.round(a + np.linspace(-40, 40, 161) * math.sqrt(a)), 1, None)).astype(np.int64)
    b_exact, b_closed = _both_ways(monkeypatch, erlang_b, n, a)
    keep = b_exact > 1e-300
    np.testing.assert_allclose(b_closed[keep], b_exact[keep], rtol=1e-10)
    assert np.all(b_closed[~keep] < 1e-290)
    sl_exact, sl_closed = _both_ways(monkeypatch, service_level, n, a, 180.0, 20.0)
    np.testing.assert_allclose(sl_closed, sl_exact, rtol=1e-10, atol=1e-12)


def test_closed_form_search_gives_the_exact_answers(monkeypatch):
    rng = np.random.default_rng(14)
    size = 300
    a = np.exp(rng.uniform(math.log(20), math.log(2e5), size))
    aht, t = rng.uniform(30, 900, size), rng.uniform(0, 120, size)
    target, occ = rng.uniform(0.3, 0.99, size), rng.choice([1.0, 0.9, 0.85], size)
    exact, closed = _both_ways(monkeypatch, required_agents, a, aht, t, target, occ)
    assert closed.dtype == np.int64 and closed.tolist() == exact.tolist()


def test_search_is_continuous_across_the_threshold():
    """Loads whose search starts just below and just above EXACT_MAX_AGENTS: no jump between the paths."""
    a = erlang_module.EXACT_MAX_AGENTS + np.linspace(-30.0, 30.0, 61)
    n = required_agents(a, 180, 20, 0.8)
    assert np.all(np.diff(n) >= 0) and np.all(n - a < 20)
    assert np.all(service_level(n, a, 180, 20) >= 0.8) and np.all(service_level(n - 1, a, 180, 20) < 0.8)


def _halfin_whitt(a, aht, t, target):
    lo, hi = 0.0, 40.0
    for _ in range(200):
        beta = 0.5 * (lo + hi)
        phi = math.exp(-beta * beta / 2) / math.sqrt(2 * math.pi)
        big_phi = 0.5 * math.erfc(-beta / math.sqrt(2))
        sl = 1 - math.exp(-beta * math.sqrt(a) * t / aht) / (1 + beta * big_phi / phi)
        lo, hi = (beta, hi) if sl < target else (lo, beta)
    return a + hi * math.sqrt(a)


@pytest.mark.parametrize("a", [1e5, 5e7, 1e9, 1e11])
@pytest.mark.parametrize("aht,t,target", [(180, 20, 0.8), (300, 0, 0.8), (600, 5, 0.9), (180, 20, 0.99)])
def test_huge_loads_meet_square_root_staffing(a, aht, t, target):
    """The exact minimum is within 0-2 agents above Halfin-Whitt's square-root staffing level, which
    becomes exact as the load grows, and it is the minimum: one agent fewer misses the target."""
    n = int(required_agents(a, aht, t, target))
    assert 0 <= n - _halfin_whitt(a, aht, t, target) <= 2
    assert float(service_level(n, a, aht, t)) >= target > float(service_level(n - 1, a, aht, t))


def test_two_billion_agents_and_the_load_cap():
    assert float(erlang_c(2_000_000_000, 5e7)) == 0.0
    assert float(service_level(2_000_000_000, 10.0, 180, 20)) == 1.0
    assert float(asa_s(2_000_000_000, 5e7, 180)) == 0.0
    with pytest.raises(ValueError, match="at most"):
        required_agents([10.0, 2e12], 180, 20, 0.8)


@pytest.mark.parametrize("n,a", [(1_002_000, 1_000_000.0), (50_001, 50_000.0)])
def test_erlang_a_beyond_the_recursion_tends_to_erlang_c(n, a):
    m = erlang_a_metrics(n, a, 180, 1e12, 20)
    assert float(m["p_wait"]) == pytest.approx(float(erlang_c(n, a)), abs=1e-6)
    assert float(m["service_level"]) == pytest.approx(float(service_level(n, a, 180, 20)), abs=1e-6)
    m = erlang_a_metrics(int(0.9 * a), a, 180, 60, 20)  # heavily understaffed: Erlang A stays finite
    assert 0 < float(m["service_level"]) < 1 and 0 < float(m["p_abandon"]) < 1
