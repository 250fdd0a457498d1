"""Erlang C (M/M/N) and Erlang A (M/M/N+M) queueing maths: pure, vectorized numpy, no I/O (the
minimum-agents search of :func:`required_agents` is one loop compiled with numba, see there).

Conventions (all functions):

- ``load`` is the offered load ``A`` [Erlang] = arrival rate x AHT; ``aht_s`` [s]; ``answer_within_s``
  [s]; ``patience_s`` [s] the mean of an exponential patience; ``agents`` ``N`` are whole servers
  (an integer array; floats are accepted only when whole). Arguments broadcast against each other.
- Erlang B comes from the recursion ``B_0 = 1, B_k = A B_{k-1} / (k + A B_{k-1})``; every term lies in
  (0, 1], so it is stable from 0.01 to tens of thousands of Erlangs. No factorial is ever formed.
- Edge cases follow one rule: with no load nobody waits (``p_wait`` 0, service level 1, ASA 0,
  occupancy 0), even with 0 agents; with load and ``N <= A`` an Erlang C queue is unstable (``p_wait``
  1, service level 0, ASA inf).

Erlang A is computed from integral forms of the birth-death chain (see :func:`erlang_a_metrics`),
evaluated by Gauss-Legendre quadrature on panels cut at level sets of the integrand, in log space:
stable from patience of a second to patience -> infinity (where it tends to Erlang C).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = [
    "offered_load", "erlang_b", "erlang_c", "service_level", "asa_s", "occupancy", "required_agents",
    "erlang_a_metrics", "required_agents_erlang_a", "interpolate_agents", "whole_agents",
]

# Relative slack when comparing A / N with an occupancy cap, so that 8.5 Erl / 10 agents meets a cap
# of 0.85 despite binary rounding. Service-level targets are compared exactly.
_OCC_RTOL = 1e-9


def _f(x) -> np.ndarray:
    return np.asarray(x, dtype=float)


def whole_agents(x) -> np.ndarray:
    """Whole agent counts as int64; a float array is accepted only when every value is whole.

    Raises ``ValueError`` for booleans, non-numbers, fractions, non-finite or negative counts: the
    check every formula here applies to its ``agents`` argument, for callers with formulas of their
    own (:mod:`scheduler.simulation.priority`)."""
    arr = np.asarray(x)
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise ValueError("agents must be whole numbers")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError("agents must be whole numbers; use interpolate_agents for fractional counts")
    out = arr.astype(np.int64)
    if np.any(out < 0):
        raise ValueError("agents must be >= 0")
    return out


def _in_range(x: np.ndarray, low: float, high: float, low_open: bool, high_open: bool) -> bool:
    """Whether every value lies in the interval (NaN never does); two reductions, no temporaries."""
    if x.ndim == 0:
        lo = hi = float(x)
    elif x.size == 0:
        return True
    else:
        lo, hi = x.min(), x.max()  # NaN propagates into both, and every comparison with NaN is False
    return bool((lo > low if low_open else lo >= low) and (hi < high if high_open else hi <= high))


def _positive_message(name: str) -> str:
    return f"{name} must be finite and > 0"


# Messages of the argument checks, by the error code the compiled search returns for them.
_BAD_INPUT = {
    1: "load must be finite and >= 0 [Erlang]",
    2: _positive_message("aht_s"),
    3: "answer_within_s must be >= 0",
    4: "target must be in (0, 1)",
    5: "max_occupancy must be in (0, 1]",
}


def _check_load(a: np.ndarray) -> None:
    if not _in_range(a, 0.0, np.inf, False, True):
        raise ValueError(_BAD_INPUT[1])


def _check_positive(name: str, x: np.ndarray) -> None:
    if not _in_range(x, 0.0, np.inf, True, True):
        raise ValueError(_positive_message(name))


def offered_load(contacts, interval_min, aht_s) -> np.ndarray:
    """Offered load [Erlang] = contacts x aht_s / interval length [s]."""
    contacts, interval_min, aht_s = _f(contacts), _f(interval_min), _f(aht_s)
    return contacts * aht_s / (interval_min * 60.0)


def erlang_b(agents, load) -> np.ndarray:
    """Blocking probability of M/M/N/N (Erlang B) by the stable forward recursion."""
    n, a = np.broadcast_arrays(whole_agents(agents), _f(load))
    _check_load(a)
    b = np.ones(a.shape)
    nmax = int(n.max()) if n.size else 0
    for k in range(1, nmax + 1):
        ab = a * b
        np.copyto(b, ab / (k + ab), where=n >= k)
    return b


def _erlang_c_from_b(n: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    nf = n.astype(float)
    stable = nf > a
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(stable, nf * b / (nf - a * (1.0 - b)), 1.0)
    c = np.where(a == 0, 0.0, c)
    return np.clip(c, 0.0, 1.0)


def erlang_c(agents, load) -> np.ndarray:
    """Probability that an arrival waits (Erlang C): ``N B_N / (N - A (1 - B_N))``; 1 where N <= A."""
    n, a = np.broadcast_arrays(whole_agents(agents), _f(load))
    return _erlang_c_from_b(n, a, erlang_b(n, a))


def service_level(agents, load, aht_s, answer_within_s) -> np.ndarray:
    """Share answered within ``answer_within_s``: ``1 - C exp(-(N - A) t / AHT)``.

    0 where N <= A (unstable queue), 1 where the load is 0.
    """
    n, a, aht, t = np.broadcast_arrays(whole_agents(agents), _f(load), _f(aht_s), _f(answer_within_s))
    _check_positive("aht_s", aht)
    c = _erlang_c_from_b(n, a, erlang_b(n, a))
    nf = n.astype(float)
    with np.errstate(over="ignore", invalid="ignore"):
        sl = 1.0 - c * np.exp(-(nf - a) * t / aht)
    sl = np.where(nf > a, sl, 0.0)
    sl = np.where(a == 0, 1.0, sl)
    return np.clip(sl, 0.0, 1.0)


def asa_s(agents, load, aht_s) -> np.ndarray:
    """Average speed of answer [s]: ``C AHT / (N - A)``; inf where N <= A, 0 where the load is 0."""
    n, a, aht = np.broadcast_arrays(whole_agents(agents), _f(load), _f(aht_s))
    _check_positive("aht_s", aht)
    c = _erlang_c_from_b(n, a, erlang_b(n, a))
    nf = n.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(nf > a, c * aht / (nf - a), np.inf)
    return np.where(a == 0, 0.0, w)


def occupancy(agents, load) -> np.ndarray:
    """Share of productive time busy, ``A / N`` clipped to 1; 0 where the load is 0.

    Accepts fractional ``agents`` (the formula is closed); ``N = 0`` with load gives 1 (saturated).
    """
    n, a = np.broadcast_arrays(_f(agents), _f(load))
    with np.errstate(divide="ignore", invalid="ignore"):
        occ = np.where(n > 0, a / np.where(n > 0, n, 1.0), 1.0)
    occ = np.where(a == 0, 0.0, np.minimum(occ, 1.0))
    return occ


def _min_agents_for_occupancy(a: np.ndarray, max_occupancy: np.ndarray) -> np.ndarray:
    """Smallest whole N with A / N <= max_occupancy (0 for no load)."""
    return np.ceil(a / max_occupancy * (1.0 - _OCC_RTOL))


def _check_targets(target: np.ndarray, max_occupancy: np.ndarray) -> None:
    if not _in_range(target, 0.0, 1.0, True, True):
        raise ValueError(_BAD_INPUT[4])
    if not _in_range(max_occupancy, 0.0, 1.0, True, False):
        raise ValueError(_BAD_INPUT[5])


def _broadcast_flat(*args) -> tuple[tuple[int, ...], list[np.ndarray]]:
    """C-contiguous float arrays flattened to one common length (scalars stay 0-d) and the broadcast
    shape.

    Cheaper than ``np.broadcast_arrays`` in the common case of equal-shaped arrays and scalars."""
    arrs = [_f(x) for x in args]
    arrs = [x if x.flags.c_contiguous else np.ascontiguousarray(x) for x in arrs]
    shapes = {x.shape for x in arrs if x.ndim}
    shape = shapes.pop() if len(shapes) == 1 else np.broadcast_shapes(*(x.shape for x in arrs))
    flat = [x.ravel() if x.shape == shape or x.ndim == 0 else np.broadcast_to(x, shape).ravel()
            for x in arrs]
    return shape, flat


def _search_source(a, aht, t, tgt, occ, rtol, out):  # pragma: no cover - runs compiled (see _search)
    """Exact minimum-agents search, one interval at a time; compiled by numba on first use.

    Each argument is a 1-d float64 array of the common length n, or of length 1 (a broadcast scalar).
    Returns 0, or the code of the first invalid input (see ``_BAD_INPUT``) with nothing searched.

    Per interval: I_k = 1 / B_k, the inverse of Erlang B, by the stable forward recursion
    I_0 = 1, I_k = 1 + (k / A) I_{k-1} (every term positive, so rounding errors never grow; an I that
    overflows to inf means B = 0 and a service level of 1, which the test below handles), up to the
    first candidate ``max(floor(A) + 1, ceil(A / max_occupancy))``. From there, with q = k / A,
    C = k B / (k - A + A B) = q / ((q - 1) I + 1), and the service-level test
    1 - C exp(-(k - A) t / AHT) >= target is  q exp(-(k - A) t / AHT) <= (1 - target) ((q - 1) I + 1),
    checked upward; service level rises with N, so the first k that passes is the minimum.
    """
    n = out.size
    # index strides: 1 for a full-length argument, 0 for a broadcast scalar
    sa, sh, st = min(a.size - 1, 1), min(aht.size - 1, 1), min(t.size - 1, 1)
    sg, so = min(tgt.size - 1, 1), min(occ.size - 1, 1)
    for i in range(n):  # validate everything before searching anything
        ai, hi, ti, gi, oi = a[i * sa], aht[i * sh], t[i * st], tgt[i * sg], occ[i * so]
        if not (0.0 <= ai < math.inf):
            return 1
        if not (0.0 < hi < math.inf):
            return 2
        if not (ti >= 0.0):
            return 3
        if not (0.0 < gi < 1.0):
            return 4
        if not (0.0 < oi <= 1.0):
            return 5
    for i in range(n):
        ai = a[i * sa]
        if ai == 0.0:
            out[i] = 0
            continue
        start = max(math.floor(ai) + 1.0, math.ceil(ai / occ[i * so] * (1.0 - rtol)))
        inv_a = 1.0 / ai
        inv_b = 1.0
        k = 1.0
        while k < start:
            inv_b = 1.0 + k * inv_a * inv_b
            k += 1.0
        decay = t[i * st] / aht[i * sh]
        slack = 1.0 - tgt[i * sg]
        while True:
            q = k * inv_a
            inv_b = 1.0 + q * inv_b
            if q * math.exp((ai - k) * decay) <= slack * ((q - 1.0) * inv_b + 1.0):
                break
            k += 1.0
        out[i] = int(k)
    return 0


_SEARCH = None


def _search():
    """The compiled search: numba is imported and the kernel loaded (from its on-disk cache after the
    first run) only when required agents are first asked for, so other commands start without it."""
    global _SEARCH
    if _SEARCH is None:
        from numba import njit

        try:
            _SEARCH = njit(cache=True, nogil=True)(_search_source)
        except RuntimeError:  # no writable cache location (read-only install and home): compile per process
            _SEARCH = njit(nogil=True)(_search_source)
    return _SEARCH


def required_agents(load, aht_s, answer_within_s, target, max_occupancy=1.0) -> np.ndarray:
    """Smallest whole N with Erlang C service level >= ``target`` and ``A / N <= max_occupancy``.

    Exact search (see :func:`_search_source`): the stable Erlang B recursion per interval, then the
    candidates from ``max(floor(A) + 1, ceil(A / max_occupancy))`` upward until the target is met.
    Service level and occupancy are monotone in N, so the first hit is the minimum. 0 where the load is
    0. Returns int64 with the broadcast shape.

    The loop is compiled with numba rather than written as numpy array operations: with a few hundred
    intervals, a numpy version spends its time in the ~100 array-call overheads it needs, not in
    arithmetic (0.15-0.25 ms for a week of 3 channels, against ~0.02 ms compiled;
    ``benchmarks/bench_staffing.py``).
    """
    shape, args = _broadcast_flat(load, aht_s, answer_within_s, target, max_occupancy)
    out = np.empty(math.prod(shape), dtype=np.int64)
    code = _search()(*(x.reshape(-1) for x in args), _OCC_RTOL, out)
    if code:
        raise ValueError(_BAD_INPUT[code])
    return out.reshape(shape)


# --- Erlang A (M/M/N+M) ------------------------------------------------------------------------------
#
# Time tau is in units of AHT; r = AHT / patience_s. Given that an arrival finds all N agents busy, the
# chain above N has the unnormalised weights t_j = prod_{i<=j} A / (N + i r), and with
# phi_c(tau) = -(N + c r) tau + (A / r) (1 - exp(-r tau)):
#   S   = sum_j t_j                          = N int_0^inf exp(phi_0)
#   J_t = sum_j t_j P(served within t | j)   = N int_0^t   exp(phi_1)
#   S - J_inf (abandons)                     = N int_0^inf exp(phi_0) (1 - exp(-r tau))
#   E[wait; served] / AHT                    = N int_0^inf tau exp(phi_1)
# (an arrival with j ahead is served after j + 1 removals from the queue ahead, each at rate N + i r,
# unless its own patience runs out first; summing the series under the integral gives the forms above).
# With R = (1 - B_N) / B_N = P(fewer than N busy) / P(exactly N busy):
#   p_wait = S / (R + S),  SL = (R + J_t) / (R + S),  p_abandon = (S - J_inf) / (R + S).
# Each phi_c is concave with one maximum, so its integral is cut into panels at the points where phi_c
# has dropped by fixed amounts below its maximum (found by bisection) and each panel gets a 12-point
# Gauss-Legendre rule: every panel sees an integrand that changes by a bounded factor, at any scale.

_GL_X, _GL_W = np.polynomial.legendre.leggauss(12)
_DROPS = np.array([1 / 32, 1 / 8, 1 / 4, 1 / 2, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0,
                   48.0, 64.0])
_BISECT_STEPS = 36


def _phi(tau, n, a, r, c):
    return -(n + c * r) * tau - (a / r) * np.expm1(-r * tau)


def _panel_edges(n, a, r, c):
    """Panel edges ``(E, P + 1)`` around the maximum of phi_c, and phi_c at the maximum ``(E, 1)``.

    Edges sit where phi_c has dropped by ``_DROPS`` below its maximum, on both sides of an interior
    maximum (the left side is left out when no row of the batch has one).
    """
    rate = n + c * r
    interior = a > rate
    with np.errstate(divide="ignore", invalid="ignore"):
        tau0 = np.where(interior, np.log(np.where(interior, a / rate, 1.0)) / r, 0.0)
    phi0 = _phi(tau0, n, a, r, c)
    levels = _DROPS[None, :]
    # right of the maximum: bracket the largest drop by doubling, then bisect every level at once
    d_hi = 1.0 / (rate + a)
    for _ in range(400):
        short = phi0 - _phi(tau0 + d_hi, n, a, r, c) < _DROPS[-1]
        if not short.any():
            break
        d_hi = np.where(short, 2.0 * d_hi, d_hi)
    lo = np.zeros((n.shape[0], levels.shape[1]))
    hi = np.broadcast_to(d_hi, lo.shape).copy()
    for _ in range(_BISECT_STEPS):
        mid = 0.5 * (lo + hi)
        below = phi0 - _phi(tau0 + mid, n, a, r, c) < levels
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    parts = [tau0, tau0 + hi]
    if interior.any():
        # left of an interior maximum, down to tau = 0 where phi = 0
        lo = np.zeros_like(hi)
        hi = np.broadcast_to(tau0, lo.shape).copy()
        for _ in range(_BISECT_STEPS):
            mid = 0.5 * (lo + hi)
            below = phi0 - _phi(tau0 - mid, n, a, r, c) < levels
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        left = np.where(phi0 < levels, tau0, hi)
        parts.insert(0, tau0 - left[:, ::-1])
    return np.maximum(np.concatenate(parts, axis=1), 0.0), phi0


def _nodes(edges, upper=None):
    """Gauss-Legendre nodes ``(E, P, G)`` and weights on the panels, clipped at ``upper``."""
    p, q = edges[:, :-1], edges[:, 1:]
    if upper is not None:
        p, q = np.minimum(p, upper), np.minimum(q, upper)
    half = (0.5 * (q - p))[..., None]
    return (0.5 * (p + q))[..., None] + half * _GL_X, half * _GL_W


def _log_sum(f, w, phi0):
    with np.errstate(divide="ignore"):
        return phi0[:, 0] + np.log(np.einsum("epg,epg->e", f, w))


def _log_b_ratio(n: np.ndarray, a: np.ndarray) -> np.ndarray:
    """log((1 - B_N) / B_N) from the recursion 1/B_k = 1 + (k / A) / B_{k-1}, in log space."""
    lr = np.zeros(a.shape)
    log_a = np.log(a)
    nmax = int(n.max()) if n.size else 0
    for k in range(1, nmax + 1):
        step = np.logaddexp(0.0, np.log(k) - log_a + lr)
        np.copyto(lr, step, where=n >= k)
    with np.errstate(divide="ignore"):
        return lr + np.log(-np.expm1(-lr))


def erlang_a_metrics(agents, load, aht_s, patience_s, answer_within_s) -> dict[str, np.ndarray]:
    """Erlang A (M/M/N+M): Poisson arrivals, exponential handle time and exponential patience.

    Returns a dict of arrays (broadcast shape):

    - ``p_wait``: share of arrivals that find all agents busy;
    - ``service_level``: share of *all* arrivals answered within ``answer_within_s`` (an abandoned
      contact counts as missed);
    - ``p_abandon``: share of arrivals that hang up before being answered;
    - ``asa_s``: mean wait [s] of the answered contacts (inf when nobody is answered);
    - ``occupancy``: carried load / N = A (1 - p_abandon) / N.

    As ``patience_s`` -> inf it tends to Erlang C (for N > A). With 0 agents and load nobody is answered.
    """
    n, a, aht, pat, t = np.broadcast_arrays(whole_agents(agents), _f(load), _f(aht_s), _f(patience_s),
                                            _f(answer_within_s))
    _check_load(a)
    _check_positive("aht_s", aht)
    _check_positive("patience_s", pat)
    if np.any(~(t >= 0)):
        raise ValueError(_BAD_INPUT[3])
    shape = n.shape
    n, a, aht, pat, t = (x.ravel() for x in (n, a, aht, pat, t))
    p_wait = np.where(a > 0, 1.0, 0.0)
    sl = np.where(a > 0, 0.0, 1.0)
    p_ab = np.where(a > 0, 1.0, 0.0)
    asa = np.where(a > 0, np.inf, 0.0)
    idx = np.flatnonzero((a > 0) & (n > 0))
    if idx.size:
        nn = n[idx].astype(float)[:, None]
        aa = a[idx][:, None]
        rr = (aht[idx] / pat[idx])[:, None]
        tt = (t[idx] / aht[idx])[:, None]
        log_n = np.log(nn[:, 0])
        n3, a3, r3 = nn[..., None], aa[..., None], rr[..., None]
        e0, m0 = _panel_edges(nn, aa, rr, 0)
        e1, m1 = _panel_edges(nn, aa, rr, 1)
        with np.errstate(over="ignore", under="ignore"):
            x0, w0 = _nodes(e0)
            f0 = np.exp(_phi(x0, n3, a3, r3, 0) - m0[..., None])
            log_s = log_n + _log_sum(f0, w0, m0)
            log_ab = log_n + _log_sum(f0 * -np.expm1(-r3 * x0), w0, m0)
            x1, w1 = _nodes(e1)
            f1 = np.exp(_phi(x1, n3, a3, r3, 1) - m1[..., None])
            log_jinf = log_n + _log_sum(f1, w1, m1)
            log_m = log_n + _log_sum(f1 * x1, w1, m1)
            xt, wt = _nodes(e1, upper=tt)
            log_jt = log_n + _log_sum(np.exp(_phi(xt, n3, a3, r3, 1) - m1[..., None]), wt, m1)
        log_r = _log_b_ratio(n[idx], a[idx])
        log_z = np.logaddexp(log_r, log_s)
        p_wait[idx] = np.exp(log_s - log_z)
        sl[idx] = np.exp(np.logaddexp(log_r, log_jt) - log_z)
        p_ab[idx] = np.exp(log_ab - log_z)
        asa[idx] = aht[idx] * np.exp(log_m - np.logaddexp(log_r, log_jinf))
    nf = n.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        occ = np.where(nf > 0, a * (1.0 - p_ab) / np.where(nf > 0, nf, 1.0), np.where(a > 0, 1.0, 0.0))
    clip = lambda x: np.clip(x, 0.0, 1.0).reshape(shape)  # noqa: E731
    return {"p_wait": clip(p_wait), "service_level": clip(sl), "p_abandon": clip(p_ab),
            "asa_s": asa.reshape(shape), "occupancy": clip(occ)}


def required_agents_erlang_a(load, aht_s, patience_s, answer_within_s, target, max_occupancy=1.0) -> np.ndarray:
    """Smallest whole N with Erlang A service level >= ``target`` and ``A / N <= max_occupancy``.

    The occupancy cap uses the offered load (conservative: it ignores the relief from abandons).
    Vectorized bisection between a proven-infeasible N (below ``target x A`` nobody can reach the
    target, since at most N / A of arrivals are answered; below the occupancy bound) and a feasible N
    found by doubling from the Erlang C answer. 0 where the load is 0.
    """
    a, aht, pat, t, tgt, occ = np.broadcast_arrays(_f(load), _f(aht_s), _f(patience_s), _f(answer_within_s),
                                                   _f(target), _f(max_occupancy))
    _check_load(a)
    _check_positive("aht_s", aht)
    _check_positive("patience_s", pat)
    _check_targets(tgt, occ)
    shape = a.shape
    a, aht, pat, t, tgt, occ = (x.ravel() for x in (a, aht, pat, t, tgt, occ))
    out = np.zeros(a.size, dtype=np.int64)
    idx = np.flatnonzero(a > 0)
    if idx.size == 0:
        return out.reshape(shape)
    a, aht, pat, t, tgt, occ = (x[idx] for x in (a, aht, pat, t, tgt, occ))
    n_occ = _min_agents_for_occupancy(a, occ).astype(np.int64)
    lo = np.maximum(np.ceil(tgt * a).astype(np.int64) - 1, n_occ - 1)

    def feasible(nn, sel):
        sl = erlang_a_metrics(nn, a[sel], aht[sel], pat[sel], t[sel])["service_level"]
        return sl >= tgt[sel]

    hi = np.maximum(required_agents(a, aht, t, tgt, occ), lo + 1)
    ok = feasible(hi, slice(None))
    while not ok.all():
        bad = ~ok
        lo = np.where(bad, hi, lo)
        hi = np.where(bad, 2 * hi, hi)
        ok[bad] = feasible(hi[bad], bad)
    while True:
        gap = hi - lo > 1
        if not gap.any():
            break
        mid = (lo + hi) // 2
        good = feasible(mid[gap], gap)
        sel = np.flatnonzero(gap)
        hi[sel[good]] = mid[sel[good]]
        lo[sel[~good]] = mid[sel[~good]]
    out[idx] = hi
    return out.reshape(shape)


def interpolate_agents(metric_fn: Callable, agents, *args, **kwargs):
    """Report a metric at a fractional number of productive agents (or chat slots).

    Queueing formulas are defined for whole servers only. A roster gives fractional productive
    capacity (7 heads x (1 - 0.3 shrinkage) = 4.9 agents), so for reporting we evaluate ``metric_fn``
    at ``floor(x)`` and ``floor(x) + 1`` and interpolate linearly: exact at whole counts, monotone
    between them, and inf where the lower count is unstable (e.g. ASA with N <= A). It is a reporting
    convention, not a queueing model of part-time servers; size requirements with whole agents.

    ``metric_fn(agents_int, *args, **kwargs)`` may return an array or a dict of arrays (as
    :func:`erlang_a_metrics` does); the same structure is returned.
    """
    x = _f(agents)
    if np.any(~np.isfinite(x)) or np.any(x < 0):
        raise ValueError("agents must be finite and >= 0")
    lo = np.floor(x)
    frac = x - lo
    lo_i = lo.astype(np.int64)
    m_lo = metric_fn(lo_i, *args, **kwargs)
    m_hi = metric_fn(lo_i + 1, *args, **kwargs)

    def mix(u, v):
        u, v = np.asarray(u, float), np.asarray(v, float)
        with np.errstate(invalid="ignore"):
            return np.where(frac == 0, u, (1.0 - frac) * u + frac * v)

    if isinstance(m_lo, dict):
        return {k: mix(m_lo[k], m_hi[k]) for k in m_lo}
    return mix(m_lo, m_hi)
