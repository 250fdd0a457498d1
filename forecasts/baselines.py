"""Reference forecasts to measure the forecaster against.

All models take a day x slot matrix of past counts (``y[day, slot]``, the last row the day before
the forecast origin), a ``observed[day]`` mask (False for days with no rows at all: closed or not
recorded) and the weekday of every past day, in the statsforecast style ``fit(...) -> self``,
``predict(h_days, level=None) -> {"mean": [h_days, slots], ...}``. Pure numpy, no calendar.

- :class:`SeasonalNaive`: each day repeats the last observed day of the same weekday before the
  origin (for a 7-day horizon that is the value one week earlier, or two where that day was
  closed).
- :class:`MeanSameWeekday`: mean of the last ``k`` observed same weekdays before the origin
  (``k = 4`` is the planners' "mean of the last four Mondays").
- :class:`StatsForecastPeer`: statsforecast's MSTL (daily and weekly seasonality of the interval
  series, AutoETS trend) fitted on recent weeks; only where ``statsforecast`` is importable.

A weekday with no observed day in the fitting window forecasts 0 (a closed day class).
"""

from __future__ import annotations

import numpy as np


def _check(y: np.ndarray, observed: np.ndarray, dow: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float)
    observed = np.asarray(observed, dtype=bool)
    dow = np.asarray(dow, dtype=int)
    if y.ndim != 2 or len(observed) != len(y) or len(dow) != len(y):
        raise ValueError("y must be [days, slots] with one observed flag and one weekday per day")
    return y, observed, dow


class MeanSameWeekday:
    """Mean of the last ``k`` observed same weekdays before the origin."""

    name = "mean4_same_weekday"

    def __init__(self, k: int = 4):
        if k < 1:
            raise ValueError("k must be at least 1")
        self.k = k

    def fit(self, y: np.ndarray, observed: np.ndarray, dow: np.ndarray) -> MeanSameWeekday:
        y, observed, dow = _check(y, observed, dow)
        slots = y.shape[1]
        self.by_dow_ = np.zeros((7, slots))
        for d in range(7):
            idx = np.flatnonzero(observed & (dow == d))[-self.k:]
            if len(idx):
                self.by_dow_[d] = y[idx].mean(axis=0)
        self.next_dow_ = (int(dow[-1]) + 1) % 7
        return self

    def predict(self, h_days: int, level=None) -> dict[str, np.ndarray]:
        days = (self.next_dow_ + np.arange(h_days)) % 7
        return {"mean": self.by_dow_[days]}


class SeasonalNaive(MeanSameWeekday):
    """Last observed same weekday before the origin (one-week seasonal naive)."""

    name = "seasonal_naive"

    def __init__(self):
        super().__init__(k=1)


class StatsForecastPeer:
    """statsforecast MSTL on the interval series of open days, seasons of one day and one week.

    The series keeps only weekdays that were open in the fitting window (a weekday-only centre
    becomes a 5-day week); a closed day of an open weekday (a holiday) is filled with the mean of
    its weekday, so the seasonal periods stay aligned. Negative forecasts are clipped to 0.
    """

    name = "statsforecast"

    def __init__(self, weeks: int = 16, level: tuple[int, ...] = (80,)):
        self.weeks = weeks
        self.level = level

    @staticmethod
    def available() -> bool:
        try:
            import statsforecast.models  # noqa: F401
        except Exception:  # not installed, or an incompatible build
            return False
        return True

    def fit(self, y: np.ndarray, observed: np.ndarray, dow: np.ndarray) -> StatsForecastPeer:
        from statsforecast.models import MSTL, AutoETS

        y, observed, dow = _check(y, observed, dow)
        n = min(len(y), self.weeks * 7)
        y, observed, dow = y[-n:], observed[-n:], dow[-n:]
        slots = y.shape[1]
        self.open_dow_ = np.array([(observed & (dow == d)).any() for d in range(7)])
        keep = self.open_dow_[dow]
        filled = y.copy()
        for d in np.flatnonzero(self.open_dow_):
            sel = dow == d
            mean = y[sel & observed].mean(axis=0)
            filled[sel & ~observed] = mean
        series = filled[keep].ravel()
        self.slots_ = slots
        self.days_per_week_ = int(self.open_dow_.sum())
        self.next_dow_ = (int(dow[-1]) + 1) % 7
        seasons = [slots, slots * self.days_per_week_] if self.days_per_week_ > 1 else [slots]
        self.model_ = MSTL(season_length=seasons, trend_forecaster=AutoETS(model="ZZN")).fit(series)
        return self

    def predict(self, h_days: int, level=None) -> dict[str, np.ndarray]:
        days = (self.next_dow_ + np.arange(h_days)) % 7
        open_days = self.open_dow_[days]
        n_open = int(open_days.sum())
        out = np.zeros((h_days, self.slots_))
        if n_open:
            fc = self.model_.predict(h=n_open * self.slots_)
            out[open_days] = np.maximum(fc["mean"], 0.0).reshape(n_open, self.slots_)
        return {"mean": out}


BASELINES = {"seasonal_naive": SeasonalNaive, "mean4_same_weekday": MeanSameWeekday,
             "statsforecast": StatsForecastPeer}
