"""The forecaster's effects, one component each, with its own ``fit`` and ``apply``.

A channel's forecast is built by the components in order (:data:`COMPONENTS`):

    contacts[day, slot] = level x factor x shape (normalised) x hour multiplier

- :class:`WeeklyPattern` learns which weekdays share an intraday shape (clustered from the data, not a
  Mon-Fri / Sat-Sun rule), each weekday's level factor and open hours; sets ``factor`` and ``shape``;
- :class:`MonthTurn` the first and last working days of a month;
- :class:`Level` the deseasonalised level with growth;
- :class:`MakeupWorkday` a makeup workday (调休) forecast as the working-weekday class it replaces;
- :class:`Holiday` festivals by position in their block;
- :class:`CampaignPhase` campaign days by phase, aligned on each instance's own dates, and the hours
  after each presale opening;
- :class:`Aht` handle time per weekday and slot, scaled on special days.

``fit(h, base)`` learns from one channel's history ``h`` (:class:`ChannelHistory`) and may update
``base`` (:class:`Baseline`), the in-sample expectation of every past day that later components
measure their effects against. ``apply(plan)`` writes its effect into a :class:`Plan` of days to
forecast. Adding an effect is one new class in :data:`COMPONENTS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecasts import kernels as K
from forecasts.days import PRESALE_HOURS, Days

WEEKEND_DOWS = (5, 6)      # Saturday, Sunday: the rest days of the calendars we know (holiday shape base)
WORKING_DOWS = (0, 1, 2, 3, 4)


@dataclass(frozen=True)
class Priors:
    """The scenario's word on one channel: campaign multipliers by event (``fallback`` where the
    history has no past instance, ``forced`` always) and the handle time where it has none."""

    fallback: dict = field(default_factory=dict)    # event -> main-day multiplier
    forced: dict = field(default_factory=dict)
    default_aht_s: float = 300.0


@dataclass
class ChannelHistory:
    """One channel's history as day x slot matrices, with the calendar of its days."""

    channel: str
    Y: np.ndarray            # [n, slots] contacts
    A: np.ndarray            # [n, slots] AHT [s], NaN where unknown
    observed: np.ndarray     # [n] the day has rows
    days: Days
    regular: np.ndarray      # [n] the regular days the level, weekly pattern and month turn are fitted on
    scored: np.ndarray       # [n] the regular days a regular-day forecast is judged on
    open_dow: np.ndarray     # [7] weekday seen open recently
    cfg: object              # forecasts.models.ForecastConfig
    priors: Priors = None    # what the scenario says where the history is silent

    @property
    def total(self) -> np.ndarray:
        return self.Y.sum(axis=1)

    @property
    def n(self) -> int:
        return len(self.Y)


@dataclass
class Baseline:
    """In-sample expectation of every history day, built up by the components as they are fitted."""

    weekly: np.ndarray       # [n] weekday factor (0 for a closed weekday)
    month: np.ndarray        # [n] month-turn factor
    centered: np.ndarray     # [n] local deseasonalised level around the day
    factor: np.ndarray       # [n] the day's factor to the level before the campaign effect
    shape: np.ndarray        # [n, slots] the day's intraday shape before the campaign effect
    phi: float = 0.0         # slot-level dispersion of counts (from the calibration)
    pattern: WeeklyPattern = None   # the fitted weekly pattern (classes, shapes) later components build on

    @classmethod
    def start(cls, n: int, slots: int) -> Baseline:
        return cls(np.ones(n), np.ones(n), np.zeros(n), np.ones(n), np.full((n, slots), 1.0 / slots))

    def ratio(self, total: np.ndarray) -> np.ndarray:
        """Each day's total over its local level (NaN where there is none)."""
        L = self.centered
        return np.divide(total, L, out=np.full(len(total), np.nan), where=L > 0)


@dataclass
class Plan:
    """The days being forecast and what the components have said about them so far."""

    days: Days
    leads: np.ndarray        # [n] days after the last fitted day (1 = the next day)
    level: np.ndarray
    factor: np.ndarray
    shape: np.ndarray        # [n, slots], normalised after all components
    hour_mult: np.ndarray    # [n, slots] on top of the normalised shape (presale surges)
    aht: np.ndarray
    special: np.ndarray      # [n] bool: an effect learned from few past instances (wider band)
    channel: str = ""
    notes: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, days: Days, leads: np.ndarray, slots: int, channel: str = "") -> Plan:
        n = len(days)
        return cls(days, np.asarray(leads), np.ones(n), np.ones(n), np.full((n, slots), 1.0 / slots),
                   np.ones((n, slots)), np.zeros((n, slots)), np.zeros(n, dtype=bool), channel)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def mean(self) -> np.ndarray:
        tot = self.shape.sum(axis=1, keepdims=True)
        shape = np.divide(self.shape, tot, out=np.zeros_like(self.shape), where=tot > 0)
        return (self.level * self.factor)[:, None] * shape * self.hour_mult


def _gmean(values: np.ndarray, weights: np.ndarray | None = None) -> float:
    v = np.log(np.maximum(np.asarray(values, dtype=float), 1e-3))
    w = np.ones_like(v) if weights is None else np.asarray(weights, dtype=float)
    return float(np.exp(np.sum(v * w) / w.sum()))


# -- the regular-day components ------------------------------------------------------------------------
@dataclass
class WeeklyPattern:
    """Weekday classes, levels, shapes and open hours, learned from the recent regular days.

    - open weekdays: seen open in the last ``profile_weeks`` weeks (else ever); others forecast 0;
    - classes: weekdays whose mean intraday shapes the day-to-day noise cannot tell apart
      (:func:`kernels.cluster_profiles`), e.g. Mon-Fri and Sat-Sun, or Sun-Thu, a short Friday and a
      Saturday for a centre with a Friday-Saturday weekend;
    - each weekday's shape is its own mean shrunk toward its class's pooled shape as far as the noise
      allows; slots a weekday never had contacts in (its closed hours) stay 0;
    - each weekday's level factor: the median ratio of its totals to the mean of the working class
      (the class holding most of Monday-Friday) in the same week, which averages 1.
    """

    open_dow: np.ndarray = None
    classes: list = None
    work_class: tuple = ()
    factor: np.ndarray = None
    profile: np.ndarray = None
    work_shape: np.ndarray = None
    rest_shape: np.ndarray = None
    rest_factor: float = 1.0

    def fit(self, h: ChannelHistory, base: Baseline, end: int | None = None) -> None:
        cfg, d = h.cfg, h.days
        end = h.n if end is None else end
        idx = np.arange(h.n)
        age = (end - 1) - idx
        total = h.total
        S = K.shares(h.Y)
        ok = h.regular & (idx < end) & (total > 0) & ~d.makeup
        recent = ok & (age < cfg.profile_weeks * 7)
        self.open_dow = h.open_dow
        own, counts, var, day_var = self._weekday_means(S, ok, recent, d.dow)
        opened = np.flatnonzero(self.open_dow & (counts > 0))
        lvl, lvl_var = self._weekday_levels(total, recent, d)
        groups = (K.cluster_profiles(own[opened], day_var[opened], counts[opened], lvl[opened], lvl_var[opened],
                                     cfg.class_z) if len(opened) else [])
        self.classes = [tuple(int(opened[i]) for i in g) for g in groups]
        self.work_class = max(self.classes, key=lambda c: (sum(k in WORKING_DOWS for k in c), len(c)),
                              default=tuple(WORKING_DOWS))
        self.profile, pools = self._blend(own, counts, var, cfg.profile_dow_blend)
        self.work_shape = pools.get(self.work_class, np.full(S.shape[1], 1.0 / S.shape[1]))
        rest = [c for c in self.classes if any(k in WEEKEND_DOWS for k in c)]
        rest_class = max(rest, key=lambda c: sum(k in WEEKEND_DOWS for k in c)) if rest else None
        self.rest_shape = pools[rest_class] if rest_class else _pool(own[opened], counts[opened], S.shape[1])

        week_id = (idx + d.dates[0].weekday()) // 7
        use = h.regular & (idx < end) & (age < cfg.dow_weeks * 7) & ~d.makeup
        # the week's mean over the working class where it has 3 days or more (else over every open
        # weekday), so a week with a day missing still counts; then the working class averages 1
        ref = self.work_class if len(self.work_class) >= 3 else tuple(np.flatnonzero(self.open_dow))
        f = K.dow_factors(total / base.month, d.dow, use, week_id, ref_dows=ref, min_ref_days=min(3, len(ref)))
        work = f[list(self.work_class)]
        if np.isfinite(work).any() and np.nanmean(work) > 0:
            f = f / np.nanmean(work)
        f = np.where(np.isfinite(f), f, 1.0)
        self.factor = np.where(self.open_dow, f, 0.0)
        wd = [k for k in WEEKEND_DOWS if self.open_dow[k]]
        self.rest_factor = float(self.factor[wd].mean()) if wd else 1.0
        base.pattern = self
        base.weekly = np.where(d.makeup, self.factor[list(self.work_class)].mean(), self.factor[d.dow])
        base.factor = base.weekly * base.month
        base.shape = np.where(d.makeup[:, None], self.work_shape[None, :], self.profile[d.dow])

    @staticmethod
    def _weekday_means(S, ok, recent, dow):
        """Per weekday: mean shares [7, slots], days [7], the pooled day-to-day share variance [slots] and
        each weekday's own [7, slots]."""
        slots = S.shape[1]
        own, counts, day_var = np.zeros((7, slots)), np.zeros(7), np.zeros((7, slots))
        var_num, var_den = np.zeros(slots), 0
        for k in range(7):
            sel = recent & (dow == k)
            if not sel.any():
                sel = ok & (dow == k)
            rows = S[sel]
            counts[k] = len(rows)
            if len(rows):
                own[k] = rows.mean(axis=0)
            if len(rows) > 1:
                day_var[k] = rows.var(axis=0, ddof=1)
                var_num += day_var[k] * (len(rows) - 1)
                var_den += len(rows) - 1
        pooled = var_num / var_den if var_den else np.zeros(slots)
        return own, counts, pooled, np.where(counts[:, None] > 1, day_var, pooled[None, :])

    @staticmethod
    def _weekday_levels(total, recent, d: Days):
        """Per weekday: the mean and day-to-day variance of the log ratio of a day's total to the mean of
        its week's other regular days (weeks with at least 3 of them)."""
        week = (np.arange(len(total)) + d.dates[0].weekday()) // 7
        use = recent & (total > 0)
        n_w = int(week.max()) + 1
        s = np.bincount(week, weights=np.where(use, total, 0.0), minlength=n_w)
        c = np.bincount(week, weights=use.astype(float), minlength=n_w)
        others = np.divide(s[week] - total, c[week] - 1, out=np.zeros(len(total)), where=c[week] > 3)
        lr = np.log(np.divide(total, others, out=np.ones(len(total)), where=(others > 0) & (total > 0)))
        ok = use & (others > 0)
        lvl, var = np.zeros(7), np.full(7, 0.01)
        for k in range(7):
            x = lr[ok & (d.dow == k)]
            if len(x):
                lvl[k] = x.mean()
            if len(x) > 1:
                var[k] = max(x.var(ddof=1), 1e-4)
        return lvl, var

    def _blend(self, own, counts, var, blend: float | None):
        """Per-weekday shapes shrunk toward their class pool (by the data, or with the fixed weight
        ``blend`` of the own shape); closed hours kept closed."""
        slots = own.shape[1]
        out = np.tile(np.full(slots, 1.0 / slots), (7, 1))
        pools = {}
        for cls_ in self.classes:
            ks = list(cls_)
            pool = _pool(own[ks], counts[ks], slots)
            pools[cls_] = pool
            if len(ks) == 1:
                blended = own[ks]
            elif blend is not None:
                blended = blend * own[ks] + (1 - blend) * pool
            elif var.sum() > 0:
                blended = K.blend_profiles(own[ks], counts[ks], pool, var)
            else:
                blended = own[ks]
            out[ks] = blended
        never = np.zeros((7, slots), dtype=bool)   # open hours: slots a weekday never had a contact in
        for k in range(7):
            if counts[k] >= 4:
                never[k] = own[k] <= 0
        out = np.where(never, 0.0, out)
        tot = out.sum(axis=1, keepdims=True)
        return np.divide(out, tot, out=np.tile(np.full(slots, 1.0 / slots), (7, 1)), where=tot > 0), pools

    def apply(self, plan: Plan) -> None:
        d = plan.days
        makeup = d.makeup[:, None]
        plan.factor = plan.factor * np.where(d.makeup, self.factor[list(self.work_class)].mean(),
                                             self.factor[d.dow])
        plan.shape = np.where(makeup, self.work_shape[None, :], self.profile[d.dow])


def _pool(rows: np.ndarray, counts: np.ndarray, slots: int) -> np.ndarray:
    have = counts > 0
    if not have.any():
        return np.full(slots, 1.0 / slots)
    return (rows[have] * counts[have, None]).sum(axis=0) / counts[have].sum()


@dataclass
class MonthTurn:
    """A factor for the first ``month_turn[0]`` and last ``month_turn[1]`` working days of a month,
    shrunk toward 1 by ``month_shrink_days`` pseudo-days and by empirical Bayes across positions."""

    factor: dict = field(default_factory=dict)

    def fit(self, h: ChannelHistory, base: Baseline, end: int | None = None) -> None:
        cfg, d = h.cfg, h.days
        self.factor = {}
        if not any(cfg.month_turn):
            return
        end = h.n if end is None else end
        n, total = h.n, h.total
        working = ~d.holiday & ((d.day_type == "weekday") | d.makeup)
        usable = h.regular & (np.arange(n) < end) & (base.weekly > 0)
        deseason = np.divide(total, base.weekly * base.month, out=np.zeros(n), where=base.weekly > 0)
        centered = K.centered_level(deseason, usable, half_window=7)
        ratio = np.divide(total, centered * base.weekly, out=np.full(n, np.nan), where=centered * base.weekly > 0)
        lr = np.log(ratio, out=np.full(n, np.nan), where=ratio > 0)
        mkey = d.month_key
        plain = usable & working & (mkey == 0) & np.isfinite(lr)
        noise = float(np.var(lr[plain])) if plain.sum() > 5 else 0.01
        keys = np.unique(mkey[usable & working & (mkey != 0)])
        means, var = [], []
        for key in keys:
            sel = usable & working & (mkey == key) & np.isfinite(lr)
            means.append(lr[sel].sum() / (sel.sum() + cfg.month_shrink_days))
            var.append(noise / max(sel.sum(), 1))
        for key, m in zip(keys, K.eb_shrink(np.array(means), np.array(var))):
            self.factor[int(key)] = float(np.exp(m))
        base.month = self.of(mkey)
        base.factor = base.weekly * base.month

    def of(self, month_key: np.ndarray) -> np.ndarray:
        return np.array([self.factor.get(int(k), 1.0) for k in month_key])

    def apply(self, plan: Plan) -> None:
        plan.factor = plan.factor * self.of(plan.days.month_key)


@dataclass
class Level:
    """Exponentially weighted, Huber-robust mean of recent regular days' deseasonalised totals, carried
    forward with the year-on-year growth where more than a year of history exists."""

    level: float = 0.0
    level_age: float = 0.0
    growth_per_day: float = 0.0

    def fit(self, h: ChannelHistory, base: Baseline, end: int | None = None) -> None:
        cfg = h.cfg
        end = h.n if end is None else end
        n, total = h.n, h.total
        age = (end - 1) - np.arange(n)
        f = base.weekly * base.month
        usable = h.regular & (age >= 0) & (f > 0)
        deseason = np.divide(total, f, out=np.zeros(n), where=f > 0)
        base.centered = K.centered_level(deseason, usable, min_days=cfg.special_ref_days)
        lv = usable & (age < cfg.level_window_days)
        if lv.sum() >= 3:
            resid = np.log(np.maximum(deseason[lv], 1e-9) / np.maximum(base.centered[lv], 1e-9))
            self.level, self.level_age = K.ew_level(deseason[lv], age[lv].astype(float), cfg.level_halflife_days,
                                                    K.huber_weights(resid))
        elif usable.any():
            self.level, self.level_age = float(np.mean(deseason[usable])), float(np.mean(age[usable]))
        else:
            self.level, self.level_age = 0.0, 0.0
        self.growth_per_day = 0.0
        if end >= 400:
            cur, old = usable & (age < 91), usable & (age >= 365) & (age < 365 + 91)
            if cur.sum() > 20 and old.sum() > 20 and deseason[old].mean() > 0 and deseason[cur].mean() > 0:
                self.growth_per_day = float(np.log(deseason[cur].mean() / deseason[old].mean()) / 365.0)

    def apply(self, plan: Plan) -> None:
        plan.level = self.level * np.exp(self.growth_per_day * (plan.leads + self.level_age))


# -- special days ----------------------------------------------------------------------------------------
@dataclass
class MakeupWorkday:
    """A makeup workday (调休上班) is a day of the working-weekday class it replaces (its level and shape
    are set by :class:`WeeklyPattern`), times the ratio seen on past makeup workdays."""

    ratio: float = 1.0

    def fit(self, h: ChannelHistory, base: Baseline) -> None:
        d = h.days
        sel = h.observed & d.makeup & (d.campaign == "")
        r = base.ratio(h.total)[sel] / np.maximum(base.factor[sel], 1e-9)
        r = r[np.isfinite(r) & (r > 0)]
        self.ratio = _gmean(r) if len(r) else 1.0
        base.factor = np.where(d.makeup, base.factor * self.ratio, base.factor)

    def apply(self, plan: Plan) -> None:
        plan.factor = np.where(plan.days.makeup, plan.factor * self.ratio, plan.factor)


@dataclass
class Holiday:
    """A holiday's level: the ratio to the local level learned from the same festival and day of its
    block in past years (else the festival, else the day type); its shape: the rest-day shape times
    hour ratios learned from past days of the festival."""

    weekly: WeeklyPattern = None    # set by fit
    by_key: dict = field(default_factory=dict)
    by_name: dict = field(default_factory=dict)
    by_type: dict = field(default_factory=dict)
    shape_ratio: dict = field(default_factory=dict)

    def fit(self, h: ChannelHistory, base: Baseline) -> None:
        d = h.days
        self.weekly = base.pattern
        hol = h.observed & d.holiday
        if (hol & (d.campaign == "")).sum() >= 3:
            hol &= d.campaign == ""
        ratio = base.ratio(h.total)
        for keys, store in ((d.holiday_key, self.by_key), (d.holiday_name, self.by_name), (d.day_type, self.by_type)):
            for key in np.unique(keys[hol]):
                r = ratio[hol & (keys == key)]
                r = r[np.isfinite(r)]
                if len(r):
                    store[str(key)] = _gmean(r)
        rest = self.weekly.rest_shape
        for name in np.unique(d.holiday_name[hol]):
            sel = np.flatnonzero(hol & (d.holiday_name == name) & (h.total > 0))
            if len(sel):
                self.shape_ratio[str(name)] = K.hour_ratios(h.Y[sel], h.total[sel, None] * rest[None, :],
                                                            np.ones(len(sel)), base.phi)
        for i in np.flatnonzero(h.observed & d.holiday):
            f = self._factor(d.holiday_key[i], d.holiday_name[i], d.day_type[i])
            if f is not None:
                base.factor[i] = f
            base.shape[i] = rest * self.shape_ratio.get(str(d.holiday_name[i]), 1.0)

    def _factor(self, key, name, day_type):
        return self.by_key.get(key, self.by_name.get(name, self.by_type.get(day_type)))

    def apply(self, plan: Plan) -> None:
        d = plan.days
        for i in np.flatnonzero(d.holiday):
            f = self._factor(d.holiday_key[i], d.holiday_name[i], d.day_type[i])
            if f is None:
                f = 0.85 * self.weekly.rest_factor
                plan.note(f"{plan.channel}: no past {d.day_type[i]} in history; using {f:.2f} x level on {d.dates[i]}")
            plan.factor[i] = f
            plan.shape[i] = self.weekly.rest_shape * self.shape_ratio.get(str(d.holiday_name[i]), 1.0)
            plan.special[i] = True


def phase_multiplier(main_multiplier: float, offset: int) -> float:
    """A scenario multiplier by phase: full on the main day, a third of the uplift in the lead-up,
    half of it decaying over the after-sale tail."""
    up = main_multiplier - 1.0
    if offset == 0:
        return main_multiplier
    if offset < 0:
        return 1.0 + up / 3.0
    return 1.0 + 0.5 * up * np.exp(-(offset - 1) / 4.0)


def _fallback_keys(phase: str) -> list[str]:
    """Phase keys to try, nearest first, when a phase has no past instance."""
    if phase.startswith("lead#"):
        return [phase, "lead"]
    if phase == "lead":
        return ["lead", "lead#2", "lead#1"]
    return [phase]


@dataclass
class CampaignPhase:
    """Campaign days by phase (``event@phase``, see :mod:`forecasts.days`), each learned from the past
    instances' own dates: the day's ratio to its ordinary expectation (later instances weigh more) and
    hour ratios to its ordinary shape; and per event the multipliers of the first
    :data:`forecasts.days.PRESALE_HOURS` hours after a presale opening. A phase without a past instance
    takes the scenario's multiplier (``fallback``), and ``forced`` ones always do (said in the notes)."""

    priors: Priors = None
    ratio: dict = field(default_factory=dict)       # event@phase -> (ratio, n)
    shape_ratio: dict = field(default_factory=dict)
    presale: dict = field(default_factory=dict)     # event (or "*") -> [PRESALE_HOURS] multipliers
    sigma: float = 0.2                              # log spread of an effect between instances

    def fit(self, h: ChannelHistory, base: Baseline) -> None:
        d = h.days
        self.priors = h.priors
        surge = d.presale_h >= 0
        shape = _rows_normalised(base.shape)
        adj = _adjusted_totals(h.Y, shape, surge)
        expect = base.centered * base.factor
        ratio = np.divide(adj, expect, out=np.full(h.n, np.nan), where=expect > 0)
        key = d.promo_key
        pr = h.observed & (d.campaign != "") & (h.total > 0)
        order = _instance_order(d)
        spread = []
        for k in np.unique(key[pr]):
            sel = np.flatnonzero(pr & (key == k) & np.isfinite(ratio) & (ratio > 0))
            if not len(sel):
                continue
            w = order[sel].astype(float)
            self.ratio[str(k)] = (_gmean(ratio[sel], w), len(np.unique(order[sel])))
            by_inst = [np.mean(np.log(ratio[sel][order[sel] == o])) for o in np.unique(order[sel])]
            spread.extend(np.diff(by_inst))
            Yk = np.where(surge[sel], 0.0, h.Y[sel])
            expected = np.where(surge[sel], 0.0, adj[sel, None] * shape[sel])
            self.shape_ratio[str(k)] = K.hour_ratios(Yk, expected, w, base.phi)
        spread = np.asarray(spread, dtype=float)
        spread = spread[K.inliers(spread, K.SPREAD_OUTLIER_Z)]  # an instance with a bad cell is no sample of it
        self.sigma = float(np.std(spread)) if len(spread) > 5 else 0.2
        self._fit_presale(h, base, shape, adj)

    def _fit_presale(self, h: ChannelHistory, base: Baseline, shape: np.ndarray, adj: np.ndarray) -> None:
        d = h.days
        key = d.promo_key
        expected = np.zeros_like(h.Y)
        for i in np.flatnonzero(h.observed & (d.campaign != "")):
            row = shape[i] * self.shape_ratio.get(str(key[i]), 1.0)
            expected[i] = adj[i] * row / max(row.sum(), 1e-12)
        seen = h.observed[:, None] & (d.presale_h >= 0) & (d.campaign != "")[:, None]
        for event in list(np.unique(d.campaign[d.campaign != ""])) + ["*"]:
            ev = seen & ((d.campaign == event)[:, None] if event != "*" else True)
            if not ev.any():
                continue
            num = np.array([h.Y[ev & (d.presale_h == j)].sum() for j in range(PRESALE_HOURS)])
            den = np.array([expected[ev & (d.presale_h == j)].sum() for j in range(PRESALE_HOURS)])
            n_open = max(int((ev & (d.presale_h == 0)).sum()), 1)
            var = 1.0 / (num / n_open + 1.0) / n_open + base.phi / n_open + self.sigma ** 2 / n_open
            self.presale[str(event)] = np.exp(K.shrunk_log_ratios(np.log((num + 0.5) / (den + 0.5)), var))

    def apply(self, plan: Plan) -> None:
        d, ch = plan.days, plan.channel
        for i in np.flatnonzero(d.campaign != ""):
            event, phase, off = str(d.campaign[i]), str(d.phase[i]), int(d.offset[i])
            plan.special[i] = True
            forced = self.priors.forced.get(event)
            if forced is not None:
                plan.factor[i] *= phase_multiplier(forced, off)
                plan.note(f"{ch}: {event} multiplier forced by the scenario")
                continue
            learned = next((f"{event}@{k}" for k in _fallback_keys(phase) if f"{event}@{k}" in self.ratio), None)
            if learned is None:
                m = self.priors.fallback.get(event, 1.0)
                plan.factor[i] *= phase_multiplier(m, off)
                plan.note(f"{ch}: {event} has no past {phase.split('#')[0].split('+')[0]} day in the history; "
                          f"using the scenario multiplier {m:g}")
                continue
            plan.factor[i] *= self.ratio[learned][0]
            plan.shape[i] = plan.shape[i] * self.shape_ratio.get(learned, 1.0)
            mult = self.presale.get(event, self.presale.get("*"))
            hours = d.presale_h[i]
            if mult is not None and (hours >= 0).any():
                plan.hour_mult[i, hours >= 0] *= mult[hours[hours >= 0]]


def _rows_normalised(shape: np.ndarray) -> np.ndarray:
    tot = shape.sum(axis=1, keepdims=True)
    return np.divide(shape, tot, out=np.zeros_like(shape), where=tot > 0)


def _adjusted_totals(Y: np.ndarray, shape: np.ndarray, surge: np.ndarray) -> np.ndarray:
    """Day totals without the presale-surge hours: the other hours' count over their share of the
    ordinary shape (the plain total where the surge hours would be most of the day)."""
    rest_share = np.where(surge, 0.0, shape).sum(axis=1)
    rest = np.where(surge, 0.0, Y).sum(axis=1)
    plain = Y.sum(axis=1)
    return np.where(surge.any(axis=1) & (rest_share > 0.3), rest / np.maximum(rest_share, 1e-9), plain)


def _instance_order(d: Days) -> np.ndarray:
    """A rank per campaign day: 1 for the oldest instance of its event, 2 for the next, ..."""
    out = np.zeros(len(d), dtype=int)
    main_year = np.array([(dd.toordinal() - off) for dd, off in zip(d.dates, d.offset)])  # main day ordinal
    for event in np.unique(d.campaign[d.campaign != ""]):
        sel = d.campaign == event
        _, rank = np.unique(main_year[sel], return_inverse=True)
        out[sel] = rank + 1
    return out


@dataclass
class Aht:
    """Handle time per weekday and slot (contacts-weighted, recent regular days), the working class's
    on a makeup workday, scaled on special days by the ratio seen on past days of the same festival or
    campaign phase; the scenario's ``default_aht_s`` where the history has none."""

    weekly: WeeklyPattern = None    # set by fit
    by_dow: np.ndarray = None
    special: dict = field(default_factory=dict)

    def fit(self, h: ChannelHistory, base: Baseline) -> None:
        cfg, d = h.cfg, h.days
        n, slots = h.Y.shape
        self.weekly = base.pattern
        age = (n - 1) - np.arange(n)
        known = np.isfinite(h.A)
        default = h.priors.default_aht_s
        self.by_dow = np.full((7, slots), float(default))
        if not known.any():
            return
        W = np.where(known, h.Y, 0.0)
        work = np.where(known, h.A * W, 0.0)
        for k in range(7):
            sel = h.scored & (age < cfg.aht_days) & (d.dow == k)
            if not sel.any():
                sel = h.scored & (age < cfg.aht_days)
            num, den = work[sel].sum(axis=0), W[sel].sum(axis=0)
            self.by_dow[k] = np.divide(num, den, out=np.full(slots, np.nan), where=den > 0)
        fill = np.nanmean(self.by_dow) if np.isfinite(self.by_dow).any() else default
        self.by_dow = np.where(np.isfinite(self.by_dow), self.by_dow, fill)
        den = W.sum(axis=1)
        daily = np.divide(work.sum(axis=1), den, out=np.full(n, np.nan), where=den > 0)
        usable = h.regular & (base.weekly > 0)
        ref = pd.Series(np.where(usable, daily, np.nan)).rolling(57, center=True, min_periods=5).mean().to_numpy()
        rel = daily / ref
        for keys, mask in ((d.promo_key, d.campaign != ""), (d.holiday_name, d.holiday)):
            for key in np.unique(keys[mask & h.observed]):
                sel = mask & (keys == key) & np.isfinite(rel)
                if sel.any():
                    self.special[str(key)] = float(np.nanmean(rel[sel]))

    def apply(self, plan: Plan) -> None:
        d = plan.days
        plan.aht = self.by_dow[d.dow].copy()
        if d.makeup.any():
            plan.aht[d.makeup] = self.by_dow[list(self.weekly.work_class)].mean(axis=0)
        for i in np.flatnonzero(d.holiday):
            plan.aht[i] *= self.special.get(str(d.holiday_name[i]), 1.0)
        key = d.promo_key
        for i in np.flatnonzero(d.campaign != ""):
            plan.aht[i] *= self.special.get(str(key[i]), 1.0)


REGULAR = (WeeklyPattern, MonthTurn, Level)
COMPONENTS = REGULAR + (MakeupWorkday, Holiday, CampaignPhase, Aht)
