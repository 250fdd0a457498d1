"""The calendar-aware forecaster: contacts per channel per interval, with p10/p90 and AHT.

Model (per channel), fitted only on history before the forecast start:

    contacts[day, slot] = level(day) x day_factor(day) x month_turn(day) x share(day, slot)

- ``level``: exponentially weighted mean (half-life ``level_halflife_days``, window
  ``level_window_days``) of recent *regular* days' totals divided by their weekday and month-turn
  factors, with Huber weights against outlier days, carried forward with the year-on-year growth
  where two years of history exist. Regular days exclude holidays, promotion days and the first
  ``post_closure_days`` open days after an unexpected closure (a day of an open weekday with no rows
  that the calendar does not call a holiday: callers who could not reach the centre call then).
- ``day_factor``: for regular days the day-of-week factor (median ratio of a day's total to its
  week's weekday mean over ``dow_weeks`` weeks); a makeup workday (调休) takes a weekday's level times
  a learned makeup ratio; a holiday the ratio learned from past days of the same festival and
  position in its block (falling back to the festival, then to the day type); a promotion day the
  ratio learned from the same event and offset from its main day in past years, else the scenario's
  multiplier (said in ``notes``).
- ``month_turn``: a factor for the first ``month_turn[0]`` and the last ``month_turn[1]`` working
  days of a month (statements, pay days), learned from past months and shrunk toward 1 by
  ``month_shrink_days`` pseudo-days; about 1 where the history shows no such effect.
- ``share``: the intraday shape by weekday, shrunk toward the pooled shape of its group (Mon-Fri or
  Sat-Sun) as far as the data cannot tell them apart; makeup workdays take the pooled weekday shape;
  holidays and promotion days take the rest-day or weekday shape times hour ratios learned from past
  instances of the festival or event offset, each ratio shrunk toward 1 by its noise, so the 20:00
  presale and 00:00 main-day surges survive and the noise of one past day does not.
- p10/p90: Monte Carlo over a day-level log-normal error and slot-level negative-binomial noise
  (quantiles of counts; the band is widened to hold the mean where a sparse interval's count
  quantiles lie below it).
  Both are calibrated honestly: the model is refitted at ``calib_folds`` weekly origins before the
  end of the history and scored on the following week (day totals: the 10-90% spread of the log
  errors; slots: the dispersion of counts around the day total times the shape known then).
  Special days add the spread of the effect between past instances.
- AHT: contacts-weighted mean of recent same-class days per slot, scaled on special days by the
  ratio seen in past instances; the scenario's ``default_aht_s`` where history has no AHT.

A day class with no rows in recent history (weekends in a weekday-only call centre) is forecast as
closed (0).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.errors import InputError
from core.names import HOLIDAY_DAY_TYPES, WORKING_DAY_TYPES
from core.promotions import promotion_days
from forecasts import kernels as K
from forecasts.calendar import Calendar
from forecasts.history import History

WEEKDAY_CLASSES = 7  # Mon..Sun


@dataclass(frozen=True)
class ForecastConfig:
    interval_min: int = 60
    level_halflife_days: float = 28.0
    level_window_days: int = 70
    dow_weeks: int = 12
    profile_weeks: int = 12
    profile_dow_blend: float | None = None  # weight of a weekday's own shape; None: shrink by the data
    month_turn: tuple[int, int] = (3, 2)    # first / last working days of a month with their own factor
    month_shrink_days: float = 3.0          # pseudo-days of "no effect" in the month-turn factors
    post_closure_days: int = 2              # open days after an unexpected closure left out of the fit
    aht_days: int = 28
    min_history_days: int = 28
    max_lead_days: int = 56             # how far past the last history day a forecast may start
    quantiles: tuple[float, float] = (0.1, 0.9)
    n_sims: int = 1000
    special_ref_days: int = 10          # regular days behind the local level a special day is compared to
    calib_folds: int = 8                # weekly origins before the end of history for the p10/p90 spread
    seed: int = 7


@dataclass
class _DayInfo:
    dates: list[dt.date]
    dow: np.ndarray
    day_type: np.ndarray
    holiday_key: np.ndarray      # "name#position" or ""
    holiday_name: np.ndarray
    promo_key: np.ndarray        # "event@offset" or ""
    promo_name: np.ndarray
    presale: list[tuple[int, ...]]
    month_key: np.ndarray        # month-turn position of a working day (see kernels.month_turn_keys)

    @property
    def normal(self) -> np.ndarray:
        return (self.promo_key == "") & ~np.isin(self.day_type, list(HOLIDAY_DAY_TYPES))


def _month_keys(calendar: Calendar, start: dt.date, end: dt.date, month_turn: tuple[int, int]) -> np.ndarray:
    """Month-turn keys for [start, end], counted over the whole months around them."""
    lo = start.replace(day=1)
    hi = (end.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    days = [lo + dt.timedelta(days=i) for i in range((hi - lo).days + 1)]
    working = np.array([calendar.day_type(d) in WORKING_DAY_TYPES for d in days])
    month_id = np.array([d.year * 12 + d.month for d in days])
    keys = K.month_turn_keys(month_id, working, *month_turn)
    off = (start - lo).days
    return keys[off:off + (end - start).days + 1]


def _day_info(calendar: Calendar, promotions, start: dt.date, end: dt.date,
              month_turn: tuple[int, int] = (0, 0)) -> _DayInfo:
    dates = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    promo = promotion_days(promotions, start, end)
    types, names, keys = [], [], []
    run_name, run_pos = None, 0
    # positions inside a holiday block need the days before ``start`` too
    prev = start - dt.timedelta(days=1)
    while calendar.day_type(prev) in HOLIDAY_DAY_TYPES and (start - prev).days < 15:
        prev -= dt.timedelta(days=1)
    d = prev + dt.timedelta(days=1)
    while d <= end:
        t, name = calendar.day_info(d)
        if t in HOLIDAY_DAY_TYPES:
            run_pos = run_pos + 1 if run_name == name else 0
            run_name = name
        else:
            run_name, run_pos = None, 0
        if d >= start:
            types.append(t)
            names.append(name if t in HOLIDAY_DAY_TYPES else "")
            keys.append(f"{name}#{run_pos}" if t in HOLIDAY_DAY_TYPES else "")
        d += dt.timedelta(days=1)
    pk = [f"{promo[x].promo}@{promo[x].offset}" if x in promo else "" for x in dates]
    pn = [promo[x].promo if x in promo else "" for x in dates]
    mk = (_month_keys(calendar, start, end, month_turn) if any(month_turn)
          else np.zeros(len(dates), dtype=int))
    return _DayInfo(dates, np.array([x.weekday() for x in dates]), np.array(types, dtype=object),
                    np.array(keys, dtype=object), np.array(names, dtype=object), np.array(pk, dtype=object),
                    np.array(pn, dtype=object), [promo[x].presale_hours if x in promo else () for x in dates],
                    mk)


@dataclass
class _Daily:
    """The regular-day total model fitted on days [0, end) of the history."""

    dow_factor: np.ndarray       # [7], 0 for a closed class
    month_factor: dict[int, float]
    level: float                 # deseasonalised daily total at ``level_age`` days before the end
    level_age: float
    growth_per_day: float        # log growth rate
    centered: np.ndarray         # centred local level of every history day (for special-day ratios)
    base_factor: np.ndarray      # weekday x month-turn factor of every history day

    def total(self, ages_ahead: np.ndarray, dow: np.ndarray, month_key: np.ndarray) -> np.ndarray:
        """Expected totals of regular days ``ages_ahead`` days after the last fitted day (1 = next)."""
        mf = np.array([self.month_factor.get(int(k), 1.0) for k in month_key])
        lvl = self.level * np.exp(self.growth_per_day * (np.asarray(ages_ahead) + self.level_age))
        return lvl * self.dow_factor[dow] * mf


@dataclass
class ChannelFit:
    channel: str
    open_class: np.ndarray                  # [7] bool: weekday class seen open recently
    daily: _Daily
    makeup_ratio: float
    holiday_ratio: dict[str, float]
    holiday_name_ratio: dict[str, float]
    holiday_type_ratio: dict[str, float]
    promo_ratio: dict[str, tuple[float, int]]   # key -> (ratio, instances)
    profile_dow: np.ndarray                 # [7, slots]
    profile_makeup: np.ndarray              # [slots]
    profile_rest: np.ndarray                # [slots] pooled Sat/Sun shape (base of holiday shapes)
    profile_holiday: dict[str, np.ndarray]  # festival -> hour ratios [slots] to the rest-day shape
    profile_promo: dict[str, np.ndarray]    # event@offset -> hour ratios [slots] to the day's shape
    aht_dow: np.ndarray                     # [7, slots]
    aht_ratio_special: dict[str, float]
    day_sigma: float
    special_sigma: float
    phi: float

    @property
    def dow_factor(self) -> np.ndarray:
        return self.daily.dow_factor


@dataclass
class Forecaster:
    """Fit on history before the forecast start; predict a date range."""

    calendar: Calendar
    promotions: list = field(default_factory=list)
    default_aht_s: dict[str, float] = field(default_factory=dict)
    promo_fallback: dict[tuple[str, str], float] = field(default_factory=dict)  # (event, channel) -> multiplier
    promo_forced: dict[tuple[str, str], float] = field(default_factory=dict)
    config: ForecastConfig = ForecastConfig()
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_scenario(cls, scenario, calendar: Calendar, config: ForecastConfig | None = None) -> Forecaster:
        fallback, forced = {}, {}
        for p in scenario.promotions:
            for ch, eff in p.effects.items():
                (forced if eff.forced else fallback)[(p.name, ch)] = eff.multiplier
        return cls(calendar=calendar, promotions=list(scenario.promotions),
                   default_aht_s={c: s.default_aht_s for c, s in scenario.channels.items()},
                   promo_fallback=fallback, promo_forced=forced,
                   config=config or ForecastConfig(interval_min=scenario.interval_min, seed=scenario.seed))

    # ------------------------------------------------------------------------------------------
    def fit(self, history: History) -> Forecaster:
        cfg = self.config
        hist = history.aggregate(cfg.interval_min) if history.interval_min != cfg.interval_min else history
        self.history = hist
        self.start_hist, self.end_hist = hist.first_date, hist.last_date
        n_days = (self.end_hist - self.start_hist).days + 1
        if n_days < cfg.min_history_days:
            raise InputError(f"history has {n_days} days before the forecast start; at least "
                             f"{cfg.min_history_days} are needed", file=hist.source, field="interval_start")
        self.calendar.check_covers(self.start_hist, self.end_hist, what="history")
        self.info = _day_info(self.calendar, self.promotions, self.start_hist, self.end_hist, cfg.month_turn)
        self.fits = {ch: self._fit_channel(hist, ch) for ch in hist.channels}
        return self

    # -- pieces of the fit, each using only days [0, end) ---------------------------------------
    def _daily_model(self, total: np.ndarray, regular: np.ndarray, open_class: np.ndarray, end: int) -> _Daily:
        cfg, info = self.config, self.info
        n = len(total)
        idx = np.arange(n)
        past = idx < end
        age = (end - 1) - idx
        dow = info.dow
        week_id = (idx + self.start_hist.weekday()) // 7
        makeup = info.day_type == "makeup_workday"
        use_dow = regular & past & (age < cfg.dow_weeks * 7) & ~makeup
        working = np.isin(info.day_type, list(WORKING_DAY_TYPES))
        mkey = info.month_key
        mfac = np.ones(n)
        month_factor: dict[int, float] = {}
        for _ in range(2 if any(cfg.month_turn) else 1):
            dow_factor = K.dow_factors(total / mfac, dow, use_dow, week_id)
            dow_factor = np.where(np.isfinite(dow_factor), dow_factor, np.where(open_class, 1.0, 0.0))
            dow_factor = np.where(open_class, dow_factor, 0.0)
            base_f = np.where(makeup, 1.0, dow_factor[dow])
            usable = regular & past & (base_f > 0)
            deseason = np.divide(total, base_f * mfac, out=np.zeros(n), where=base_f > 0)
            centered = K.centered_level(deseason, usable, half_window=7)
            if not any(cfg.month_turn):
                break
            ratio = np.divide(total, centered * base_f, out=np.full(n, np.nan), where=centered * base_f > 0)
            month_factor = {}
            keys = np.unique(mkey[usable & working & (mkey != 0)])
            lr = np.log(ratio, out=np.full(n, np.nan), where=ratio > 0)
            plain = usable & working & (mkey == 0) & np.isfinite(lr)
            noise = float(np.var(lr[plain])) if plain.sum() > 5 else 0.01
            means, var = [], []
            for key in keys:
                sel = usable & working & (mkey == key) & np.isfinite(lr)
                means.append(lr[sel].sum() / (sel.sum() + cfg.month_shrink_days))
                var.append(noise / max(sel.sum(), 1))
            for key, m in zip(keys, K.eb_shrink(np.array(means), np.array(var))):
                month_factor[int(key)] = float(np.exp(m))
            mfac = np.array([month_factor.get(int(k), 1.0) for k in mkey])
        base_f = base_f * mfac
        deseason = np.divide(total, base_f, out=np.zeros(n), where=base_f > 0)
        centered = K.centered_level(deseason, usable, min_days=cfg.special_ref_days)

        lv = usable & (age < cfg.level_window_days)
        if lv.sum() >= 3:
            resid = np.log(np.maximum(deseason[lv], 1e-9) / np.maximum(centered[lv], 1e-9))
            level, level_age = K.ew_level(deseason[lv], age[lv].astype(float), cfg.level_halflife_days,
                                          K.huber_weights(resid))
        elif usable.any():
            level, level_age = float(np.mean(deseason[usable])), float(np.mean(age[usable]))
        else:
            level, level_age = 0.0, 0.0
        growth = 0.0
        if end >= 400:
            cur = usable & (age < 91)
            old = usable & (age >= 365) & (age < 365 + 91)
            if cur.sum() > 20 and old.sum() > 20 and deseason[old].mean() > 0 and deseason[cur].mean() > 0:
                growth = float(np.log(deseason[cur].mean() / deseason[old].mean()) / 365.0)
        return _Daily(dow_factor, month_factor, level, level_age, growth, centered, base_f)

    def _profiles(self, S: np.ndarray, total: np.ndarray, regular: np.ndarray, end: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(shape per weekday [7, slots], pooled weekday shape, pooled Sat/Sun shape) from days [0, end)."""
        cfg, dow = self.config, self.info.dow
        n, slots = S.shape
        age = (end - 1) - np.arange(n)
        ok = regular & (np.arange(n) < end) & (total > 0)
        recent = ok & (age < cfg.profile_weeks * 7)
        out = np.zeros((7, slots))
        pooled = {}
        for group in ((0, 1, 2, 3, 4), (5, 6)):
            own, days, var_num, var_den = [], [], np.zeros(slots), 0
            for k in group:
                sel = recent & (dow == k)
                if not sel.any():
                    sel = ok & (dow == k)
                rows = S[sel]
                own.append(rows.mean(axis=0) if len(rows) else np.full(slots, np.nan))
                days.append(len(rows))
                if len(rows) > 1:
                    var_num += rows.var(axis=0, ddof=1) * (len(rows) - 1)
                    var_den += len(rows) - 1
            own, days = np.array(own), np.array(days)
            have = days > 0
            if have.any():
                pool = (own[have] * days[have, None]).sum(axis=0) / days[have].sum()
            else:
                pool = np.full(slots, 1.0 / slots)
            pooled[group] = pool
            own[~have] = pool
            if cfg.profile_dow_blend is not None:
                blended = cfg.profile_dow_blend * own + (1 - cfg.profile_dow_blend) * pool
            elif var_den > 0:
                blended = K.blend_profiles(own, days, pool, var_num / var_den)
            else:
                blended = own
            out[list(group)] = blended
        return out, pooled[(0, 1, 2, 3, 4)], pooled[(5, 6)]

    def _calibrate(self, Y: np.ndarray, total: np.ndarray, S: np.ndarray, regular: np.ndarray,
                   scored: np.ndarray, open_class: np.ndarray) -> tuple[float, float]:
        """(day-level log sigma, slot-level NB dispersion) from refits at weekly origins before the end
        of the history, each scored on the week after it (only what a forecast then could know)."""
        cfg = self.config
        n = len(total)
        errs, act_rows, fit_rows, pred_tot, share_sq = [], [], [], [], []
        for j in range(1, cfg.calib_folds + 1):
            end = n - 7 * j
            if end < max(cfg.min_history_days, 28):
                break
            daily = self._daily_model(total, regular, open_class, end)
            prof, _, _ = self._profiles(S, total, regular, end)
            days = np.arange(end, min(end + 7, n))
            days = days[scored[days] & open_class[self.info.dow[days]]]
            if not len(days):
                continue
            pred = daily.total(days - end + 1, self.info.dow[days], self.info.month_key[days])
            good = (pred > 0) & (total[days] > 0)
            errs.extend(np.log(total[days][good] / pred[good]))
            act_rows.append(Y[days])
            fit_rows.append(total[days, None] * prof[self.info.dow[days]])
            pred_tot.extend(pred[good])
            share_sq.extend(np.square(prof[self.info.dow[days][good]]).sum(axis=1))
        phi = K.nb_dispersion(np.concatenate(act_rows), np.concatenate(fit_rows)) if act_rows else 0.0
        if len(errs) >= 8:
            q10, q90 = np.quantile(errs, [0.1, 0.9])
            day_var = ((q90 - q10) / (2 * 1.2816)) ** 2
        elif len(errs) >= 2:
            day_var = float(np.mean(np.square(errs)))
        else:
            day_var = 0.08 ** 2
        # the errors of day totals include the count noise of the total, which the simulation adds
        # again slot by slot (Poisson plus the slot dispersion): keep only the excess as day error
        if pred_tot:
            day_var -= float(np.mean(1.0 / np.array(pred_tot)) + phi * np.mean(share_sq))
        day_sigma = float(np.sqrt(max(day_var, 0.0)))
        return max(day_sigma, 0.02), phi

    def _fit_channel(self, hist: History, channel: str) -> ChannelFit:
        cfg, info = self.config, self.info
        Y, observed = hist.matrix(channel, self.start_hist, self.end_hist)
        A, _ = hist.matrix(channel, self.start_hist, self.end_hist, column="aht_s")
        n, slots = Y.shape
        total = Y.sum(axis=1)
        age = (n - 1) - np.arange(n)

        recent = age < cfg.profile_weeks * 7
        open_class = np.array([(observed & (info.dow == k) & recent).sum() > 0 for k in range(7)])
        if not open_class.any():
            open_class = np.array([(observed & (info.dow == k)).sum() > 0 for k in range(7)])

        # unexpected closures: a day of an open weekday class with no rows, not a holiday; the next
        # open days carry the calls that could not get through and are left out of the fit
        post_closure = np.zeros(n, dtype=bool)
        if cfg.post_closure_days > 0:
            closed = ~observed & open_class[info.dow] & ~np.isin(info.day_type, list(HOLIDAY_DAY_TYPES))
            for i in np.flatnonzero(closed):
                nxt = np.flatnonzero(observed[i + 1:i + 15])[:cfg.post_closure_days]
                post_closure[i + 1 + nxt] = True
        scored = info.normal & observed              # what a regular-day forecast is judged on
        regular = scored & ~post_closure              # what it is fitted on

        daily = self._daily_model(total, regular, open_class, n)
        base_f, L = daily.base_factor, daily.centered
        S = K.shares(Y)
        profile_dow, pooled_wd, pooled_rest = self._profiles(S, total, regular, n)
        day_sigma, phi = self._calibrate(Y, total, S, regular, scored, open_class)

        ratio = np.divide(total, L, out=np.full(n, np.nan), where=L > 0)
        # makeup workdays: relative to a weekday
        mk = observed & (info.day_type == "makeup_workday") & (info.promo_key == "")
        makeup_ratio = float(np.exp(np.nanmean(np.log(np.maximum(ratio[mk], 1e-3))))) if mk.any() else 1.0

        hol = observed & np.isin(info.day_type, list(HOLIDAY_DAY_TYPES))
        holiday_ratio, holiday_name_ratio, holiday_type_ratio = {}, {}, {}
        for keys, store in ((info.holiday_key, holiday_ratio), (info.holiday_name, holiday_name_ratio),
                            (info.day_type, holiday_type_ratio)):
            for key in np.unique(keys[hol]):
                sel = hol & (keys == key)
                store[str(key)] = float(np.exp(np.nanmean(np.log(np.maximum(ratio[sel], 1e-3)))))

        # promotions: ratio to the level times the day's ordinary factor, same event and offset
        pr = observed & (info.promo_key != "")
        promo_ratio = {}
        promo_log_resid = []
        for key in np.unique(info.promo_key[pr]):
            sel = np.flatnonzero(pr & (info.promo_key == key))
            r = ratio[sel] / np.maximum(base_f[sel], 1e-6)
            r = r[np.isfinite(r) & (r > 0)]
            if len(r):
                wts = np.arange(1, len(r) + 1, dtype=float)  # later instances weigh more
                promo_ratio[str(key)] = (float(np.exp(np.sum(np.log(r) * wts) / wts.sum())), len(r))
                if len(r) > 1:
                    promo_log_resid.extend(np.log(r[1:]) - np.log(r[:-1]))
        special_sigma = float(np.std(promo_log_resid)) if len(promo_log_resid) > 5 else 0.2
        special_sigma = max(special_sigma, day_sigma)

        # intraday shapes of special days: hour ratios to the ordinary shape, shrunk by their noise
        def hour_ratios(sel: np.ndarray, base_rows: np.ndarray, weights: np.ndarray) -> np.ndarray:
            num = (Y[sel] * weights[:, None]).sum(axis=0)
            den = (total[sel, None] * base_rows * weights[:, None]).sum(axis=0)
            n_eff = weights.sum() ** 2 / np.square(weights).sum()
            log_r = np.log((num + 0.5) / (den + 0.5))
            var = 1.0 / (num / weights.sum() * n_eff + 1.0) + phi / n_eff
            return np.exp(K.shrunk_log_ratios(log_r, var))

        profile_holiday = {}
        for key in np.unique(info.holiday_name[hol]):
            sel = np.flatnonzero(hol & (info.holiday_name == key) & (total > 0))
            if len(sel):
                profile_holiday[str(key)] = hour_ratios(sel, np.tile(pooled_rest, (len(sel), 1)), np.ones(len(sel)))
        profile_promo = {}
        for key in np.unique(info.promo_key[pr]):
            sel = np.flatnonzero(pr & (info.promo_key == key) & (total > 0))
            if len(sel):
                base_rows = np.array([pooled_rest if info.day_type[i] in HOLIDAY_DAY_TYPES else
                                      pooled_wd if info.day_type[i] == "makeup_workday" else
                                      profile_dow[info.dow[i]] for i in sel])
                profile_promo[str(key)] = hour_ratios(sel, base_rows, np.arange(1, len(sel) + 1, dtype=float))

        # AHT per weekday class and slot
        aht_dow = np.full((7, slots), np.nan)
        has_aht = np.isfinite(A).any()
        default = self.default_aht_s.get(channel, 300.0)
        if has_aht:
            Wk = np.where(np.isfinite(A), Y, 0.0)
            for k in range(7):
                sel = scored & (age < cfg.aht_days) & (info.dow == k)
                if not sel.any():
                    sel = scored & (age < cfg.aht_days)
                num = np.nansum(np.where(np.isfinite(A[sel]), A[sel] * Wk[sel], 0.0), axis=0)
                den = Wk[sel].sum(axis=0)
                aht_dow[k] = np.divide(num, den, out=np.full(slots, np.nan), where=den > 0)
            fill = np.nanmean(aht_dow) if np.isfinite(aht_dow).any() else default
            aht_dow = np.where(np.isfinite(aht_dow), aht_dow, fill)
        else:
            aht_dow[:] = default
        aht_ratio_special = {}
        if has_aht:
            daily_aht = np.divide(np.nansum(np.where(np.isfinite(A), A * Y, 0), axis=1),
                                  np.where(np.isfinite(A), Y, 0).sum(axis=1),
                                  out=np.full(n, np.nan), where=np.where(np.isfinite(A), Y, 0).sum(axis=1) > 0)
            usable = regular & (base_f > 0)
            ref = (pd.Series(np.where(usable, daily_aht, np.nan))
                   .rolling(57, center=True, min_periods=5).mean().to_numpy())
            rel = daily_aht / ref
            for keys, mask in ((info.promo_key, pr), (info.holiday_name, hol)):
                for key in np.unique(keys[mask]):
                    sel = mask & (keys == key) & np.isfinite(rel)
                    if sel.any():
                        aht_ratio_special[str(key)] = float(np.nanmean(rel[sel]))

        return ChannelFit(channel, open_class, daily, makeup_ratio, holiday_ratio, holiday_name_ratio,
                          holiday_type_ratio, promo_ratio, profile_dow, pooled_wd, pooled_rest, profile_holiday,
                          profile_promo, aht_dow, aht_ratio_special, day_sigma, special_sigma, phi)

    # ------------------------------------------------------------------------------------------
    def check_reach(self, start: dt.date) -> None:
        lead = (start - self.end_hist).days - 1
        if lead > self.config.max_lead_days:
            raise InputError(f"the forecast starts {start} but history ends {self.end_hist}: more than "
                             f"{self.config.max_lead_days} days ahead is outside the history's reach",
                             file=self.history.source, field="interval_start")

    def predict(self, start: dt.date, days: int) -> pd.DataFrame:
        """Columns ``interval_start, channel, contacts, contacts_p10, contacts_p90, aht_s``."""
        cfg = self.config
        if start <= self.end_hist:
            raise InputError(f"history runs to {self.end_hist}, past the forecast start {start}: fit on "
                             f"history before the start", field="interval_start")
        self.check_reach(start)
        end = start + dt.timedelta(days=days - 1)
        self.calendar.check_covers(start, end, what="forecast")
        info = _day_info(self.calendar, self.promotions, start, end, cfg.month_turn)
        slots = 1440 // cfg.interval_min
        rng = np.random.default_rng(cfg.seed)
        frames = []
        self.notes = []
        for ch in sorted(self.fits, key=lambda c: ["chat", "phone", "email"].index(c)):
            mu, aht, sigma = self._predict_channel(self.fits[ch], info, start, slots)
            q = K.simulate_quantiles(mu, sigma, self.fits[ch].phi, cfg.quantiles, cfg.n_sims, rng)
            ts = pd.Timestamp(start) + pd.to_timedelta(np.arange(days * slots) * cfg.interval_min, unit="min")
            frames.append(pd.DataFrame({
                "interval_start": ts, "channel": ch, "contacts": mu.ravel(),
                # the band holds the mean (a sparse interval's p90 of counts can be 0 below a mean of 0.1)
                "contacts_p10": np.minimum(q[0], mu).ravel(), "contacts_p90": np.maximum(q[-1], mu).ravel(),
                "aht_s": aht.ravel()}))
        out = pd.concat(frames, ignore_index=True)
        return out.sort_values(["interval_start", "channel"], key=_channel_order,
                               kind="stable").reset_index(drop=True)

    def _predict_channel(self, f: ChannelFit, info: _DayInfo, start: dt.date, slots: int):
        n = len(info.dates)
        lead0 = (start - self.end_hist).days  # 1 for the day after history
        leads = lead0 + np.arange(n)
        mu = np.zeros((n, slots))
        aht = np.zeros((n, slots))
        sigma = np.zeros(n)
        dow_factor = f.daily.dow_factor
        regular_total = f.daily.total(leads, info.dow, info.month_key)  # level x weekday x month turn
        level = regular_total / np.maximum(dow_factor[info.dow], 1e-12)  # level x month turn
        for i, d in enumerate(info.dates):
            k = info.dow[i]
            t = info.day_type[i]
            profile = f.profile_dow[k]
            aht_row = f.aht_dow[k].copy()
            special = False
            if t == "makeup_workday":
                factor = f.makeup_ratio
                profile = f.profile_makeup
                aht_row = f.aht_dow[:5].mean(axis=0)
            elif t in HOLIDAY_DAY_TYPES:
                special = True
                key, name = info.holiday_key[i], info.holiday_name[i]
                factor = f.holiday_ratio.get(key, f.holiday_name_ratio.get(name, f.holiday_type_ratio.get(t)))
                if factor is None:
                    factor = 0.85 * (dow_factor[5:].mean() if f.open_class[5:].any() else 1.0)
                    self._note(f"{f.channel}: no past {t} in history; using {factor:.2f} x level on {d}")
                profile = f.profile_rest * f.profile_holiday.get(name, 1.0)
                aht_row = aht_row * f.aht_ratio_special.get(name, 1.0)
            elif not f.open_class[k]:
                factor = 0.0
            else:
                factor = dow_factor[k]
            pkey, pname = info.promo_key[i], info.promo_name[i]
            if pkey:
                special = True
                forced = self.promo_forced.get((pname, f.channel))
                learned = f.promo_ratio.get(pkey)
                offset = int(pkey.split("@")[1])
                if forced is not None:
                    factor = factor * _phase_multiplier(forced, offset)
                    self._note(f"{f.channel}: {pname} multiplier forced by the scenario")
                elif learned is not None:
                    factor = factor * learned[0]
                    if pkey in f.profile_promo:
                        profile = profile * f.profile_promo[pkey]
                else:
                    m = self.promo_fallback.get((pname, f.channel), 1.0)
                    factor = factor * _phase_multiplier(m, offset)
                    self._note(f"{f.channel}: {pname} has no past instance in the history; "
                               f"using the scenario multiplier {m:g}")
                aht_row = aht_row * f.aht_ratio_special.get(pkey, 1.0)
            tot = profile.sum()
            profile = profile / tot if tot > 0 else profile
            mu[i] = level[i] * factor * profile
            aht[i] = aht_row
            extra_lead = 0.0015 * max(leads[i] - 7, 0)
            sigma[i] = np.hypot(f.special_sigma if special else f.day_sigma, extra_lead)
        return mu, aht, sigma

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


def _phase_multiplier(main_multiplier: float, offset: int) -> float:
    """Scenario multiplier by phase: full on the main day, a third of the uplift in the lead-up,
    half of it decaying over the after-sale tail."""
    up = main_multiplier - 1.0
    if offset == 0:
        return main_multiplier
    if offset < 0:
        return 1.0 + up / 3.0
    return 1.0 + 0.5 * up * np.exp(-(offset - 1) / 4.0)


def _channel_order(col: pd.Series) -> pd.Series:
    if col.name == "channel":
        return col.map({"chat": 0, "phone": 1, "email": 2}).fillna(9)
    return col


def forecast_range(history: History, scenario, calendar: Calendar, start: dt.date, days: int,
                   config: ForecastConfig | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Fit on history strictly before ``start`` and forecast ``days`` days."""
    past = history.before(start)
    if past.frame.empty:
        raise InputError(f"no history before {start}; the history starts {history.first_date}",
                         file=history.source, field="interval_start")
    model = Forecaster.from_scenario(scenario, calendar, config)
    model.fit(past)
    out = model.predict(start, days)
    return out, model.notes
