"""Service levels of an M/M/N queue with two non-preemptive priority classes (VIP first) and one
exponential handle time for both: pure, vectorized numpy, no I/O.

Why these forms hold (``mu = 1 / aht_s``, ``lambda_1`` the VIP arrival rate, ``A`` the total load):

- The server count is the same whatever the order of service (every class has the same handle-time
  law and the discipline is work-conserving), so the total queue is the M/M/N queue: an arrival of
  either class waits with probability ``C = ErlangC(N, A)`` (PASTA), and while it waits all N agents
  are busy, so contacts leave the queue at rate ``N mu``.
- VIP: during an all-busy period the number of VIPs waiting moves up at ``lambda_1`` and down at
  ``N mu`` and leaves and re-enters that period only at 0, so the level-crossing balance gives it a
  geometric law with ratio ``sigma_1 = lambda_1 / (N mu)``. A VIP that waits is answered after the
  ``Q_1 + 1`` departures from the queue ahead of it (later VIPs queue behind it, regulars never go
  first), each ``Exp(N mu)``: so ``W_1 | wait ~ Exp(N mu - lambda_1)`` and

      ``P(W_1 > t) = C exp(-(N - A_1) t / aht_s)``,  ``ASA_1 = C aht_s / (N - A_1)``.

  This needs only ``N > A_1``: with ``N <= A`` the agents are always busy (``C = 1``) yet VIPs are
  still answered.
- Regular: a regular that waits has the whole queue ahead of it (``Q``, geometric with ratio
  ``rho = A / N`` given all busy, as in M/M/N) and every VIP arriving while it waits goes ahead. Its
  wait is the first passage to 0 of a random walk up at ``lambda_1`` and down at ``N mu`` started
  from ``K = Q + 1``: ``P(W_2 > t) = C P(T_K > t)``, computed by uniformization (exact up to a
  truncation of 1e-12), ``ASA_2 = C aht_s N / ((N - A)(N - A_1))`` (Cobham's formula).

With ``A_1 = 0`` the regular figures are Erlang C; with ``A_1 = A`` the VIP ones are.
"""

from __future__ import annotations

import math

import numpy as np

from scheduler.staffing.erlang import erlang_c, whole_agents

__all__ = ["priority_service_levels", "first_passage_survival"]

_TAIL = 1e-13


def first_passage_survival(rho: float, up_rate: float, down_rate: float, t: float) -> float:
    """``P(T_K > t)``: a walk up at ``up_rate``, down at ``down_rate`` [1/s], from ``K`` with
    ``P(K = k) = (1 - rho) rho^(k - 1)`` (k >= 1), not yet at 0 after ``t`` [s]. Needs ``0 <= rho < 1``.

    Uniformization at ``L = up_rate + down_rate``: ``sum_n Poisson(n; L t) P(not absorbed in n steps)``.
    """
    if not 0 <= rho < 1 or not down_rate > 0 or up_rate < 0 or t < 0:
        raise ValueError("need 0 <= rho < 1, down_rate > 0, up_rate >= 0, t >= 0")
    if t == 0:
        return 1.0
    lam = up_rate + down_rate
    lt = lam * t
    steps = int(math.ceil(lt + 12.0 * math.sqrt(lt) + 30))
    levels = (int(math.ceil(math.log(_TAIL) / math.log(rho))) if rho > 0 else 1) + steps + 2
    v = np.zeros(levels + 1)  # v[k] = mass at level k, not yet absorbed (level 0 unused)
    v[1:] = (1.0 - rho) * rho ** np.arange(levels)
    a, b = up_rate / lam, down_rate / lam
    # Poisson weights in log space, so that large L t does not underflow the first terms
    log_w = -lt
    survival = 0.0
    alive = float(v.sum())
    for n in range(steps + 1):
        survival += math.exp(log_w) * alive
        nxt = np.zeros_like(v)
        nxt[2:] += a * v[1:-1]
        nxt[1:-1] += b * v[2:]
        alive = float(nxt.sum())
        v = nxt
        log_w += math.log(lt) - math.log(n + 1)
    return min(max(survival, 0.0), 1.0)


def priority_service_levels(agents, load_total, load_vip, aht_s, answer_within_s) -> dict[str, np.ndarray]:
    """VIP, regular and overall service levels and ASAs of M/M/N with non-preemptive priority.

    ``agents`` N (whole), ``load_total`` A and ``load_vip`` A_1 [Erlang] (A_1 <= A), one ``aht_s`` [s]
    for both classes, ``answer_within_s`` t [s]; arrays broadcast. Returns a dict of arrays:
    ``p_wait`` (C, both classes), ``vip``, ``regular``, ``all`` (service levels), ``asa_vip_s``,
    ``asa_regular_s``. Unstable cases give 0 service level and inf ASA for the class concerned
    (regular when N <= A, VIP when N <= A_1); no load gives 1 and 0. See the module docstring.
    """
    a, a1, aht, t = (np.asarray(x, dtype=float) for x in (load_total, load_vip, aht_s, answer_within_s))
    n, a, a1, aht, t = np.broadcast_arrays(whole_agents(agents), a, a1, aht, t)
    if np.any(~np.isfinite(a)) or np.any(a < 0) or np.any(a1 < 0) or np.any(a1 > a * (1 + 1e-12)):
        raise ValueError("need 0 <= load_vip <= load_total, both finite [Erlang]")
    if np.any(~(aht > 0)) or np.any(~(t >= 0)):
        raise ValueError("aht_s must be > 0 and answer_within_s >= 0")
    nf = n.astype(float)
    c = erlang_c(n, a)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        vip = np.where(nf > a1, 1.0 - c * np.exp(-(nf - a1) * t / aht), 0.0)
        asa_vip = np.where(nf > a1, c * aht / (nf - a1), np.inf)
        asa_reg = np.where(nf > a, c * aht * nf / ((nf - a) * (nf - a1)), np.inf)
    regular = np.zeros(n.shape)
    flat = [x.ravel() for x in (nf, a, a1, aht, t, c)]
    out = regular.reshape(-1)
    for i, (ni, ai, a1i, ahti, ti, ci) in enumerate(zip(*(x.tolist() for x in flat))):
        if ai == 0:
            out[i] = 1.0
        elif ni > ai:
            out[i] = 1.0 - ci * first_passage_survival(ai / ni, a1i / ahti, ni / ahti, ti)
    no_load = a == 0
    vip = np.where(no_load, 1.0, vip)
    asa_vip = np.where(no_load, 0.0, asa_vip)
    asa_reg = np.where(no_load, 0.0, asa_reg)
    share = np.divide(a1, a, out=np.zeros(a.shape), where=a > 0)
    overall = share * vip + (1.0 - share) * regular
    clip = lambda x: np.clip(x, 0.0, 1.0)  # noqa: E731
    return {"p_wait": c, "vip": clip(vip), "regular": clip(regular), "all": clip(overall),
            "asa_vip_s": asa_vip, "asa_regular_s": asa_reg}
