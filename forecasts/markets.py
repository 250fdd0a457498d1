"""Small synthetic markets with known expected volumes, for benchmarks and tests of shapes the bundled
history does not have.

- :func:`fri_sat_weekend`: a centre whose weekend is Friday-Saturday, with a short Friday (09:00-12:00)
  and a short Saturday, working Sunday to Thursday.
- :func:`moved_presale`: a marketplace shop whose 618 and Double 11 presales open on other dates every
  year, listed in its dated events file (:func:`moved_presale_events`).

Each returns a :class:`Market`: the observed history (Poisson counts around a day-level shock and an
hourly gamma mixing) and the true expected volumes ``expected[channel][day, hour]`` (without the
shocks, whose mean is 1), so a forecast can be scored against the truth instead of the noise.
Only ``numpy.random.default_rng(seed)`` draws randomness: same seed, same market.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.events import CampaignInstance
from forecasts.history import History

HOURS = 24


@dataclass
class Market:
    name: str
    history: History
    expected: dict[str, np.ndarray]      # channel -> [days, 24] true expected contacts
    start: dt.date
    events: list[CampaignInstance]

    def truth(self, channel: str, first: dt.date, days: int) -> np.ndarray:
        i = (first - self.start).days
        return self.expected[channel][i:i + days]


def _shape(hours: dict[int, float]) -> np.ndarray:
    out = np.zeros(HOURS)
    for h, w in hours.items():
        out[h] = w
    return out / out.sum()


def _draw(name: str, start: dt.date, expected: dict[str, np.ndarray], rng: np.random.Generator,
          day_sd: float = 0.05, gamma_k: float = 150.0, events=()) -> Market:
    n = next(iter(expected.values())).shape[0]
    stamps = pd.date_range(start, periods=n * HOURS, freq="h")
    frames = []
    for ch, mu in expected.items():
        shock = np.exp(rng.normal(-day_sd ** 2 / 2, day_sd, size=(n, 1)))
        rate = mu * shock * rng.gamma(gamma_k, 1.0 / gamma_k, size=mu.shape)
        frames.append(pd.DataFrame({"interval_start": stamps, "channel": ch,
                                    "contacts": rng.poisson(rate).ravel().astype(float), "aht_s": np.nan}))
    frame = pd.concat(frames).sort_values(["interval_start", "channel"], kind="stable").reset_index(drop=True)
    return Market(name, History(frame, 60, f"<{name}>"), expected, start, list(events))


def fri_sat_weekend(seed: int = 11, start: dt.date = dt.date(2024, 1, 1), days: int = 546) -> Market:
    """Sunday-Thursday open 08:00-20:00 (Sunday the busiest), Friday 09:00-12:00, Saturday 10:00-16:00 with
    a later peak; 1,200 contacts on an average working day, growing 8% a year."""
    work = _shape({8: 5, 9: 9, 10: 11, 11: 11, 12: 8, 13: 9, 14: 10, 15: 10, 16: 9, 17: 7, 18: 6, 19: 5})
    friday = _shape({9: 10, 10: 12, 11: 9})
    saturday = _shape({10: 6, 11: 8, 12: 9, 13: 11, 14: 12, 15: 10})
    #           Mon   Tue   Wed   Thu   Fri   Sat   Sun
    level = (1.00, 0.97, 0.96, 0.93, 0.28, 0.42, 1.14)
    shapes = (work, work, work, work, friday, saturday, work)
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    growth = 1.08 ** (np.arange(days) / 365.25)
    mu = np.array([1200.0 * g * level[d.weekday()] * shapes[d.weekday()] for d, g in zip(dates, growth)])
    return _draw("fri_sat_weekend", start, {"phone": mu}, np.random.default_rng(seed))


# -- a shop whose presales move ---------------------------------------------------------------------------
def moved_presale_events() -> list[CampaignInstance]:
    """618 and Double 11 of 2023-2025 for the moved-presale shop: the openings move by up to 11 days."""
    rows = (("618", "2023-06-18", "2023-05-31", "2023-06-28", ("2023-05-31T20:00",)),
            ("618", "2024-06-18", "2024-05-24", "2024-06-28", ("2024-05-24T20:00", "2024-06-03T20:00")),
            ("618", "2025-06-18", "2025-05-15", "2025-06-28", ("2025-05-15T20:00", "2025-05-30T20:00")),
            ("double11", "2023-11-11", "2023-10-31", "2023-11-25", ("2023-10-31T20:00",)),
            ("double11", "2024-11-11", "2024-10-20", "2024-11-25", ("2024-10-20T20:00", "2024-10-31T20:00")),
            ("double11", "2025-11-11", "2025-10-10", "2025-11-25", ("2025-10-10T20:00", "2025-10-24T20:00")))
    return [CampaignInstance(event=e, main_day=dt.date.fromisoformat(m), start=dt.date.fromisoformat(s),
                             end=dt.date.fromisoformat(t),
                             presale_at=tuple(dt.datetime.fromisoformat(x) for x in p))
            for e, m, s, t, p in rows]


CAMPAIGN_EFFECT = {  # channel -> (lead plateau, eve, main day, first tail day, presale surge hours)
    "chat": (1.25, 1.7, 3.2, 1.5, (3.0, 2.0, 1.4)),
    "phone": (1.08, 1.25, 1.8, 1.7, (1.6, 1.3, 1.1)),
}


def _campaign_factors(dates: list[dt.date], events: list[CampaignInstance], channel: str,
                      ramp_days: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """(day factors [days], hour factors [days, 24]) of the campaign instances."""
    plateau, eve, main_f, tail1, surge = CAMPAIGN_EFFECT[channel]
    n = len(dates)
    day, hour = np.ones(n), np.ones((n, HOURS))
    t0 = dates[0]
    for c in events:
        for k in range(1, (c.main_day - c.start).days + 1):
            i = (c.main_day - dt.timedelta(days=k) - t0).days
            if 0 <= i < n:
                day[i] *= plateau if k > ramp_days else plateau + (eve - plateau) * (ramp_days - k) / (ramp_days - 1)
        i = (c.main_day - t0).days
        if 0 <= i < n:
            day[i] *= main_f
            hour[i, :2] *= (4.0, 2.0) if channel == "chat" else (1.5, 1.2)
            hour[i - 1, 20:] *= 1.4 if channel == "chat" else 1.1
        tail = (c.end - c.main_day).days
        for k in range(1, tail + 1):
            i = (c.main_day + dt.timedelta(days=k) - t0).days
            if 0 <= i < n:
                day[i] *= 1 + (tail1 - 1) * ((tail - k + 1) / tail) ** 1.5
        for at in c.presale_at:
            flat = (at.date() - t0).days * HOURS + at.hour
            for j, m in enumerate(surge):
                if 0 <= flat + j < n * HOURS:
                    hour.flat[flat + j] *= m
    return day, hour


def moved_presale(seed: int = 12, start: dt.date = dt.date(2023, 1, 1), days: int = 1096) -> Market:
    """Chat and phone of a marketplace shop, open every day, a weekday and a weekend shape, 12% growth a
    year; 618 and Double 11 on the dates of :func:`moved_presale_events` (a lead plateau, a 7-day run-up
    to the eve, presale-opening surges at 20:00, the main day with its midnight surge, a decaying
    after-sale tail)."""
    events = moved_presale_events()
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    growth = 1.12 ** (np.arange(days) / 365.25)
    dow = np.array([d.weekday() for d in dates])
    shapes = {
        "chat": (_shape(dict(enumerate((1.3, .7, .4, .25, .2, .25, .5, 1.2, 2.8, 5, 6.2, 6.2, 5.3, 5.6, 6.2,
                                        6.2, 5.9, 5.3, 4.2, 4.5, 5.8, 6.6, 5, 2.6)))),
                 _shape(dict(enumerate((1.8, 1, .55, .35, .3, .3, .5, 1, 2, 3.8, 5.3, 5.9, 5.5, 5.7, 6.1, 6.1,
                                        5.9, 5.5, 4.7, 4.8, 5.8, 6.3, 5.2, 3.2))))),
        "phone": (_shape({h: w for h, w in zip(range(8, 22), (1, 8, 11, 10.6, 6.5, 8.4, 10.5, 10.8, 10, 8, 2.5,
                                                                1.6, 1.5, 1.2))}),
                  _shape({h: w for h, w in zip(range(9, 21), (6.5, 9.8, 10.4, 8, 9, 10, 10, 9.4, 8, 3, 2.2, 2))})),
    }
    weekly = {"chat": (1.03, 1.0, .99, .98, 1.0, 1.02, 1.06), "phone": (1.1, 1.02, .99, .97, .92, .62, .58)}
    base = {"chat": 1800.0, "phone": 260.0}
    expected = {}
    for ch in ("chat", "phone"):
        day_f, hour_f = _campaign_factors(dates, events, ch)
        shape = np.where((dow >= 5)[:, None], shapes[ch][1][None], shapes[ch][0][None])
        mu = (base[ch] * growth * np.array(weekly[ch])[dow] * day_f)[:, None] * shape * hour_f
        expected[ch] = mu
    return _draw("moved_presale", start, expected, np.random.default_rng(seed), events=events)
