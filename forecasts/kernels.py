"""Pure numpy kernels of the forecaster: no pandas, no I/O, no calendar lookups.

Arrays are indexed ``[day, slot]`` (slot = interval of the day) or ``[day]``.
"""

from __future__ import annotations

import numpy as np


def ew_weights(ages_days: np.ndarray, halflife_days: float) -> np.ndarray:
    """Exponential weights 0.5 ** (age / halflife)."""
    return np.power(0.5, np.asarray(ages_days, dtype=float) / halflife_days)


def weighted_mean(values: np.ndarray, weights: np.ndarray, axis: int = 0) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    total = w.sum()
    if total <= 0:
        return np.full(np.shape(values)[1:] if np.ndim(values) > 1 else (), np.nan)
    shape = [1] * np.ndim(values)
    shape[axis] = -1
    return np.nansum(values * w.reshape(shape), axis=axis) / total


def shares(matrix: np.ndarray) -> np.ndarray:
    """Row-normalise to intraday shares; rows summing to 0 stay 0."""
    tot = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, tot, out=np.zeros_like(matrix, dtype=float), where=tot > 0)


def centered_level(deseason: np.ndarray, usable: np.ndarray, half_window: int = 14) -> np.ndarray:
    """Centered rolling mean of ``deseason`` over usable days (+-half_window), interpolated across gaps.

    Used to put past special days (holidays, promotions) on the scale of their surroundings when
    learning their effects; it only ever reads days inside the training history.
    """
    n = len(deseason)
    vals = np.where(usable, deseason, 0.0)
    cnt = usable.astype(float)
    csum = np.concatenate([[0.0], np.cumsum(vals)])
    ccnt = np.concatenate([[0.0], np.cumsum(cnt)])
    idx = np.arange(n)
    lo = np.clip(idx - half_window, 0, n)
    hi = np.clip(idx + half_window + 1, 0, n)
    s = csum[hi] - csum[lo]
    c = ccnt[hi] - ccnt[lo]
    level = np.divide(s, c, out=np.full(n, np.nan), where=c > 0)
    good = ~np.isnan(level)
    if good.any() and not good.all():
        level = np.interp(idx, idx[good], level[good])
    return level


def nb_dispersion(actual: np.ndarray, fitted: np.ndarray) -> float:
    """Method-of-moments negative-binomial dispersion phi in Var = mu + phi mu^2 (>= 0)."""
    a, f = np.asarray(actual, float).ravel(), np.asarray(fitted, float).ravel()
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
