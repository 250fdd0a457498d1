"""A seeded discrete-event M/M/N (+M) simulation, to check the queueing formulas against.

First come, first served: each arrival takes the agent that frees up first. With ``patience_s`` an
arrival whose wait would exceed its own exponential patience hangs up at that moment and never holds
an agent, which is the M/M/N+M (Erlang A) model. Inter-arrival, handle and patience times are drawn
with numpy in one go; only the queue itself is a (fast, heap-based) Python loop.
"""

from __future__ import annotations

import heapq

import numpy as np

__all__ = ["simulate_mmn"]


def simulate_mmn(load_erl: float, aht_s: float, agents: int, answer_within_s: float, horizon_s: float,
                 seed: int, patience_s: float | None = None, warmup_s: float | None = None) -> dict[str, float]:
    """Simulate a stationary M/M/N queue (M/M/N+M with ``patience_s``) for ``horizon_s`` seconds.

    ``load_erl`` [Erlang] sets the arrival rate ``load_erl / aht_s`` [1/s]. Arrivals during the first
    ``warmup_s`` (default 5% of the horizon) are simulated but not counted.

    Returns ``service_level`` (answered within ``answer_within_s`` over all counted arrivals, abandons
    are misses), ``asa_s`` (mean wait of answered contacts), ``p_wait`` (share that found all agents
    busy), ``p_abandon`` and ``arrivals`` (the count behind the estimates).
    """
    if not load_erl > 0 or not aht_s > 0 or not horizon_s > 0:
        raise ValueError("load_erl, aht_s and horizon_s must be > 0")
    if int(agents) != agents or agents < 1:
        raise ValueError("agents must be a whole number >= 1")
    if patience_s is not None and not patience_s > 0:
        raise ValueError("patience_s must be > 0")
    rng = np.random.default_rng(seed)
    rate = load_erl / aht_s
    chunks, t_end = [], 0.0
    while t_end < horizon_s:  # inter-arrival gaps until the horizon is passed
        size = int(rate * (horizon_s - t_end) * 1.05 + 10 * np.sqrt(rate * horizon_s) + 100)
        gaps = rng.exponential(1.0 / rate, size)
        times = t_end + np.cumsum(gaps)
        chunks.append(times)
        t_end = float(times[-1])
    arrivals = np.concatenate(chunks)
    arrivals = arrivals[arrivals < horizon_s]
    count = arrivals.size
    handle = rng.exponential(aht_s, count)
    patience = rng.exponential(patience_s, count) if patience_s is not None else np.full(count, np.inf)

    free_at = [0.0] * int(agents)  # min-heap of the times the agents free up
    wait = np.empty(count)
    served = np.ones(count, dtype=bool)
    heapreplace = heapq.heapreplace
    for i, (t, h, p) in enumerate(zip(arrivals.tolist(), handle.tolist(), patience.tolist())):
        first = free_at[0]
        w = first - t if first > t else 0.0
        if w > p:
            wait[i] = p
            served[i] = False
            continue
        wait[i] = w
        heapreplace(free_at, t + w + h)

    start = horizon_s * 0.05 if warmup_s is None else warmup_s
    keep = arrivals >= start
    wait, served = wait[keep], served[keep]
    n = int(keep.sum())
    if n == 0:
        raise ValueError("no arrivals after the warm-up: lengthen horizon_s")
    answered = served.sum()
    return {
        "service_level": float(np.sum(served & (wait <= answer_within_s)) / n),
        "asa_s": float(wait[served].mean()) if answered else float("inf"),
        "p_wait": float(np.mean((wait > 0) | ~served)),
        "p_abandon": float(1.0 - answered / n),
        "arrivals": n,
    }
