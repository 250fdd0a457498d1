"""Erlang C (M/M/N) and Erlang A (M/M/N+M) queueing maths: pure, vectorized numpy, no I/O (the
minimum-agents search of :func:`required_agents` is one loop compiled with numba, see there).

Conventions (all functions):

- ``load`` is the offered load ``A`` [Erlang] = arrival rate x AHT; ``aht_s`` [s]; ``answer_within_s``
  [s]; ``patience_s`` [s] the mean of an exponential patience; ``agents`` ``N`` are whole servers
  (an integer array; floats are accepted only when whole). Arguments broadcast against each other.
- Erlang B comes from the recursion ``B_0 = 1, B_k = A B_{k-1} / (k + A B_{k-1})``; every term lies in
  (0, 1], so it is stable from 0.01 to tens of thousands of Erlangs. No factorial is ever formed. The
  recursion costs O(N), so above ``EXACT_MAX_AGENTS`` agents Erlang B is evaluated in closed form
  instead, in O(1) (see :func:`_log_inv_b`): the same quantity, equal to the recursion within 1e-11
  relative where both run (``tests/test_erlang.py``). Loads up to ``MAX_LOAD_ERL`` are searched.
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
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "offered_load", "erlang_b", "erlang_c", "service_level", "asa_s", "occupancy", "required_agents",
    "erlang_a_metrics", "required_agents_erlang_a", "interpolate_agents", "whole_agents",
]

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]

# Above this many agents Erlang B is evaluated in closed form (O(1)) rather than by the O(N) recursion.
# Every load whose search starts at or below it gets the exact recursion, as before.
EXACT_MAX_AGENTS = 10_000
# The largest offered load :func:`required_agents` searches [Erlang]: its answer must fit an int64 and
# stay a whole number in a double (2**53), with room for the square-root staffing margin above the load.
MAX_LOAD_ERL = 1e12
# The most agents ``schedule erlang --agents`` takes: whole numbers in a double, far below int64's limit.
MAX_AGENTS = 10**15

# Relative slack when comparing A / N with an occupancy cap, so that 8.5 Erl / 10 agents meets a cap
# of 0.85 despite binary rounding. Service-level targets are compared exactly.
_OCC_RTOL = 1e-9


def _f(x: ArrayLike) -> Floats:
    return np.asarray(x, dtype=float)


def whole_agents(x: ArrayLike) -> Ints:
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


def _in_range(x: Floats, low: float, high: float, low_open: bool, high_open: bool) -> bool:
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
    6: f"load must be at most {MAX_LOAD_ERL:.0e} [Erlang] to search required agents",
}


def _check_load(a: Floats) -> None:
    if not _in_range(a, 0.0, np.inf, False, True):
        raise ValueError(_BAD_INPUT[1])


def _check_positive(name: str, x: Floats) -> None:
    if not _in_range(x, 0.0, np.inf, True, True):
        raise ValueError(_positive_message(name))


def offered_load(contacts: ArrayLike, interval_min: ArrayLike, aht_s: ArrayLike) -> Floats:
    """Offered load [Erlang] = contacts x aht_s / interval length [s]."""
    contacts, interval_min, aht_s = _f(contacts), _f(interval_min), _f(aht_s)
    return contacts * aht_s / (interval_min * 60.0)


# --- Erlang B in closed form, for many agents -----------------------------------------------------------
#
# With X ~ Poisson(A): B(N, A) = P(X = N) / P(X <= N), so log(1 / B) = log P(X <= N) - log P(X = N).
# P(X <= N) is scipy's regularized upper incomplete gamma Q(N + 1, A) (relative error ~1e-14 even at
# 1e-187); log P(X = N) is Loader's saddle-point form, which avoids the cancellation of
# N log A - A - log N! at large N. Far below the load (A - N > 30 sqrt(A), or Q < 1e-250), the
# identity 1 / B = E[(1 + U / A)^N], U ~ Exp(1), is integrated by Gauss-Laguerre after rescaling U by
# 1 - N / A (the integrand is then within a gentle Gaussian factor of e^-s).

_LOWER_TAIL_Z = 30.0  # (A - N) / sqrt(A) beyond which the Gauss-Laguerre side is taken ...
_TINY = 1e-250        # ... or where Q(N + 1, A) is below this (N far below a small load)
_GLAG_X, _GLAG_W = np.polynomial.laguerre.laggauss(48)


def _bd0(x: Floats, m: Floats) -> Floats:
    """x log(x / m) + m - x without cancellation near x = m (Loader 2000)."""
    d = x - m
    near = np.abs(d) < 0.1 * (x + m)
    with np.errstate(divide="ignore", invalid="ignore"):
        far = x * np.log(x / m) + m - x
        v = d / (x + m)
    s, ej, v2 = d * v, 2.0 * x * v, v * v
    for j in range(1, 12):  # v^2 < 1/121, so 11 terms leave less than 1e-22
        ej = ej * v2
        s = s + ej / (2 * j + 1)
    return np.where(near, s, far)


def _log_poisson_pmf(n: Floats, a: Floats) -> Floats:
    """log P(X = n), X ~ Poisson(a), n >= 1: Stirling's error term (its series from n = 1000 on, where it
    is exact to 1e-20) plus :func:`_bd0`."""
    from scipy import special  # imported here: only many agents need it, and it costs 0.2-0.4 s to load

    series = 1.0 / (12.0 * n) - 1.0 / (360.0 * n ** 3) + 1.0 / (1260.0 * n ** 5)
    direct = special.gammaln(n + 1.0) - (n + 0.5) * np.log(n) + n - 0.5 * math.log(2.0 * math.pi)
    stirlerr = np.where(n >= 1000.0, series, direct)
    return -stirlerr - _bd0(n, a) - 0.5 * np.log(2.0 * math.pi * n)


def _log_inv_b(n: Floats, a: Floats) -> Floats:
    """log(1 / B(N, A)) in O(1) for N >= 1 and A > 0 (float arrays of one shape); see the block comment."""
    from scipy import special

    out = np.empty(np.shape(n))
    q = special.pdtr(n, a)
    lower = ((a - n) > _LOWER_TAIL_Z * np.sqrt(a)) | ~(q > _TINY)
    up = ~lower
    if up.any():
        out[up] = np.log(q[up]) - _log_poisson_pmf(n[up], a[up])
    if lower.any():
        nl, al = n[lower][:, None], a[lower][:, None]
        c = 1.0 - nl / al
        x = _GLAG_X / (c * al)
        log_terms = nl * (np.log1p(x) - x) + np.log(_GLAG_W)
        top = log_terms.max(axis=1, keepdims=True)
        out[lower] = (top + np.log(np.exp(log_terms - top).sum(axis=1, keepdims=True)) - np.log(c))[:, 0]
    return out


def _erlang_b_closed(n: Ints, a: Floats) -> Floats:
    """Erlang B for N >= 1 in O(1) per value (0 where A = 0)."""
    nf, a = n.astype(float), np.asarray(a, float)
    b = np.zeros(a.shape)
    busy = a > 0
    if busy.any():
        b[busy] = np.exp(-_log_inv_b(nf[busy], a[busy]))
    return b


def erlang_b(agents: ArrayLike, load: ArrayLike) -> Floats:
    """Blocking probability of M/M/N/N (Erlang B): the stable forward recursion up to
    ``EXACT_MAX_AGENTS`` agents, the closed form (:func:`_log_inv_b`) above."""
    n, a = np.broadcast_arrays(whole_agents(agents), _f(load))
    _check_load(a)
    b = np.ones(a.shape)
    big = n > EXACT_MAX_AGENTS
    small = np.where(big, 0, n)
    nmax = int(small.max()) if n.size else 0
    for k in range(1, nmax + 1):
        ab = a * b
        np.copyto(b, ab / (k + ab), where=small >= k)
    if big.any():
        b[big] = _erlang_b_closed(n[big], a[big])
    return b


def _erlang_c_from_b(n: Ints, a: Floats, b: Floats) -> Floats:
    nf = n.astype(float)
    stable = nf > a
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(stable, nf * b / (nf - a * (1.0 - b)), 1.0)
    c = np.where(a == 0, 0.0, c)
    return np.clip(c, 0.0, 1.0)


def erlang_c(agents: ArrayLike, load: ArrayLike) -> Floats:
    """Probability that an arrival waits (Erlang C): ``N B_N / (N - A (1 - B_N))``; 1 where N <= A."""
    n, a = np.broadcast_arrays(whole_agents(agents), _f(load))
    return _erlang_c_from_b(n, a, erlang_b(n, a))


def service_level(agents: ArrayLike, load: ArrayLike, aht_s: ArrayLike, answer_within_s: ArrayLike) -> Floats:
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


def asa_s(agents: ArrayLike, load: ArrayLike, aht_s: ArrayLike) -> Floats:
    """Average speed of answer [s]: ``C AHT / (N - A)``; inf where N <= A, 0 where the load is 0."""
    n, a, aht = np.broadcast_arrays(whole_agents(agents), _f(load), _f(aht_s))
    _check_positive("aht_s", aht)
    c = _erlang_c_from_b(n, a, erlang_b(n, a))
    nf = n.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(nf > a, c * aht / (nf - a), np.inf)
    return np.where(a == 0, 0.0, w)


def occupancy(agents: ArrayLike, load: ArrayLike) -> Floats:
    """Share of productive time busy, ``A / N`` clipped to 1; 0 where the load is 0.

    Accepts fractional ``agents`` (the formula is closed); ``N = 0`` with load gives 1 (saturated).
    """
    n, a = np.broadcast_arrays(_f(agents), _f(load))
    with np.errstate(divide="ignore", invalid="ignore"):
        occ = np.where(n > 0, a / np.where(n > 0, n, 1.0), 1.0)
    occ = np.where(a == 0, 0.0, np.minimum(occ, 1.0))
    return occ


def _min_agents_for_occupancy(a: Floats, max_occupancy: Floats) -> Floats:
    """Smallest whole N with A / N <= max_occupancy (0 for no load)."""
    return np.ceil(a / max_occupancy * (1.0 - _OCC_RTOL))


def _check_targets(target: Floats, max_occupancy: Floats) -> None:
    if not _in_range(target, 0.0, 1.0, True, True):
        raise ValueError(_BAD_INPUT[4])
    if not _in_range(max_occupancy, 0.0, 1.0, True, False):
        raise ValueError(_BAD_INPUT[5])


def _broadcast_flat(*args: ArrayLike) -> tuple[tuple[int, ...], list[Floats]]:
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


def _search_source(a, aht, t, tgt, occ, rtol, exact_max, max_load, out):  # pragma: no cover - runs compiled
    """Exact minimum-agents search, one interval at a time; compiled by numba on first use (see _search).

    Each argument is a 1-d float64 array of the common length n, or of length 1 (a broadcast scalar).
    Returns 0, or the code of the first invalid input (see ``_BAD_INPUT``) with nothing searched.
    An interval whose first candidate lies above ``exact_max`` is not searched here: its ``out`` is -1,
    for :func:`_required_agents_closed`.

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
        if ai > max_load:
            return 6
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
        if start > exact_max:
            out[i] = -1
            continue
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


def _search() -> Callable[..., int]:
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


def _start_agents(a: Floats, max_occupancy: Floats) -> Floats:
    """The first candidate of the search: stable (N > A) and within the occupancy cap."""
    return np.maximum(np.floor(a) + 1.0, _min_agents_for_occupancy(a, max_occupancy))


def _meets_target(n: Floats, a: Floats, decay: Floats, log_slack: Floats) -> NDArray[np.bool_]:
    """Erlang C service level >= target at N > A > 0, in log space: the test of :func:`_search_source`,
    ``N exp(-(N - A) t / AHT) <= (1 - target) ((N - A) / B + A)``."""
    log_rhs = log_slack + np.logaddexp(np.log(n - a) + _log_inv_b(n, a), np.log(a))
    return np.log(n) - (n - a) * decay <= log_rhs


def _required_agents_closed(a: Floats, aht: Floats, t: Floats, tgt: Floats, occ: Floats) -> Ints:
    """The minimum-agents search for loads whose first candidate exceeds ``EXACT_MAX_AGENTS`` (A > 0),
    with Erlang B in closed form: O(log N) evaluations instead of O(N) steps.

    Service level rises with N, so the smallest passing N is bracketed above the first candidate by
    steps of sqrt(A) that double (square-root staffing: the answer lies a few sqrt(A) above A), then
    bisected. Each step is exact up to the closed form's rounding (1e-11 relative in Erlang B).
    """
    decay, log_slack = t / aht, np.log1p(-tgt)
    lo = _start_agents(a, occ) - 1.0  # lo never passes (unstable or over the cap), hi always does
    hi = lo + 1.0
    step = np.ceil(np.sqrt(a))
    todo = ~_meets_target(hi, a, decay, log_slack)
    for _ in range(64):  # doubling steps of sqrt(A): C(N) < e^-(beta^2 / 2) long before 2^64 sqrt(A)
        if not todo.any():
            break
        lo = np.where(todo, hi, lo)
        hi = np.where(todo, hi + step, hi)
        step = np.where(todo, 2.0 * step, step)
        idx = np.flatnonzero(todo)
        todo[idx] = ~_meets_target(hi[idx], a[idx], decay[idx], log_slack[idx])
    while True:
        idx = np.flatnonzero(hi - lo > 1.0)
        if idx.size == 0:
            break
        mid = np.floor(0.5 * (lo[idx] + hi[idx]))
        ok = _meets_target(mid, a[idx], decay[idx], log_slack[idx])
        hi[idx] = np.where(ok, mid, hi[idx])
        lo[idx] = np.where(ok, lo[idx], mid)
    return hi.astype(np.int64)


def required_agents(load: ArrayLike, aht_s: ArrayLike, answer_within_s: ArrayLike, target: ArrayLike,
                    max_occupancy: ArrayLike = 1.0) -> Ints:
    """Smallest whole N with Erlang C service level >= ``target`` and ``A / N <= max_occupancy``.

    Exact search (see :func:`_search_source`): the stable Erlang B recursion per interval, then the
    candidates from ``max(floor(A) + 1, ceil(A / max_occupancy))`` upward until the target is met.
    Service level and occupancy are monotone in N, so the first hit is the minimum. 0 where the load is
    0. Returns int64 with the broadcast shape. Loads up to ``MAX_LOAD_ERL``; where the first candidate
    exceeds ``EXACT_MAX_AGENTS`` the same test runs on the closed-form Erlang B by bracketing and
    bisection (:func:`_required_agents_closed`), so 10^9 contacts take milliseconds, not minutes.

    The loop is compiled with numba rather than written as numpy array operations: with a few hundred
    intervals, a numpy version spends its time in the ~100 array-call overheads it needs, not in
    arithmetic (0.15-0.25 ms for a week of 3 channels, against ~0.02 ms compiled;
    ``benchmarks/bench_staffing.py``).
    """
    shape, args = _broadcast_flat(load, aht_s, answer_within_s, target, max_occupancy)
    out = np.empty(math.prod(shape), dtype=np.int64)
    flat = [x.reshape(-1) for x in args]
    code = _search()(*flat, _OCC_RTOL, float(EXACT_MAX_AGENTS), MAX_LOAD_ERL, out)
    if code:
        raise ValueError(_BAD_INPUT[code])
    if out.size and out.min() < 0:
        big = out < 0
        out[big] = _required_agents_closed(*(np.broadcast_to(x, out.shape)[big] for x in flat))
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


def _phi(tau: Floats, n: Floats, a: Floats, r: Floats, c: int) -> Floats:
    return -(n + c * r) * tau - (a / r) * np.expm1(-r * tau)


def _panel_edges(n: Floats, a: Floats, r: Floats, c: int) -> tuple[Floats, Floats]:
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


def _nodes(edges: Floats, upper: Floats | None = None) -> tuple[Floats, Floats]:
    """Gauss-Legendre nodes ``(E, P, G)`` and weights on the panels, clipped at ``upper``."""
    p, q = edges[:, :-1], edges[:, 1:]
    if upper is not None:
        p, q = np.minimum(p, upper), np.minimum(q, upper)
    half = (0.5 * (q - p))[..., None]
    return (0.5 * (p + q))[..., None] + half * _GL_X, half * _GL_W


def _log_sum(f: Floats, w: Floats, phi0: Floats) -> Floats:
    with np.errstate(divide="ignore"):
        return phi0[:, 0] + np.log(np.einsum("epg,epg->e", f, w))


def _log_b_ratio(n: Ints, a: Floats) -> Floats:
    """log((1 - B_N) / B_N) from the recursion 1/B_k = 1 + (k / A) / B_{k-1}, in log space, up to
    ``EXACT_MAX_AGENTS`` agents; in closed form (:func:`_log_inv_b`) above (A > 0)."""
    lr = np.zeros(a.shape)
    log_a = np.log(a)
    big = n > EXACT_MAX_AGENTS
    small = np.where(big, 0, n)
    nmax = int(small.max()) if n.size else 0
    for k in range(1, nmax + 1):
        step = np.logaddexp(0.0, np.log(k) - log_a + lr)
        np.copyto(lr, step, where=small >= k)
    if big.any():
        lr[big] = _log_inv_b(n[big].astype(float), a[big])
    with np.errstate(divide="ignore"):
        return lr + np.log(-np.expm1(-lr))


def erlang_a_metrics(agents: ArrayLike, load: ArrayLike, aht_s: ArrayLike, patience_s: ArrayLike,
                     answer_within_s: ArrayLike) -> dict[str, Floats]:
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


def required_agents_erlang_a(load: ArrayLike, aht_s: ArrayLike, patience_s: ArrayLike, answer_within_s: ArrayLike,
                             target: ArrayLike, max_occupancy: ArrayLike = 1.0) -> Ints:
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

    def feasible(nn: Ints, sel: slice | NDArray[np.bool_]) -> NDArray[np.bool_]:
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


def interpolate_agents(metric_fn: Callable[..., Floats | dict[str, Floats]], agents: ArrayLike, *args: ArrayLike,
                       **kwargs: ArrayLike) -> Floats | dict[str, Floats]:
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

    def mix(u: ArrayLike, v: ArrayLike) -> Floats:
        u, v = np.asarray(u, float), np.asarray(v, float)
        with np.errstate(invalid="ignore"):
            return np.where(frac == 0, u, (1.0 - frac) * u + frac * v)

    if isinstance(m_lo, dict):
        return {k: mix(m_lo[k], m_hi[k]) for k in m_lo}
    return mix(m_lo, m_hi)
