"""Pure numpy kernels of the forecaster: no pandas, no I/O, no calendar lookups.

Arrays are indexed ``[day, slot]`` (slot = interval of the day) or ``[day]``.
"""

from __future__ import annotations

from math import lgamma

import numpy as np


def ew_weights(ages_days: np.ndarray, halflife_days: float) -> np.ndarray:
    """Exponential weights 0.5 ** (age / halflife)."""
    return np.power(0.5, np.asarray(ages_days, dtype=float) / halflife_days)


def shares(matrix: np.ndarray) -> np.ndarray:
    """Row-normalise to intraday shares; rows summing to 0 stay 0."""
    tot = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, tot, out=np.zeros_like(matrix, dtype=float), where=tot > 0)


def centered_level(deseason: np.ndarray, usable: np.ndarray, half_window: int = 14,
                   min_days: int = 0, max_half_window: int = 91) -> np.ndarray:
    """Centered rolling mean of ``deseason`` over usable days (+-half_window), interpolated across gaps.

    Used to put past special days (holidays, promotions) on the scale of their surroundings when
    learning their effects; it only ever reads days inside the training history. With ``min_days``
    the window of a day doubles (up to ``max_half_window``) until it holds that many usable days, so
    the level inside a long gap (a month-long campaign) rests on more than the one or two days at
    its edges.
    """
    n = len(deseason)
    vals = np.where(usable, deseason, 0.0)
    cnt = usable.astype(float)
    csum = np.concatenate([[0.0], np.cumsum(vals)])
    ccnt = np.concatenate([[0.0], np.cumsum(cnt)])
    idx = np.arange(n)
    level = np.full(n, np.nan)
    todo = np.ones(n, dtype=bool)
    hw = half_window
    while True:
        lo = np.clip(idx - hw, 0, n)
        hi = np.clip(idx + hw + 1, 0, n)
        s = csum[hi] - csum[lo]
        c = ccnt[hi] - ccnt[lo]
        done = todo & (c >= max(min_days, 1))
        level[done] = s[done] / c[done]
        todo &= ~done
        if not todo.any() or not min_days or hw >= max_half_window:
            break
        hw = min(2 * hw, max_half_window)
    good = ~np.isnan(level)
    if good.any() and not good.all():
        level = np.interp(idx, idx[good], level[good])
    return level


SPREAD_OUTLIER_Z = 8.0
"""Robust z (distance from the median in units of 1.4826 x MAD) beyond which a campaign instance's
difference is left out of the spread between instances. Those are near normal: the bundled history's
reach 3.6, one cell of 1e4 (64x its hour) on a campaign day puts its instance at 25."""
DISPERSION_OUTLIER_Z = 50.0
"""The same for a day's own slot dispersion, which is heavy-tailed: the real bank-call days reach 19
(and are kept: they are the dispersion), the bundled history's 4.9; one cell 5x its expectation puts
its day at 90, one of 1e4 at 1,400."""


def inliers(values: np.ndarray, z: float, min_n: int = 5) -> np.ndarray:
    """True for the values within ``z`` robust standard deviations (1.4826 x MAD) of their median; all
    of them when there are fewer than ``min_n`` or their MAD is 0 (nothing to judge by)."""
    x = np.asarray(values, dtype=float)
    ok = np.isfinite(x)
    if ok.sum() < min_n:
        return ok
    med = np.median(x[ok])
    s = 1.4826 * np.median(np.abs(x[ok] - med))
    if not s > 0:
        return ok
    return ok & (np.abs(x - med) <= z * s)


def nb_dispersion(actual: np.ndarray, fitted: np.ndarray) -> float:
    """Method-of-moments negative-binomial dispersion phi in Var = mu + phi mu^2 (>= 0).

    Given as ``[rows, slots]`` (days), the rows whose own estimate is an outlier among the rows'
    (:func:`inliers` at ``DISPERSION_OUTLIER_Z``: a day holding a spike, whose fitted values its
    inflated total inflates too) are left out, so one bad cell cannot blow up the band."""
    a, f = np.asarray(actual, float), np.asarray(fitted, float)
    if a.ndim == 2 and len(a) >= 5:
        pos = np.where(f > 0, f, 0.0)
        num = np.where(f > 0, (a - f) ** 2 - f, 0.0).sum(axis=1)
        den = (pos ** 2).sum(axis=1)
        own = np.divide(num, den, out=np.full(len(a), np.nan), where=den > 0)
        keep_rows = inliers(own, DISPERSION_OUTLIER_Z) | ~np.isfinite(own)
        a, f = a[keep_rows], f[keep_rows]
    a, f = a.ravel(), f.ravel()
    keep = f > 0
    if keep.sum() < 10:
        return 0.0
    a, f = a[keep], f[keep]
    num = np.mean((a - f) ** 2 - f)
    den = np.mean(f ** 2)
    return float(max(num / den, 0.0)) if den > 0 else 0.0


def simulate_quantiles(mu: np.ndarray, day_sigma: np.ndarray, phi: float, quantiles: tuple[float, ...],
                       n_sims: int, rng: np.random.Generator) -> np.ndarray:
    """Quantiles of counts ~ Poisson(mu * G_day * G_slot) by Monte Carlo.

    ``mu[day, slot]`` expected counts; ``day_sigma[day]`` log-sd of a day-level multiplicative error
    (level and effect uncertainty, shared by the day's slots); ``phi`` the slot-level gamma dispersion.
    Returns ``[len(quantiles), day, slot]``.
    """
    n_days, n_slots = mu.shape
    z = rng.standard_normal((n_sims, n_days, 1))
    g_day = np.exp(z * day_sigma[None, :, None] - 0.5 * day_sigma[None, :, None] ** 2)
    if phi > 0:
        g_slot = rng.gamma(1.0 / phi, phi, size=(n_sims, n_days, n_slots))
    else:
        g_slot = 1.0
    lam = mu[None] * g_day * g_slot
    draws = rng.poisson(lam)
    return np.quantile(draws, quantiles, axis=0)


def wape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Weighted absolute percentage error: sum |a - f| / sum a."""
    a, f = np.asarray(actual, float), np.asarray(forecast, float)
    den = np.abs(a).sum()
    return float(np.abs(a - f).sum() / den) if den > 0 else float("nan")


# -- accuracy and noise floor ----------------------------------------------------------------------
def poisson_mad(lam: np.ndarray) -> np.ndarray:
    """Exact mean absolute deviation E|X - lam| of X ~ Poisson(lam), elementwise.

    ``E|X - lam| = 2 exp(-lam) lam^(n+1) / n!`` with ``n = floor(lam)`` (evaluated in logs, so it
    is stable for any lam); it tends to ``sqrt(2 lam / pi)`` for large lam. 0 where lam <= 0.
    """
    lam = np.asarray(lam, dtype=float)
    out = np.zeros_like(lam)
    pos = lam > 0
    if pos.any():
        x = lam[pos]
        n = np.floor(x)
        lg = np.vectorize(lgamma, otypes=[float])(n + 1.0)
        out[pos] = 2.0 * np.exp(-x + (n + 1.0) * np.log(x) - lg)
    return out


def poisson_floor_wape(lam: np.ndarray) -> float:
    """Expected WAPE of a forecast that knows each interval's true mean ``lam`` exactly when the
    counts are Poisson: ``sum E|X - lam| / sum lam``. The floor no forecast can beat on average."""
    lam = np.asarray(lam, dtype=float)
    den = lam.sum()
    return float(poisson_mad(lam).sum() / den) if den > 0 else float("nan")


def coverage(actual: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """Share of ``actual`` inside the closed band [lo, hi]."""
    a = np.asarray(actual, float)
    if a.size == 0:
        return float("nan")
    return float(np.mean((a >= np.asarray(lo, float)) & (a <= np.asarray(hi, float))))


# -- daily-total model ----------------------------------------------------------------------------
def month_turn_keys(month_id: np.ndarray, working: np.ndarray, n_first: int = 3, n_last: int = 2) -> np.ndarray:
    """Position of each working day at the turn of its month: ``k`` for the k-th working day of the
    month (k <= n_first), ``-k`` for the k-th last (k <= n_last), 0 otherwise (and on rest days).

    The arrays must cover whole months (positions are counted inside the given days)."""
    month_id = np.asarray(month_id)
    working = np.asarray(working, dtype=bool)
    keys = np.zeros(len(month_id), dtype=int)
    for m in np.unique(month_id):
        idx = np.flatnonzero((month_id == m) & working)
        head, tail = idx[:n_first], idx[::-1][:n_last]
        keys[tail] = -(np.arange(len(tail)) + 1)
        keys[head] = np.arange(len(head)) + 1
    return keys


def huber_weights(log_resid: np.ndarray, c: float = 2.0) -> np.ndarray:
    """Huber weights ``min(1, c s / |r|)`` with ``s`` the MAD scale of the residuals."""
    r = np.asarray(log_resid, dtype=float)
    if r.size < 5:
        return np.ones_like(r)
    s = 1.4826 * np.median(np.abs(r - np.median(r)))
    if s <= 0:
        return np.ones_like(r)
    a = np.abs(r)
    return np.where(a > c * s, c * s / np.maximum(a, 1e-12), 1.0)


def dow_factors(total: np.ndarray, dow: np.ndarray, use: np.ndarray, week_id: np.ndarray,
                ref_dows=(0, 1, 2, 3, 4), min_ref_days: int = 3) -> np.ndarray:
    """Day-of-week factors [7]: median ratio of a day's total to its week's mean over ``ref_dows``
    days (weeks with at least ``min_ref_days`` of them); the ``ref_dows`` average 1. NaN where a
    weekday has no usable day."""
    total, dow, use, week_id = (np.asarray(x) for x in (total, dow, use, week_id))
    ref = use & np.isin(dow, ref_dows)
    n_w = int(week_id.max()) + 1 if len(week_id) else 0
    wk_sum = np.bincount(week_id, weights=np.where(ref, total, 0.0), minlength=n_w)
    wk_cnt = np.bincount(week_id, weights=ref.astype(float), minlength=n_w)
    wk_mean = np.divide(wk_sum, wk_cnt, out=np.full(n_w, np.nan), where=wk_cnt >= min_ref_days)[week_id]
    ok = use & np.isfinite(wk_mean) & (wk_mean > 0)
    out = np.full(7, np.nan)
    for k in range(7):
        sel = ok & (dow == k)
        if sel.any():
            out[k] = float(np.median(total[sel] / wk_mean[sel]))
    refs = out[list(ref_dows)]
    if np.isfinite(refs).any() and np.nanmean(refs) > 0:
        out = out / np.nanmean(refs)
    return out


def ew_level(values: np.ndarray, ages_days: np.ndarray, halflife_days: float,
             weights: np.ndarray | None = None) -> tuple[float, float]:
    """(exponentially weighted mean of ``values``, its weighted mean age [days])."""
    w = ew_weights(ages_days, halflife_days)
    if weights is not None:
        w = w * weights
    if len(w) == 0 or w.sum() <= 0:
        return float("nan"), 0.0
    return float(np.sum(values * w) / w.sum()), float(np.sum(ages_days * w) / w.sum())


def shrunk_log_ratios(log_ratio: np.ndarray, var: np.ndarray) -> np.ndarray:
    """Shrink noisy log ratios toward 0, slot by slot (positive-part James-Stein):
    ``r max(0, 1 - var / r^2)``. A surge far above its noise survives almost whole; a ratio
    within its noise is damped to about 0."""
    r = np.asarray(log_ratio, dtype=float)
    v = np.asarray(var, dtype=float)
    ok = np.isfinite(r) & np.isfinite(v) & (r * r > 0)
    keep = np.zeros_like(r)
    np.divide(r * r - v, r * r, out=keep, where=ok & (r * r > v))  # share of the effect kept, in [0, 1)
    return np.where(ok, r * keep, 0.0)


def eb_shrink(log_means: np.ndarray, var: np.ndarray) -> np.ndarray:
    """Empirical-Bayes shrinkage of several noisy log effects toward 0 with one prior variance:
    ``r tau2 / (tau2 + var)``, ``tau2`` = the mean of ``r^2 - var`` (at least 0). Effects that do not
    stand out from their noise as a group are shrunk to about nothing."""
    r = np.asarray(log_means, dtype=float)
    v = np.asarray(var, dtype=float)
    if r.size == 0:
        return r
    tau2 = max(float(np.mean(r * r - v)), 0.0)
    return r * tau2 / (tau2 + v) if tau2 > 0 else np.zeros_like(r)


def blend_profiles(own: np.ndarray, own_days: np.ndarray, pooled: np.ndarray, within_var: np.ndarray) -> np.ndarray:
    """Shrink class profiles [classes, slots] toward a pooled profile [slots].

    ``own_days[c]`` days behind class c's mean, ``within_var[slots]`` the day-to-day variance of the
    shares; the weight of the own profile is ``tau2 / (tau2 + within_var / n)`` with ``tau2`` the
    between-class variance beyond noise (one number over the slots)."""
    own = np.asarray(own, dtype=float)
    n = np.maximum(np.asarray(own_days, dtype=float), 1.0)
    noise = within_var[None, :] / n[:, None]
    dev = own - pooled[None, :]
    tau2 = max(float(np.mean(dev ** 2 - noise)), 0.0)
    w = tau2 / (tau2 + noise) if tau2 > 0 else np.zeros_like(noise)
    out = pooled[None, :] + w * dev
    tot = out.sum(axis=1, keepdims=True)
    return np.divide(out, tot, out=np.zeros_like(out), where=tot > 0)


def hour_ratios(Y: np.ndarray, expected: np.ndarray, weights: np.ndarray, phi: float) -> np.ndarray:
    """Hour ratios [slots] of counts ``Y[days, slots]`` to their ``expected`` values on a few special
    days, pooled with ``weights`` and shrunk toward 1 by their noise (Poisson plus the slot dispersion
    ``phi``): a surge far above its noise survives, the noise of one past day does not."""
    w = np.asarray(weights, dtype=float)
    num = (Y * w[:, None]).sum(axis=0)
    den = (expected * w[:, None]).sum(axis=0)
    n_eff = w.sum() ** 2 / np.square(w).sum()
    log_r = np.log((num + 0.5) / (den + 0.5))
    var = 1.0 / (num / w.sum() * n_eff + 1.0) + phi / n_eff
    return np.exp(shrunk_log_ratios(log_r, var))


def cluster_profiles(means: np.ndarray, var: np.ndarray, counts: np.ndarray, level: np.ndarray,
                     level_var: np.ndarray, z: float = 5.0) -> list[list[int]]:
    """Group the rows ``k`` (weekdays) whose level and intraday shape the data cannot tell apart.

    Row ``k`` has ``counts[k]`` days with mean shares ``means[k, slots]`` and day-to-day share variance
    ``var[k, slots]``, and a mean log level ``level[k]`` with day-to-day variance ``level_var[k]``.
    Agglomerative: merge the closest pair of groups while their statistic (the mean of the squared
    differences of the slots' shares and of the log level, each over its variance; about 1 for equal
    groups) stays below ``1 + z sqrt(2 / terms)``. A slot open in one group and never in the other (a
    difference without variance) keeps them apart. Returns the groups as sorted lists of rows."""
    means, var = np.asarray(means, dtype=float), np.asarray(var, dtype=float)
    counts = np.maximum(np.asarray(counts, dtype=float), 1.0)
    level, level_var = np.asarray(level, dtype=float), np.asarray(level_var, dtype=float)
    groups = [[i] for i in range(len(means))]

    def pooled(g):
        w = counts[g]
        mean = (means[g] * w[:, None]).sum(axis=0) / w.sum()
        v = (var[g] * w[:, None]).sum(axis=0) / w.sum()
        return mean, v, float((level[g] * w).sum() / w.sum()), float((level_var[g] * w).sum() / w.sum()), w.sum()

    def stat(a, b):
        (ma, va, la, lva, na), (mb, vb, lb, lvb, nb) = pooled(a), pooled(b)
        d2 = np.append((ma - mb) ** 2, (la - lb) ** 2)
        v = np.append(va / na + vb / nb, lva / na + lvb / nb)
        use = v > 1e-15
        if np.any(~use & (d2 > 1e-12)):
            return np.inf, 1
        m = int(use.sum())
        return (float(np.mean(d2[use] / v[use])) if m else 0.0), max(m, 1)

    while len(groups) > 1:
        best = None
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                d, m = stat(groups[i], groups[j])
                if best is None or d < best[0]:
                    best = (d, m, i, j)
        d, m, i, j = best
        if d > 1.0 + z * np.sqrt(2.0 / m):
            break
        groups[i] = sorted(groups[i] + groups[j])
        del groups[j]
    return sorted(groups)
