"""The calendar-aware forecaster: contacts per channel per interval, with p10/p90 and AHT.

Per channel, fitted only on history before the forecast start, the effects of
:mod:`forecasts.components` build

    contacts[day, slot] = level x factor(day) x shape(day, slot) x hour multiplier(day, slot)

(level with growth; weekly pattern with learned weekday classes and open hours; month turn; makeup
workdays; holidays; campaign phases aligned on each instance's dates, with presale-opening hours; AHT).

- Regular days: the level, weekly pattern and month turn are fitted on days that are neither holidays
  nor campaign days, leaving out the first ``post_closure_days`` open days after an unexpected closure
  (a day of an open weekday with no rows that the calendar does not call a holiday: callers who could
  not reach the centre call then).
- p10/p90: Monte Carlo over a day-level log-normal error and slot-level negative-binomial noise
  (quantiles of counts; the band is widened to hold the mean where a sparse interval's count quantiles
  lie below it). Both are calibrated honestly: the regular-day model is refitted at ``calib_folds``
  weekly origins before the end of the history and scored on the following week (day totals: the
  10-90% spread of the log errors; slots: the dispersion of counts around the day total times the shape
  known then). Special days add the spread of the effect between past instances. Both are robust to a
  bad cell: a flagged one (:meth:`forecasts.history.History.screened`) is fitted as the usual count of
  its interval, and a day or campaign instance far out of line with the others is left out of the
  spread (:func:`forecasts.kernels.inliers`).

A weekday with no rows in recent history (weekends in a weekday-only call centre) is forecast as
closed (0).

:class:`Forecaster` follows the protocol of :mod:`forecasts.baselines`: ``fit(history) -> self``,
``predict(h_days, level) -> dict of arrays`` for the days after the history; :meth:`Forecaster.frame`
gives the table ``schedule forecast`` writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.errors import InputError
from core.names import channel_rank
from forecasts import kernels as K
from forecasts.calendar import Calendar
from forecasts.components import COMPONENTS, REGULAR, Baseline, CampaignPhase, ChannelHistory, Plan, Priors
from forecasts.days import Days, build_days
from forecasts.history import History
from forecasts.inputs import calendar_notes


@dataclass(frozen=True)
class ForecastConfig:
    interval_min: int = 60
    level_halflife_days: float = 28.0
    level_window_days: int = 70
    dow_weeks: int = 12
    profile_weeks: int = 12
    profile_dow_blend: float | None = None  # weight of a weekday's own shape; None: shrink by the data
    class_z: float = 12.0                   # weekdays split into classes when their level and shape differ
                                            # by more than this many standard errors of the statistic
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
class ChannelFit:
    """One channel's fitted components, in the order they apply, and its noise."""

    channel: str
    components: list
    day_sigma: float
    special_sigma: float
    phi: float


def _take(days: Days, idx: np.ndarray) -> Days:
    """The rows ``idx`` of a :class:`Days`."""
    return Days(dates=[days.dates[i] for i in idx], **{
        k: getattr(days, k)[idx] for k in ("dow", "day_type", "holiday_key", "holiday_name", "campaign",
                                          "phase", "offset", "dated", "presale_h", "month_key")})


@dataclass
class Forecaster:
    """Fit on history before the forecast start; predict the days after it."""

    calendar: Calendar
    scenario: object = None        # the campaign source (promotions, events); None: no campaigns
    default_aht_s: dict[str, float] = field(default_factory=dict)
    promo_fallback: dict[tuple[str, str], float] = field(default_factory=dict)  # (event, channel) -> multiplier
    promo_forced: dict[tuple[str, str], float] = field(default_factory=dict)
    config: ForecastConfig = ForecastConfig()
    notes: list[str] = field(default_factory=list)
    fit_notes: list[str] = field(default_factory=list)   # what the fit said about the history (outliers)

    @classmethod
    def from_scenario(cls, scenario, calendar: Calendar, config: ForecastConfig | None = None) -> Forecaster:
        fallback, forced = {}, {}
        for p in scenario.promotions:
            for ch, eff in p.effects.items():
                (forced if eff.forced else fallback)[(p.name, ch)] = eff.multiplier
        return cls(calendar=calendar, scenario=scenario,
                   default_aht_s={c: s.default_aht_s for c, s in scenario.channels.items()},
                   promo_fallback=fallback, promo_forced=forced,
                   config=config or ForecastConfig(interval_min=scenario.interval_min, seed=scenario.seed))

    # ------------------------------------------------------------------------------------------
    def fit(self, history: History) -> Forecaster:
        cfg = self.config
        hist = history.aggregate(cfg.interval_min) if history.interval_min != cfg.interval_min else history
        hist, self.fit_notes = hist.screened()  # a flagged cell is fitted as the usual count there
        self.history = hist
        self.start_hist, self.end_hist = hist.first_date, hist.last_date
        n_days = (self.end_hist - self.start_hist).days + 1
        if n_days < cfg.min_history_days:
            raise InputError(f"history has {n_days} days before the forecast start; at least "
                             f"{cfg.min_history_days} are needed", file=hist.source, field="interval_start")
        self.calendar.check_covers(self.start_hist, self.end_hist, what="history")
        self.days = build_days(self.calendar, self.scenario, self.start_hist, self.end_hist, cfg.interval_min,
                               cfg.month_turn)
        self.fits = {ch: self._fit_channel(self._channel_history(hist, ch)) for ch in hist.channels}
        self.channels_ = sorted(self.fits, key=channel_rank)
        return self

    def _channel_history(self, hist: History, channel: str) -> ChannelHistory:
        cfg, d = self.config, self.days
        Y, observed = hist.matrix(channel, self.start_hist, self.end_hist)
        A, _ = hist.matrix(channel, self.start_hist, self.end_hist, column="aht_s")
        n = len(Y)
        recent = (n - 1) - np.arange(n) < cfg.profile_weeks * 7
        open_dow = np.array([(observed & (d.dow == k) & recent).any() for k in range(7)])
        if not open_dow.any():
            open_dow = np.array([(observed & (d.dow == k)).any() for k in range(7)])
        # unexpected closures: a day of an open weekday with no rows, not a holiday; the next open days
        # carry the calls that could not get through and are left out of the fit
        post_closure = np.zeros(n, dtype=bool)
        if cfg.post_closure_days > 0:
            for i in np.flatnonzero(~observed & open_dow[d.dow] & ~d.holiday):
                nxt = np.flatnonzero(observed[i + 1:i + 15])[:cfg.post_closure_days]
                post_closure[i + 1 + nxt] = True
        scored = d.normal & observed
        priors = Priors({e: m for (e, c), m in self.promo_fallback.items() if c == channel},
                        {e: m for (e, c), m in self.promo_forced.items() if c == channel},
                        self.default_aht_s.get(channel, 300.0))
        return ChannelHistory(channel, Y, A, observed, d, scored & ~post_closure, scored, open_dow, cfg, priors)

    def _regular(self, h: ChannelHistory, end: int) -> tuple[list, Baseline]:
        """The regular-day components fitted on days [0, end) (weekly and month turn twice: each
        deseasonalises the other)."""
        weekly, month, level = (c() for c in REGULAR)
        base = Baseline.start(h.n, h.Y.shape[1])
        for _ in range(2):
            weekly.fit(h, base, end)
            month.fit(h, base, end)
        level.fit(h, base, end)
        return [weekly, month, level], base

    def _fit_channel(self, h: ChannelHistory) -> ChannelFit:
        regular, base = self._regular(h, h.n)
        day_sigma, base.phi = self._calibrate(h)
        special = []
        for cls in COMPONENTS[len(REGULAR):]:
            comp = cls()
            comp.fit(h, base)
            special.append(comp)
        campaign = next(c for c in special if isinstance(c, CampaignPhase))
        return ChannelFit(h.channel, regular + special, day_sigma, max(campaign.sigma, day_sigma), base.phi)

    def _calibrate(self, h: ChannelHistory) -> tuple[float, float]:
        """(day-level log sigma, slot-level NB dispersion) from refits at weekly origins before the end
        of the history, each scored on the week after it (only what a forecast then could know)."""
        cfg, n = self.config, h.n
        total = h.total
        errs, act_rows, fit_rows, pred_tot, share_sq = [], [], [], [], []
        for j in range(1, cfg.calib_folds + 1):
            end = n - 7 * j
            if end < max(cfg.min_history_days, 28):
                break
            regular, _ = self._regular(h, end)
            days = np.arange(end, min(end + 7, n))
            days = days[h.scored[days] & h.open_dow[h.days.dow[days]]]
            if not len(days):
                continue
            plan = Plan.start(_take(h.days, days), days - end + 1, h.Y.shape[1])
            for comp in regular:
                comp.apply(plan)
            pred = plan.level * plan.factor
            prof = plan.shape / np.maximum(plan.shape.sum(axis=1, keepdims=True), 1e-12)
            good = (pred > 0) & (total[days] > 0)
            errs.extend(np.log(total[days][good] / pred[good]))
            act_rows.append(h.Y[days])
            fit_rows.append(total[days, None] * prof)
            pred_tot.extend(pred[good])
            share_sq.extend(np.square(prof[good]).sum(axis=1))
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
        return max(float(np.sqrt(max(day_var, 0.0))), 0.02), phi

    # ------------------------------------------------------------------------------------------
    def check_reach(self, start: dt.date) -> None:
        lead = (start - self.end_hist).days - 1
        if lead > self.config.max_lead_days:
            raise InputError(f"the forecast starts {start} but history ends {self.end_hist}: more than "
                             f"{self.config.max_lead_days} days ahead is outside the history's reach",
                             file=self.history.source, field="interval_start")

    def _plans(self, start: dt.date, days: int) -> dict[str, Plan]:
        cfg = self.config
        end = start + dt.timedelta(days=days - 1)
        self.calendar.check_covers(start, end, what="forecast")
        info = build_days(self.calendar, self.scenario, start, end, cfg.interval_min, cfg.month_turn)
        leads = (start - self.end_hist).days + np.arange(days)
        slots = 1440 // cfg.interval_min
        self.notes = calendar_notes(self.scenario, self.calendar) + self.fit_notes
        out = {}
        for ch in self.channels_:
            plan = Plan.start(info, leads, slots, ch)
            for comp in self.fits[ch].components:
                comp.apply(plan)
            self.notes.extend(n for n in plan.notes if n not in self.notes)
            out[ch] = plan
        return out

    def _bands(self, plans: dict[str, Plan], quantiles) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(mean, low, high) [days, slots] per channel; one seeded generator, channels in order. The band
        holds the mean (a sparse interval's p90 of counts can be 0 below a mean of 0.1)."""
        rng = np.random.default_rng(self.config.seed)
        out = {}
        for ch, plan in plans.items():
            f = self.fits[ch]
            mu = plan.mean()
            extra = 0.0015 * np.maximum(plan.leads - 7, 0)
            sigma = np.hypot(np.where(plan.special, f.special_sigma, f.day_sigma), extra)
            q = K.simulate_quantiles(mu, sigma, f.phi, tuple(quantiles), self.config.n_sims, rng)
            out[ch] = (mu, np.minimum(q[0], mu), np.maximum(q[-1], mu))
        return out

    def predict(self, h_days: int, level: tuple[int, ...] = (80,)) -> dict[str, np.ndarray]:
        """The ``h_days`` days after the history, statsforecast style: ``mean``, ``lo-<level>``,
        ``hi-<level>`` and ``aht_s``, each ``[channel, day, slot]`` in the order of ``channels_``."""
        start = self.end_hist + dt.timedelta(days=1)
        self.check_reach(start)
        plans = self._plans(start, h_days)
        out: dict[str, list] = {"mean": [], "aht_s": []}
        for lv in level:
            q = ((100 - lv) / 200, 1 - (100 - lv) / 200)
            bands = self._bands(plans, q)
            out[f"lo-{lv}"] = [bands[ch][1] for ch in self.channels_]
            out[f"hi-{lv}"] = [bands[ch][2] for ch in self.channels_]
        out["mean"] = [plans[ch].mean() for ch in self.channels_]
        out["aht_s"] = [plans[ch].aht for ch in self.channels_]
        return {k: np.array(v) for k, v in out.items()}

    def frame(self, start: dt.date, days: int) -> pd.DataFrame:
        """Columns ``interval_start, channel, contacts, contacts_p10, contacts_p90, aht_s``."""
        cfg = self.config
        if start <= self.end_hist:
            raise InputError(f"history runs to {self.end_hist}, past the forecast start {start}: fit on "
                             f"history before the start", field="interval_start")
        self.check_reach(start)
        plans = self._plans(start, days)
        bands = self._bands(plans, cfg.quantiles)
        slots = 1440 // cfg.interval_min
        ts = pd.Timestamp(start) + pd.to_timedelta(np.arange(days * slots) * cfg.interval_min, unit="min")
        frames = [pd.DataFrame({"interval_start": ts, "channel": ch, "contacts": bands[ch][0].ravel(),
                                "contacts_p10": bands[ch][1].ravel(), "contacts_p90": bands[ch][2].ravel(),
                                "aht_s": plans[ch].aht.ravel()}) for ch in self.channels_]
        out = pd.concat(frames, ignore_index=True)
        rank = out["channel"].map(channel_rank)
        return (out.assign(_rank=rank).sort_values(["interval_start", "_rank"], kind="stable")
                .drop(columns="_rank").reset_index(drop=True))


def forecast_range(history: History, scenario, calendar: Calendar, start: dt.date, days: int,
                   config: ForecastConfig | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Fit on history strictly before ``start`` and forecast ``days`` days."""
    past = history.before(start)
    if past.frame.empty:
        raise InputError(f"no history before {start}; the history starts {history.first_date}",
                         file=history.source, field="interval_start")
    model = Forecaster.from_scenario(scenario, calendar, config)
    model.fit(past)
    out = model.frame(start, days)
    return out, model.notes
