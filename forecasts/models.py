"""The calendar-aware forecaster: contacts per channel per interval, with p10/p90 and AHT.

Model (per channel), fitted only on history before the forecast start:

    contacts[day, slot] = level(day) x day_factor(day) x share(day, slot)

- ``level``: exponentially weighted mean of recent *normal* days' totals divided by their weekday
  factor (half-life ``level_halflife_days``), carried forward with the year-on-year growth where two
  years of history exist.
- ``day_factor``: for normal days the day-of-week factor (ratio of a day's total to its week's
  weekday mean, median over ``dow_weeks`` weeks); a makeup workday (调休) takes the weekday factor
  times a learned makeup ratio; a holiday takes the ratio learned from past days of the same festival
  and position in its block (falling back to the festival, then to the day type); a promotion day
  takes the ratio learned from the same event and offset from its main day in past years, else the
  scenario's multiplier (said in ``notes``).
- ``share``: the intraday shape, by day class (each weekday blended with the pooled weekday shape;
  Saturday; Sunday), by festival for holidays, and by event offset for promotion days, so the 20:00
  presale and 00:00 main-day surges come from past instances.
- p10/p90: Monte Carlo over a day-level log-normal error (spread of past residuals, larger on
  special days) and slot-level negative-binomial noise (dispersion fitted on recent days).
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

from forecasts import kernels as K
from forecasts.calendar import HOLIDAY_DAY_TYPES, Calendar
from forecasts.history import History
from scheduler.errors import InputError

WEEKDAY_CLASSES = 7  # Mon..Sun


@dataclass(frozen=True)
class ForecastConfig:
    interval_min: int = 60
    level_halflife_days: float = 21.0
    level_window_days: int = 56
    dow_weeks: int = 12
    profile_weeks: int = 8
    profile_dow_blend: float = 1.0      # weight of the day's own weekday shape vs the pooled weekday shape
    aht_days: int = 28
    min_history_days: int = 28
    max_lead_days: int = 56             # how far past the last history day a forecast may start
    quantiles: tuple[float, float] = (0.1, 0.9)
    n_sims: int = 1000
    seed: int = 7


@dataclass(frozen=True)
class EventDay:
    """What makes a date special: a promotion phase and/or a holiday."""

    promo: str | None = None
    offset: int = 0          # days from the promotion's main day
    presale_hours: tuple[int, ...] = ()


def promotion_days(promotions, start: dt.date, end: dt.date) -> dict[dt.date, EventDay]:
    """Map every date in [start, end] touched by a promotion to its (event, offset from main day)."""
    out: dict[dt.date, EventDay] = {}
    for year in range(start.year - 1, end.year + 2):
        for p in promotions:
            first, last = p.span(year)
            main = p.main_date(year)
            pre: dict[dt.date, list[int]] = {}
            for inst in p.presale_instants(year):
                pre.setdefault(inst.date(), []).append(inst.hour)
            d = first
            while d <= last:
                if start <= d <= end:
                    off = (d - main).days
                    cur = out.get(d)
                    if cur is None or abs(off) < abs(cur.offset):
                        out[d] = EventDay(p.name, off, tuple(pre.get(d, ())))
                d += dt.timedelta(days=1)
    return out


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

    @property
    def normal(self) -> np.ndarray:
        return (self.promo_key == "") & ~np.isin(self.day_type, list(HOLIDAY_DAY_TYPES))


def _day_info(calendar: Calendar, promotions, start: dt.date, end: dt.date) -> _DayInfo:
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
    return _DayInfo(dates, np.array([x.weekday() for x in dates]), np.array(types, dtype=object),
                    np.array(keys, dtype=object), np.array(names, dtype=object), np.array(pk, dtype=object),
                    np.array(pn, dtype=object), [promo[x].presale_hours if x in promo else () for x in dates])


@dataclass
class ChannelFit:
    channel: str
    open_class: np.ndarray                  # [7] bool: weekday class seen open recently
    dow_factor: np.ndarray                  # [7]
    level: float                            # deseasonalised daily level at the end of history
    growth_per_day: float                   # log growth rate
    makeup_ratio: float
    holiday_ratio: dict[str, float]
    holiday_name_ratio: dict[str, float]
    holiday_type_ratio: dict[str, float]
    promo_ratio: dict[str, tuple[float, int]]   # key -> (ratio, instances)
    profile_dow: np.ndarray                 # [7, slots]
    profile_holiday: dict[str, np.ndarray]
    profile_promo: dict[str, np.ndarray]
    aht_dow: np.ndarray                     # [7, slots]
    aht_ratio_special: dict[str, float]
    day_sigma: float
    special_sigma: float
    phi: float


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
    def from_scenario(cls, scenario, calendar: Calendar, config: ForecastConfig | None = None) -> "Forecaster":
        fallback, forced = {}, {}
        for p in scenario.promotions:
            for ch, eff in p.effects.items():
                (forced if eff.forced else fallback)[(p.name, ch)] = eff.multiplier
        return cls(calendar=calendar, promotions=list(scenario.promotions),
                   default_aht_s={c: s.default_aht_s for c, s in scenario.channels.items()},
                   promo_fallback=fallback, promo_forced=forced,
                   config=config or ForecastConfig(interval_min=scenario.interval_min, seed=scenario.seed))

    # ------------------------------------------------------------------------------------------
    def fit(self, history: History) -> "Forecaster":
        cfg = self.config
        hist = history.aggregate(cfg.interval_min) if history.interval_min != cfg.interval_min else history
        self.history = hist
        self.start_hist, self.end_hist = hist.first_date, hist.last_date
        n_days = (self.end_hist - self.start_hist).days + 1
        if n_days < cfg.min_history_days:
            raise InputError(f"history has {n_days} days before the forecast start; at least "
                             f"{cfg.min_history_days} are needed", file=hist.source, field="interval_start")
        self.calendar.check_covers(self.start_hist, self.end_hist, what="history")
        self.info = _day_info(self.calendar, self.promotions, self.start_hist, self.end_hist)
        self.fits = {ch: self._fit_channel(hist, ch) for ch in hist.channels}
        return self

    def _fit_channel(self, hist: History, channel: str) -> ChannelFit:
        cfg, info = self.config, self.info
        Y, observed = hist.matrix(channel, self.start_hist, self.end_hist)
        A, _ = hist.matrix(channel, self.start_hist, self.end_hist, column="aht_s")
        n, slots = Y.shape
        total = Y.sum(axis=1)
        normal = info.normal & observed
        age = (n - 1) - np.arange(n)

        recent = age < cfg.profile_weeks * 7
        open_class = np.array([(observed & (info.dow == k) & recent).sum() > 0 for k in range(7)])
        if not open_class.any():
            open_class = np.array([(observed & (info.dow == k)).sum() > 0 for k in range(7)])

        # day-of-week factors: a day's total over its ISO week's mean of normal weekday-type days
        week_id = (np.arange(n) + self.start_hist.weekday()) // 7
        workday_like = normal & (info.dow < 5)
        wk_sum = np.bincount(week_id, weights=np.where(workday_like, total, 0.0))
        wk_cnt = np.bincount(week_id, weights=workday_like.astype(float))
        wk_mean = np.divide(wk_sum, wk_cnt, out=np.full_like(wk_sum, np.nan), where=wk_cnt >= 3)[week_id]
        use = normal & (age < cfg.dow_weeks * 7) & ~np.isnan(wk_mean) & (wk_mean > 0)
        dow_factor = np.ones(7)
        for k in range(7):
            sel = use & (info.dow == k) & (info.day_type != "makeup_workday")
            if sel.sum():
                dow_factor[k] = float(np.median(total[sel] / wk_mean[sel]))
            elif not open_class[k]:
                dow_factor[k] = 0.0
        wd_mean = dow_factor[:5][dow_factor[:5] > 0].mean() if (dow_factor[:5] > 0).any() else 1.0
        dow_factor = dow_factor / wd_mean  # weekday mean = 1

        def day_factor_of(idx):
            f = dow_factor[info.dow[idx]].copy()
            mk = info.day_type[idx] == "makeup_workday"
            f[mk] = 1.0
            return f

        all_idx = np.arange(n)
        base_f = day_factor_of(all_idx)
        deseason = np.divide(total, base_f, out=np.zeros(n), where=base_f > 0)
        usable = normal & (base_f > 0)
        L = K.centered_level(deseason, usable)

        # level at the end of history and growth
        lv = usable & (age < cfg.level_window_days)
        w = K.ew_weights(age[lv], cfg.level_halflife_days)
        level = float(np.sum(deseason[lv] * w) / w.sum()) if lv.any() else float(np.nanmean(deseason[usable]))
        # the weighted mean sits at the weighted mean age; growth carries it to the forecast days
        self._level_age = float(np.sum(age[lv] * w) / w.sum()) if lv.any() else 0.0
        growth = 0.0
        if n >= 400:
            cur = usable & (age < 91)
            old = usable & (age >= 365) & (age < 365 + 91)
            if cur.sum() > 20 and old.sum() > 20:
                growth = float(np.log(deseason[cur].mean() / deseason[old].mean()) / 365.0)
        resid = np.log(np.divide(deseason[lv], L[lv], out=np.ones(lv.sum()), where=L[lv] > 0)) if lv.any() else []
        day_sigma = float(np.std(resid)) if len(resid) > 5 else 0.08
        day_sigma = max(day_sigma, 0.03)

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

        # intraday shapes
        S = K.shares(Y)
        prof_recent = normal & (age < cfg.profile_weeks * 7) & (total > 0)
        pooled_wd = S[prof_recent & (info.dow < 5)].mean(axis=0) if (prof_recent & (info.dow < 5)).any() else None
        profile_dow = np.zeros((7, slots))
        for k in range(7):
            sel = prof_recent & (info.dow == k)
            if not sel.any():
                sel = normal & (info.dow == k) & (total > 0)
            own = S[sel].mean(axis=0) if sel.any() else (pooled_wd if pooled_wd is not None else np.full(slots, 1 / slots))
            if k < 5 and pooled_wd is not None:
                own = cfg.profile_dow_blend * own + (1 - cfg.profile_dow_blend) * pooled_wd
            profile_dow[k] = own
        profile_holiday = {}
        for key in np.unique(info.holiday_name[hol]):
            sel = hol & (info.holiday_name == key) & (total > 0)
            if sel.any():
                profile_holiday[str(key)] = S[sel].mean(axis=0)
        if (hol & (total > 0)).any():
            profile_holiday[""] = S[hol & (total > 0)].mean(axis=0)
        profile_promo = {}
        for key in np.unique(info.promo_key[pr]):
            sel = pr & (info.promo_key == key) & (total > 0)
            if sel.any():
                wts = np.arange(1, sel.sum() + 1, dtype=float)
                profile_promo[str(key)] = (S[sel] * wts[:, None]).sum(axis=0) / wts.sum()

        # AHT per weekday class and slot
        aht_dow = np.full((7, slots), np.nan)
        has_aht = np.isfinite(A).any()
        default = self.default_aht_s.get(channel, 300.0)
        if has_aht:
            Wk = np.where(np.isfinite(A), Y, 0.0)
            for k in range(7):
                sel = normal & (age < cfg.aht_days) & (info.dow == k)
                if not sel.any():
                    sel = normal & (age < cfg.aht_days)
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
            ref = pd.Series(np.where(usable, daily_aht, np.nan)).rolling(57, center=True, min_periods=5).mean().to_numpy()
            rel = daily_aht / ref
            for keys, mask in ((info.promo_key, pr), (info.holiday_name, hol)):
                for key in np.unique(keys[mask]):
                    sel = mask & (keys == key) & np.isfinite(rel)
                    if sel.any():
                        aht_ratio_special[str(key)] = float(np.nanmean(rel[sel]))

        # slot-level dispersion on recent normal days, given each day's own total
        fit_sel = normal & (age < cfg.profile_weeks * 7)
        fitted = total[fit_sel, None] * profile_dow[info.dow[fit_sel]]
        phi = K.nb_dispersion(Y[fit_sel], fitted)

        return ChannelFit(channel, open_class, dow_factor, level, growth, makeup_ratio, holiday_ratio,
                          holiday_name_ratio, holiday_type_ratio, promo_ratio, profile_dow, profile_holiday,
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
        info = _day_info(self.calendar, self.promotions, start, end)
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
                "contacts_p10": q[0].ravel(), "contacts_p90": q[1].ravel(), "aht_s": aht.ravel()}))
        return pd.concat(frames, ignore_index=True).sort_values(["interval_start", "channel"],
                                                                key=_channel_order, kind="stable").reset_index(drop=True)

    def _predict_channel(self, f: ChannelFit, info: _DayInfo, start: dt.date, slots: int):
        n = len(info.dates)
        lead0 = (start - self.end_hist).days  # 1 for the day after history
        mu = np.zeros((n, slots))
        aht = np.zeros((n, slots))
        sigma = np.zeros(n)
        for i, d in enumerate(info.dates):
            k = info.dow[i]
            t = info.day_type[i]
            horizon = lead0 + i + self._level_age
            level = f.level * np.exp(f.growth_per_day * horizon)
            profile = f.profile_dow[k]
            aht_row = f.aht_dow[k].copy()
            special = False
            if t == "makeup_workday":
                factor = f.makeup_ratio
                profile = f.profile_dow[:5].mean(axis=0)
                aht_row = f.aht_dow[:5].mean(axis=0)
            elif t in HOLIDAY_DAY_TYPES:
                special = True
                key, name = info.holiday_key[i], info.holiday_name[i]
                factor = f.holiday_ratio.get(key, f.holiday_name_ratio.get(name, f.holiday_type_ratio.get(t)))
                if factor is None:
                    factor = 0.85 * (f.dow_factor[5:].mean() if f.open_class[5:].any() else 1.0)
                    self._note(f"{f.channel}: no past {t} in history; using {factor:.2f} x level on {d}")
                profile = f.profile_holiday.get(name, f.profile_holiday.get("", f.profile_dow[5]))
                aht_row = aht_row * f.aht_ratio_special.get(name, 1.0)
            elif not f.open_class[k]:
                factor = 0.0
            else:
                factor = f.dow_factor[k]
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
                        profile = f.profile_promo[pkey]
                else:
                    m = self.promo_fallback.get((pname, f.channel), 1.0)
                    factor = factor * _phase_multiplier(m, offset)
                    self._note(f"{f.channel}: {pname} has no past instance in the history; "
                               f"using the scenario multiplier {m:g}")
                aht_row = aht_row * f.aht_ratio_special.get(pkey, 1.0)
            mu[i] = level * factor * profile
            aht[i] = aht_row
            sigma[i] = np.hypot(f.special_sigma if special else f.day_sigma, 0.0015 * (lead0 + i))
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
