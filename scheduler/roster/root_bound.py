"""A second lower bound for a model whose CP-SAT bound stalls: HiGHS's cutting planes at the root.

On a month, CP-SAT's bound is the linear relaxation's and stays there: on 2025-10 it stood at 401,266
CNY after 8 deterministic units and still after 110, and HiGHS's simplex on the same relaxation gives
401,265.5. The roster it bounds costs about 413k, so the plan could never show a gap under 2.9%.
HiGHS, given the same constraints as a mixed-integer program, separates cuts at its root node
(mixed-integer rounding, lifted covers, ...) that CP-SAT's LP does not keep. Measured on the 2025-10
model (one thread, rounds of cuts counted as below): 402.5k after 20 rounds, 404.2k after 50, then
405.5-405.8k after a jump that came at round 32 to 51 depending on the cutoff; with some cutoffs
(421.4k, 470k) no such jump came within 50-80 rounds and the bound stayed at 404.3-404.8k.

``relaxation(proto)`` writes a CP-SAT model as a HiGHS model that every solution of the CP-SAT model
satisfies: linear constraints (an enforced one with a big-M taken from its variables' domains),
clauses, at-most-one and exactly-one (unenforced), and ``lin_max`` as ``target >= each expression``;
a constraint of any other kind is left out and a domain with holes becomes its hull. The HiGHS
model is thus a relaxation of the CP-SAT model (never a restriction), and any bound HiGHS proves for
it is a bound of the CP-SAT model: the plan may report it.

``RootBound`` runs HiGHS on one thread (``threads=1``: its search is then the same from run to run),
with its heuristics off (a bound is wanted), in a thread of its own next to CP-SAT, and stops it once
its bound rose less than ``STALL_SHARE`` over the last ``STALL_ROUNDS`` rounds of cuts, after
``MAX_ROUNDS`` rounds, or on the clock (a safety net: only then may the bound differ between runs).
The rounds are counted by HiGHS's MIP interrupt callback, which its root node calls once a round.
A caller that knows what bound it needs (``result(wanted)``: the one that proves its roster within
the gap) stops HiGHS at the first round reaching it, and that round's bound is the result whenever it
was asked: before the round (HiGHS stops there) or after (the round is on record), so the bound does
not depend on the moment.

The work that waits for the bound runs ``behind`` it: in a thread of its own at a lower CPU priority
(Linux: ``BEHIND_NICE`` more than the caller's nice, for that thread and the CP-SAT threads it
starts), so that HiGHS, on the caller's priority, is not left behind by CP-SAT's two workers on a
two-core machine. On 2025-10 HiGHS otherwise took 593 s for the 52 rounds the roster needed while
the windows were done at 547 s, and the month waited for it (599 s in all); behind it, the same roster
and bound came in 524 s. Priorities decide only who runs first: the roster, the rounds and the bound
stay the same.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from core import interrupt

T = TypeVar("T")
STALL_ROUNDS = 10       # rounds of cuts over which the bound must rise ...
STALL_SHARE = 2e-4      # ... by at least this share of itself, or HiGHS stops (2025-10: after round 71)
MAX_ROUNDS = 80         # rounds of cuts at most
_NO_LIMIT = 2 ** 62     # CP-SAT's bounds beyond this are infinite
BEHIND_NICE = 10        # the nice the work ``behind`` HiGHS adds to its own: CFS weights 110 against 1024


@dataclass
class Rows:
    """A sparse row-wise constraint matrix with row bounds, built row by row."""

    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    start: list[int] = field(default_factory=lambda: [0])
    index: list[int] = field(default_factory=list)
    value: list[float] = field(default_factory=list)

    def add(self, terms: dict[int, float], lower: float, upper: float) -> None:
        terms = {v: c for v, c in terms.items() if c}
        self.index.extend(terms)
        self.value.extend(terms.values())
        self.start.append(len(self.index))
        self.lower.append(lower)
        self.upper.append(upper)


def _literal(lit: int) -> tuple[int, float, float]:
    """A CP-SAT literal as ``(variable, coefficient, constant)``: x, or not x = 1 - x."""
    return (lit, 1.0, 0.0) if lit >= 0 else (-lit - 1, -1.0, 1.0)


def _sum_of_literals(lits, sign: float = 1.0) -> tuple[dict[int, float], float]:
    """sign x (sum of ``lits``) as variable terms and a constant."""
    terms: dict[int, float] = {}
    const = 0.0
    for lit in lits:
        var, coef, k = _literal(lit)
        terms[var] = terms.get(var, 0.0) + sign * coef
        const += sign * k
    return terms, const


def _merge(*parts: dict[int, float]) -> dict[int, float]:
    out: dict[int, float] = {}
    for part in parts:
        for v, c in part.items():
            out[v] = out.get(v, 0.0) + c
    return out


def relaxation(proto):
    """The HiGHS model (``highspy.HighsLp``) of CP-SAT model ``proto``'s constraints and objective, as the
    module docstring describes: each of its rows holds for every solution of ``proto``."""
    import highspy

    inf = highspy.kHighsInf
    lo = np.array([v.domain[0] for v in proto.variables], dtype=float)
    hi = np.array([v.domain[len(v.domain) - 1] for v in proto.variables], dtype=float)
    rows = Rows()

    def span(terms: dict[int, float]) -> tuple[float, float]:
        """The least and greatest value of a linear expression over the variables' domains."""
        idx = np.fromiter(terms.keys(), dtype=int, count=len(terms))
        coef = np.fromiter(terms.values(), dtype=float, count=len(terms))
        a, b = coef * lo[idx], coef * hi[idx]
        return float(np.minimum(a, b).sum()), float(np.maximum(a, b).sum())

    for ct in proto.constraints:
        enforced = list(ct.enforcement_literal)
        # off = sum over the enforcement literals of (1 - literal): 0 when the constraint is enforced
        off_terms, off_const = _sum_of_literals(enforced, -1.0)
        off_const += len(enforced)
        if ct.has_linear():
            terms = _merge({v: float(c) for v, c in zip(ct.linear.vars, ct.linear.coeffs)})
            dom = ct.linear.domain
            low, up = float(dom[0]), float(dom[len(dom) - 1])
            if not enforced:
                rows.add(terms, low if low > -_NO_LIMIT else -inf, up if up < _NO_LIMIT else inf)
                continue
            least, most = span(terms)
            if -_NO_LIMIT < low and least < low:  # expr >= low - (low - least) x off
                m = low - least
                rows.add(_merge(terms, {v: m * c for v, c in off_terms.items()}), low - m * off_const, inf)
            if up < _NO_LIMIT and most > up:      # expr <= up + (most - up) x off
                m = most - up
                rows.add(_merge(terms, {v: -m * c for v, c in off_terms.items()}), -inf, up + m * off_const)
        elif ct.has_bool_and():                    # each literal >= every enforcement literal
            for lit in ct.bool_and.literals:
                var, coef, k = _literal(lit)
                for e in enforced:
                    ev, ec, ek = _literal(e)
                    rows.add(_merge({var: coef}, {ev: -ec}), ek - k, inf)
        elif ct.has_bool_or():                     # sum of literals + off >= 1
            terms, const = _sum_of_literals(ct.bool_or.literals)
            rows.add(_merge(terms, off_terms), 1.0 - const - off_const, inf)
        elif (ct.has_at_most_one() or ct.has_exactly_one()) and not enforced:
            exact = ct.has_exactly_one()
            terms, const = _sum_of_literals((ct.exactly_one if exact else ct.at_most_one).literals)
            rows.add(terms, 1.0 - const if exact else -inf, 1.0 - const)
        elif ct.has_lin_max() and not enforced:   # target >= each expression
            target = ct.lin_max.target
            t_terms = {v: float(c) for v, c in zip(target.vars, target.coeffs)}
            for expr in ct.lin_max.exprs:
                e_terms = {v: -float(c) for v, c in zip(expr.vars, expr.coeffs)}
                rows.add(_merge(t_terms, e_terms), float(expr.offset - target.offset), inf)
        # any other constraint is left out: the model stays a relaxation

    cost = np.zeros(len(lo))
    offset = float(proto.objective.offset)
    for lit, c in zip(proto.objective.vars, proto.objective.coeffs):
        var, coef, k = _literal(lit)
        cost[var] += c * coef
        offset += c * k
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(lo), len(rows.lower)
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, lo, hi
    lp.offset_ = offset
    lp.row_lower_, lp.row_upper_ = np.array(rows.lower), np.array(rows.upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.array(rows.start, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(rows.index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(rows.value, dtype=float)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * len(lo)
    return lp


class RootBound:
    """HiGHS's root bound of a CP-SAT model (minimised), computed in a thread of its own: ``start`` it,
    do other work, then read ``result`` (it waits for HiGHS). ``wall_limit_s``: the clock's safety net."""

    def __init__(self, proto, wall_limit_s: float):
        self.proto, self.wall_limit_s = proto, wall_limit_s
        self.rounds: list[float] = []
        self.wall_s = 0.0
        self._thread: threading.Thread | None = None
        self._bound: float | None = None
        self._stopped_by = "not run"
        self._highs = None
        self._factor = proto.objective.scaling_factor or 1.0
        self._t0 = 0.0
        self._wanted: float | None = None  # the bound a caller needs (unscaled): HiGHS stops on reaching it
        self._stop = threading.Event()      # Ctrl-C: HiGHS stops at its next round, nobody waits for it

    def start(self) -> RootBound:
        with _quiet_stdout():  # HiGHS prints its banner as it is made, before any option is read
            import highspy

            self._highs = highspy.Highs()
        self._highs.passModel(relaxation(self.proto))  # read here: the caller may change its model later
        self._t0 = time.perf_counter()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return interrupt.watch(self)

    def stop_search(self) -> None:
        """Stop HiGHS at its next round of cuts; ``result`` no longer waits for it (``interrupt``)."""
        if self._thread is not None and self._thread.is_alive() and not self._stop.is_set():
            self._stopped_by = interrupt.STOPPED
            self._stop.set()

    def result(self, wanted: float | None = None) -> float | None:
        """The bound HiGHS proved, as CP-SAT reports objectives (the sum rounded up, as its terms are
        integral, then scaled), or None when it proved none. ``wanted``: the bound the caller needs;
        HiGHS stops at the first round of cuts that reaches it, and that round's bound is the result
        from then on, whenever it was asked (the rounds' bounds are the same every run)."""
        if wanted is not None:
            self._wanted = wanted / self._factor
        while self._thread is not None and self._thread.is_alive() and not self._stop.is_set():
            self._thread.join(interrupt.POLL_S)
        reached = self._reached()
        if reached is not None:
            return self._scaled(self.rounds[reached])
        if self._thread is not None and self._thread.is_alive():  # stopped: the best round so far
            return self._scaled(max(self.rounds)) if self.rounds else None
        return self._bound

    def figures(self) -> dict:
        """How HiGHS got to ``result``: its rounds of cuts, its time and what stopped it."""
        reached = self._reached()
        wall_s = self.wall_s or time.perf_counter() - self._t0  # still running: stopped by Ctrl-C
        return {"rounds": len(self.rounds) if reached is None else reached + 1, "wall_s": round(wall_s, 1),
                "stopped_by": self._stopped_by if reached is None else "reached the bound the roster needed"}

    def _reached(self) -> int | None:
        """The first round whose bound reaches the one wanted, if any."""
        if self._wanted is None:
            return None
        return next((i for i, b in enumerate(self.rounds) if b >= self._wanted), None)

    def _scaled(self, bound: float) -> float:
        return self._factor * math.ceil(bound - 1e-6)  # the objective is integral before its scaling

    def _run(self) -> None:
        t0 = time.perf_counter()
        h = self._highs
        try:
            h.setOptionValue("output_flag", False)
            h.setOptionValue("threads", 1)
            h.setOptionValue("mip_heuristic_effort", 0.0)  # a bound is wanted, not a solution
            h.setOptionValue("time_limit", float(self.wall_limit_s))
            h.cbMipInterrupt += self._on_round
            h.run()
            bound = h.getInfo().mip_dual_bound
            status = h.modelStatusToString(h.getModelStatus())
            if self._stopped_by == "not run":
                self._stopped_by = status
            if math.isfinite(bound) and self._factor > 0:
                self._bound = self._scaled(bound)
        except Exception as exc:  # noqa: BLE001 - a second bound is a help, never a need
            self._stopped_by = f"HiGHS failed: {exc}"
        finally:
            self.wall_s = time.perf_counter() - t0
            self._highs = None

    def _on_round(self, event) -> None:
        bound = event.data_out.mip_dual_bound
        if not math.isfinite(bound):
            return
        self.rounds.append(bound)
        wanted = self._wanted
        if wanted is not None and bound >= wanted:
            event.interrupt()
        elif self._stop.is_set():
            event.interrupt()
        elif len(self.rounds) >= MAX_ROUNDS:
            self._stopped_by = f"{MAX_ROUNDS} rounds of cuts"
            event.interrupt()
        elif len(self.rounds) > STALL_ROUNDS and \
                bound - self.rounds[-STALL_ROUNDS - 1] < STALL_SHARE * abs(bound):
            self._stopped_by = f"bound rose less than {STALL_SHARE:.2%} in {STALL_ROUNDS} rounds"
            event.interrupt()


def behind(work: Callable[[], T]) -> T:
    """``work()``'s result (or its exception), run in a thread of its own at ``BEHIND_NICE`` more nice than
    the caller (and so every thread it starts: Linux gives a new thread its creator's nice); where a
    thread's priority cannot be set (not Linux), run here as it is. Ctrl-C stops it as any command's
    work (``core.interrupt``)."""
    if not sys.platform.startswith("linux"):
        return work()

    def niced() -> T:
        with contextlib.suppress(OSError):  # a priority is a help: the work runs without it
            tid = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, tid, min(os.getpriority(os.PRIO_PROCESS, tid) + BEHIND_NICE, 19))
        return work()

    return interrupt.call(niced, "behind-root-bound")


@contextlib.contextmanager
def _quiet_stdout():
    """Standard output (the file descriptor: HiGHS writes from C++) sent to /dev/null for the block."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
