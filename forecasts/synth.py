"""Seeded generator of the bundled default data: contact history and agent pool.

The history imitates the customer service of a mid-size Tmall flagship store, 2023-01-01 to
2025-12-31, hourly, for chat, phone and email. It is built from parts a planner can name:

``expected contacts[day, hour, channel] = base volume x growth x weekly factor x holiday factor
x promotion day factor x daily level shock x intraday share x promotion hour factor``

and the observed count is negative binomial (gamma-Poisson) around it, so variance > mean.
Handle times are the contacts-weighted mean of per-contact gamma handle times around an expected
AHT that varies by hour and by season (presale lowers it, after-sale tails raise it).

Campaign dates come from the scenario: its dated instances (``events``, ``scenarios/events_cn.csv``
for the bundled baseline) and the ``[[promotions]]`` month-day rule for the years they do not list;
the effect sizes are the generator's own "truth" in :class:`SynthParams`, not the
scenario's ``effects`` (those are planner fallbacks, and reading them would make the forecast
tests circular).

Only ``numpy.random.default_rng(seed)`` draws randomness, in a fixed order, so the same
parameters give the same frame byte for byte. ``python -m forecasts.synth`` rewrites
``forecasts/data/history.csv.gz`` and ``scenarios/agents.csv``.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core.atomic import atomic_file
from core.errors import InputError
from core.names import CHANNELS, HOLIDAY_DAY_TYPES
from core.scenario import Scenario, load_scenario
from forecasts.calendar import Calendar
from scenarios import DEFAULT_AGENTS, DEFAULT_SCENARIO

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_HISTORY = DATA_DIR / "history.csv.gz"
HISTORY_COLUMNS = ("interval_start", "channel", "contacts", "aht_s")
AGENT_COLUMNS = ("agent_id", "name", "skills", "contract", "hourly_cost", "max_weekly_h", "team",
                 "unavailable")
HOURS = 24

ChannelMap = dict[str, float]


def _per_channel(chat: float, phone: float, email: float) -> ChannelMap:
    return {"chat": chat, "phone": phone, "email": email}


# ------------------------------------------------------------------------------------------
# parameters
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PromotionEffect:
    """The true effect of one promotion on contacts and handle times (all multipliers [1]).

    - ``lead_start`` / ``lead_peak``: day multiplier on the lead days (a plateau from the first lead
      day) and on the last one (the day before the main day), rising linearly over the last
      :attr:`SynthParams.lead_ramp_days` lead days: pre-sale questions, mostly chat.
    - ``presale_surge``: chat multipliers for the hours starting at each ``presale_at`` instant
      (e.g. 20:00, 21:00, 22:00), on top of the lead multiplier; other channels get the share
      ``presale_share`` of the excess (``1 + (m - 1) x share``).
    - ``eve_evening``: multiplier for 20:00-23:59 on the evening before the main day (waiting for
      midnight); channels as for the presale surge.
    - ``main_day``: the main day's daily total as a multiple of a normal day of that type.
    - ``midnight_surge``: multipliers for 00:00 and 01:00 of the main day relative to the normal
      value of that hour; the other hours are scaled so the day total matches ``main_day``.
    - ``tail_day1``: after-sale multiplier on the first day after the main day, decaying to 1.0
      after the scenario's ``tail_days`` (see :attr:`SynthParams.tail_decay_power`).
    - ``aht_lead`` / ``aht_main``: AHT multiplier on lead days / the main day (short presale
      questions); ``aht_tail_day1``: AHT multiplier on the first tail day, decaying like the tail.
    """

    lead_start: ChannelMap
    lead_peak: ChannelMap
    presale_surge: tuple[float, ...]
    main_day: ChannelMap
    midnight_surge: dict[str, tuple[float, float]]
    tail_day1: ChannelMap
    eve_evening: float = 1.2
    presale_share: ChannelMap = field(default_factory=lambda: _per_channel(1.0, 0.2, 0.1))
    aht_lead: ChannelMap = field(default_factory=lambda: _per_channel(0.96, 0.98, 0.98))
    aht_main: ChannelMap = field(default_factory=lambda: _per_channel(0.92, 0.96, 0.97))
    aht_tail_day1: ChannelMap = field(default_factory=lambda: _per_channel(1.10, 1.14, 1.12))


def _default_promotion_effects() -> dict[str, PromotionEffect]:
    return {
        "new_year_goods": PromotionEffect(
            lead_start=_per_channel(1.05, 1.00, 1.02), lead_peak=_per_channel(1.15, 1.03, 1.05),
            presale_surge=(2.2, 1.6, 1.2), main_day=_per_channel(1.3, 1.1, 1.15),
            midnight_surge={"chat": (1.8, 1.4), "phone": (1.1, 1.0), "email": (1.2, 1.1)},
            tail_day1=_per_channel(1.08, 1.2, 1.2), eve_evening=1.1),
        "womens_day": PromotionEffect(
            lead_start=_per_channel(1.15, 1.03, 1.05), lead_peak=_per_channel(1.3, 1.08, 1.1),
            presale_surge=(2.8, 2.0, 1.4), main_day=_per_channel(1.6, 1.2, 1.3),
            midnight_surge={"chat": (3.5, 2.5), "phone": (1.4, 1.2), "email": (1.5, 1.3)},
            tail_day1=_per_channel(1.12, 1.35, 1.35), eve_evening=1.25),
        "618": PromotionEffect(
            lead_start=_per_channel(1.1, 1.02, 1.04), lead_peak=_per_channel(1.45, 1.12, 1.18),
            presale_surge=(2.9, 2.1, 1.4), main_day=_per_channel(2.5, 1.6, 1.8),
            midnight_surge={"chat": (6.5, 4.0), "phone": (2.5, 1.8), "email": (2.2, 1.6)},
            tail_day1=_per_channel(1.3, 1.6, 1.7), eve_evening=1.45),
        "double11": PromotionEffect(
            lead_start=_per_channel(1.15, 1.03, 1.05), lead_peak=_per_channel(1.6, 1.15, 1.25),
            presale_surge=(3.0, 2.2, 1.5), main_day=_per_channel(3.5, 2.0, 2.5),
            midnight_surge={"chat": (8.5, 5.5), "phone": (3.5, 2.5), "email": (3.0, 2.0)},
            tail_day1=_per_channel(1.4, 1.8, 2.0), eve_evening=1.6),
        "double12": PromotionEffect(
            lead_start=_per_channel(1.15, 1.03, 1.05), lead_peak=_per_channel(1.3, 1.08, 1.1),
            presale_surge=(2.8, 2.0, 1.4), main_day=_per_channel(1.6, 1.25, 1.3),
            midnight_surge={"chat": (3.5, 2.5), "phone": (1.5, 1.3), "email": (1.5, 1.3)},
            tail_day1=_per_channel(1.15, 1.35, 1.4), eve_evening=1.25),
    }


def _default_promotion() -> PromotionEffect:
    """Used for a scenario promotion whose name the generator does not know."""
    return _default_promotion_effects()["double12"]


def _n(*weights: float) -> tuple[float, ...]:
    """A 24-hour shape, normalized to sum to 1."""
    assert len(weights) == HOURS
    total = sum(weights)
    return tuple(w / total for w in weights)


@dataclass(frozen=True)
class SynthParams:
    """Every knob of the generator, with its unit. The defaults make the bundled data.

    Volumes and factors:

    - ``seed`` [1]: seed of ``numpy.random.default_rng``.
    - ``start_date`` / ``end_date`` [date]: first and last day generated (inclusive).
    - ``base_daily`` [contacts/day]: expected daily total per channel on a normal weekday (mean of
      Monday-Friday, no holiday, no promotion) at ``start_date``.
    - ``annual_growth`` [1/year]: compound growth of all volumes, e.g. 0.13 = +13% a year.
    - ``weekly`` [1]: day-of-week factor per channel, Monday..Sunday; Mon-Fri average 1.
    - ``makeup_weekly`` [1]: factor on a makeup workday (调休上班), which also gets the working-day
      intraday shape.
    - ``intraday_working`` / ``intraday_rest`` [1]: 24 hourly shares of the daily total per channel
      (each sums to 1) on working days (weekday, makeup workday) and on rest days (weekend, holiday).
    - ``holiday_factor`` [1]: per festival (name as the calendar gives it) and channel, multiplier on
      the rest-day level (mean of the Saturday and Sunday factors) for statutory holidays and holiday
      rest days; ``"default"`` applies to festivals not listed.
    - ``spring_pre_days`` [days] / ``spring_pre_min`` [1]: logistics wind-down before the Spring
      Festival block, a factor falling linearly to ``spring_pre_min`` on the day before the block.
    - ``spring_rebound_days`` [days] / ``spring_rebound`` [1]: rebound after the block (parcels
      restart, after-sale backlog), ``spring_rebound`` on the first day after, decaying like a tail.

    Promotions:

    - ``promotion_effects``: :class:`PromotionEffect` by promotion name; ``default_promotion`` for
      other names.
    - ``presale_hours`` [h]: how many hours a presale surge lasts (the first hours of
      ``presale_surge``).
    - ``lead_ramp_days`` [days]: the lead's run-up to the main day (the plateau before it).
    - ``tail_decay_power`` [1]: tail excess on day k of T is ``(m1 - 1) x ((T - k + 1) / T) ** p``,
      so it reaches 0 the day after the tail.

    Noise:

    - ``day_shock_sd`` [1]: sd of the per-day, per-channel log-normal level shock (mean 1).
    - ``hourly_gamma_shape`` [1]: shape k of the gamma mixing the hourly Poisson rate (negative
      binomial counts, variance = mu + mu^2 / k).

    Handle time:

    - ``aht_base_s`` [s]: mean handle time per channel at ``start_date`` (chat: elapsed time of a
      concurrent IM session).
    - ``aht_hourly`` [1]: 24 hourly AHT factors per channel (longer at night and in the first open
      hour, which carries the night's backlog).
    - ``aht_trend_per_year`` [1/year]: drift of AHT (negative: a maturing knowledge base).
    - ``aht_day_shock_sd`` [1]: sd of the per-day log-normal AHT shock.
    - ``aht_contact_cv`` [1]: coefficient of variation of one contact's handle time.
    - ``aht_min_s`` [s]: shortest handle time of one contact; a contact takes this floor plus a
      gamma-distributed remainder.
    """

    seed: int = 20231111
    start_date: dt.date = dt.date(2023, 1, 1)
    end_date: dt.date = dt.date(2025, 12, 31)
    base_daily: ChannelMap = field(default_factory=lambda: _per_channel(1800.0, 240.0, 115.0))
    annual_growth: float = 0.13
    weekly: dict[str, tuple[float, ...]] = field(default_factory=lambda: {
        #         Mon   Tue   Wed   Thu   Fri   Sat   Sun
        "chat": (1.03, 1.00, 0.99, 0.98, 1.00, 1.01, 1.05),
        "phone": (1.10, 1.02, 0.99, 0.97, 0.92, 0.62, 0.58),
        "email": (1.15, 1.00, 0.97, 0.95, 0.93, 0.60, 0.60),
    })
    makeup_weekly: ChannelMap = field(default_factory=lambda: _per_channel(0.98, 0.96, 0.96))
    intraday_working: dict[str, tuple[float, ...]] = field(default_factory=lambda: {
        #           00   01   02   03   04   05   06   07   08   09   10   11
        #           12   13   14   15   16   17   18   19   20   21   22   23
        "chat": _n(1.3, 0.7, 0.4, 0.25, 0.2, 0.25, 0.5, 1.2, 2.8, 5.0, 6.2, 6.2,
                   5.3, 5.6, 6.2, 6.2, 5.9, 5.3, 4.2, 4.5, 5.8, 6.6, 5.0, 2.6),
        "phone": _n(0.15, 0.08, 0.05, 0.04, 0.04, 0.06, 0.15, 0.4, 1.2, 8.0, 11.0, 10.6,
                    6.5, 8.4, 10.5, 10.8, 10.0, 8.0, 2.5, 1.6, 1.5, 1.2, 0.7, 0.35),
        "email": _n(1.2, 0.7, 0.4, 0.3, 0.3, 0.4, 0.8, 1.8, 3.5, 5.0, 5.5, 5.5,
                    4.8, 5.0, 5.4, 5.4, 5.2, 5.0, 4.4, 4.0, 4.2, 4.0, 3.2, 2.0),
    })
    intraday_rest: dict[str, tuple[float, ...]] = field(default_factory=lambda: {
        "chat": _n(1.8, 1.0, 0.55, 0.35, 0.3, 0.3, 0.5, 1.0, 2.0, 3.8, 5.3, 5.9,
                   5.5, 5.7, 6.1, 6.1, 5.9, 5.5, 4.7, 4.8, 5.8, 6.3, 5.2, 3.2),
        "phone": _n(0.2, 0.1, 0.06, 0.05, 0.05, 0.06, 0.12, 0.3, 0.9, 6.5, 9.8, 10.4,
                    8.0, 9.0, 10.0, 10.0, 9.4, 8.0, 3.0, 2.2, 2.0, 1.6, 0.9, 0.45),
        "email": _n(1.5, 0.9, 0.5, 0.35, 0.3, 0.35, 0.6, 1.2, 2.5, 4.0, 5.0, 5.3,
                    5.0, 5.2, 5.4, 5.4, 5.2, 5.0, 4.7, 4.5, 4.8, 4.6, 3.8, 2.4),
    })
    holiday_factor: dict[str, ChannelMap] = field(default_factory=lambda: {
        "Spring Festival": _per_channel(0.42, 0.55, 0.5),   # logistics stopped
        "National Day": _per_channel(0.8, 0.85, 0.85),
        "default": _per_channel(0.85, 0.88, 0.88),
    })
    spring_pre_days: int = 6
    spring_pre_min: ChannelMap = field(default_factory=lambda: _per_channel(0.72, 0.8, 0.8))
    spring_rebound_days: int = 8
    spring_rebound: ChannelMap = field(default_factory=lambda: _per_channel(1.2, 1.4, 1.45))
    promotion_effects: dict[str, PromotionEffect] = field(default_factory=_default_promotion_effects)
    default_promotion: PromotionEffect = field(default_factory=_default_promotion)
    presale_hours: int = 3
    lead_ramp_days: int = 7
    tail_decay_power: float = 1.5
    day_shock_sd: float = 0.05
    hourly_gamma_shape: float = 120.0
    aht_base_s: ChannelMap = field(default_factory=lambda: _per_channel(420.0, 270.0, 360.0))
    aht_hourly: dict[str, tuple[float, ...]] = field(default_factory=lambda: {
        #            00    01    02    03    04    05    06    07    08    09    10    11
        #            12    13    14    15    16    17    18    19    20    21    22    23
        "chat": (1.10, 1.12, 1.12, 1.12, 1.12, 1.10, 1.08, 1.05, 1.04, 1.06, 1.00, 0.99,
                 1.00, 1.00, 0.99, 0.99, 1.00, 1.00, 1.01, 1.00, 0.97, 0.97, 1.00, 1.05),
        "phone": (1.08, 1.08, 1.08, 1.08, 1.08, 1.08, 1.06, 1.05, 1.04, 1.05, 1.00, 0.99,
                  1.00, 1.00, 0.99, 0.99, 1.00, 1.01, 1.03, 1.04, 1.04, 1.05, 1.06, 1.07),
        "email": (1.05, 1.05, 1.05, 1.05, 1.05, 1.05, 1.04, 1.03, 1.03, 1.05, 1.00, 1.00,
                  1.00, 1.00, 1.00, 1.00, 1.00, 1.00, 1.01, 1.02, 1.02, 1.02, 1.03, 1.04),
    })
    aht_trend_per_year: float = -0.015
    aht_day_shock_sd: float = 0.03
    aht_contact_cv: ChannelMap = field(default_factory=lambda: _per_channel(0.7, 0.9, 0.8))
    aht_min_s: ChannelMap = field(default_factory=lambda: _per_channel(20.0, 15.0, 30.0))

    def __post_init__(self):
        if self.end_date < self.start_date:
            raise ValueError(f"end_date {self.end_date} is before start_date {self.start_date}")
        for name in ("weekly", "intraday_working", "intraday_rest", "aht_hourly", "base_daily",
                     "aht_base_s", "makeup_weekly"):
            missing = [c for c in CHANNELS if c not in getattr(self, name)]
            if missing:
                raise ValueError(f"SynthParams.{name} lacks channel(s) {', '.join(missing)}")
        for ch in CHANNELS:
            if len(self.weekly[ch]) != 7:
                raise ValueError(f"SynthParams.weekly[{ch!r}] needs 7 factors (Mon..Sun)")
            for name in ("intraday_working", "intraday_rest", "aht_hourly"):
                if len(getattr(self, name)[ch]) != HOURS:
                    raise ValueError(f"SynthParams.{name}[{ch!r}] needs 24 hourly values")
        if self.hourly_gamma_shape <= 0:
            raise ValueError("SynthParams.hourly_gamma_shape must be positive")


# ------------------------------------------------------------------------------------------
# numpy kernels: multipliers on a (days, hours, channels) grid, no I/O
# ------------------------------------------------------------------------------------------
def _tail_shape(k: np.ndarray, length: int, power: float) -> np.ndarray:
    """Share of the day-1 excess left on tail day k (1-based) of ``length``; 0 past the tail."""
    k = np.asarray(k, dtype=float)
    frac = np.clip((length - k + 1) / max(length, 1), 0.0, 1.0)
    return np.where((k >= 1) & (k <= length), frac ** power, 0.0)


def _main_day_profile(shape: np.ndarray, day_mult: float, midnight: tuple[float, float]) -> np.ndarray:
    """Hourly multipliers for a main day: the midnight hours as given, the rest scaled so that the
    day total is ``day_mult`` times a normal day with this intraday ``shape`` (sums to 1)."""
    out = np.empty(HOURS)
    out[:2] = midnight
    head = float(shape[:2] @ out[:2])
    rest = float(shape[2:].sum())
    out[2:] = max((day_mult - head) / rest, 1.0)
    return out


@dataclass
class _Grid:
    """Per-day inputs and the multipliers being built, for ``days`` x ``HOURS`` x ``channels``."""

    dates: list[dt.date]
    day_types: np.ndarray       # (D,) object
    holidays: np.ndarray        # (D,) object, festival name or ''
    day_factor: np.ndarray      # (D, C) volume multipliers
    hour_factor: np.ndarray     # (D*24, C) volume multipliers on the flat hour axis
    aht_day: np.ndarray         # (D, C) AHT multipliers
    working: np.ndarray         # (D,) bool: working-day intraday shape

    @property
    def n_days(self) -> int:
        return len(self.dates)

    def index(self, day: dt.date) -> int | None:
        i = (day - self.dates[0]).days
        return i if 0 <= i < self.n_days else None


def _calendar_factors(grid: _Grid, params: SynthParams) -> None:
    """Weekly shape, holidays, makeup workdays and the Spring Festival wind-down and rebound."""
    weekly = np.array([params.weekly[c] for c in CHANNELS]).T            # (7, C)
    rest_level = weekly[5:7].mean(axis=0)                                # (C,)
    dows = np.array([d.weekday() for d in grid.dates])
    factor = weekly[dows].copy()
    makeup = grid.day_types == "makeup_workday"
    factor[makeup] = [params.makeup_weekly[c] for c in CHANNELS]
    default = params.holiday_factor.get("default", _per_channel(1.0, 1.0, 1.0))
    is_holiday = np.isin(grid.day_types, list(HOLIDAY_DAY_TYPES))
    for i in np.flatnonzero(is_holiday):
        fest = params.holiday_factor.get(grid.holidays[i], default)
        factor[i] = rest_level * [fest[c] for c in CHANNELS]
    grid.day_factor *= factor

    # Spring Festival blocks: runs of holiday days named "Spring Festival".
    spring = is_holiday & (grid.holidays == "Spring Festival")
    idx = np.flatnonzero(spring)
    if idx.size == 0:
        return
    blocks = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1)
    pre_min = np.array([params.spring_pre_min[c] for c in CHANNELS])
    rebound = np.array([params.spring_rebound[c] for c in CHANNELS])
    for block in blocks:
        first, last = int(block[0]), int(block[-1])
        for k in range(1, params.spring_pre_days + 1):      # k days before the block
            i = first - k
            if i >= 0:
                depth = (params.spring_pre_days - k + 1) / params.spring_pre_days
                grid.day_factor[i] *= 1 - (1 - pre_min) * depth
        for k in range(1, params.spring_rebound_days + 1):  # k days after the block
            i = last + k
            if i < grid.n_days:
                share = _tail_shape(k, params.spring_rebound_days, params.tail_decay_power)
                grid.day_factor[i] *= 1 + (rebound - 1) * share
                grid.aht_day[i] *= 1 + 0.06 * share


def _promotion_factors(grid: _Grid, params: SynthParams, scenario: Scenario) -> None:
    """Each campaign instance (dated, or by the month-day rule): lead plateau and run-up, presale surges,
    eve, main day with the midnight surge, after-sale tail."""
    shapes_work = np.array([params.intraday_working[c] for c in CHANNELS]).T   # (24, C)
    shapes_rest = np.array([params.intraday_rest[c] for c in CHANNELS]).T
    for camp in scenario.campaigns(params.start_date, params.end_date):
        eff = params.promotion_effects.get(camp.event, params.default_promotion)
        lead_start = np.array([eff.lead_start[c] for c in CHANNELS])
        lead_peak = np.array([eff.lead_peak[c] for c in CHANNELS])
        share = np.array([eff.presale_share[c] for c in CHANNELS])
        tail1 = np.array([eff.tail_day1[c] for c in CHANNELS])
        aht_lead = np.array([eff.aht_lead[c] for c in CHANNELS])
        aht_tail1 = np.array([eff.aht_tail_day1[c] for c in CHANNELS])
        main = camp.main_day
        # lead days: a plateau at lead_start, then a linear run-up to lead_peak on the eve
        n_lead = (main - camp.start).days
        ramp = min(params.lead_ramp_days, n_lead)
        for k in range(n_lead, 0, -1):
            i = grid.index(main - dt.timedelta(days=k))
            if i is None:
                continue
            t = 0.0 if k > ramp else ((ramp - k) / (ramp - 1) if ramp > 1 else 1.0)
            grid.day_factor[i] *= lead_start + (lead_peak - lead_start) * t
            grid.aht_day[i] *= aht_lead
        # presale openings: surge from that hour
        for at in camp.presale_at:
            i = grid.index(at.date())
            if i is None:
                continue
            h0 = i * HOURS + at.hour
            for j, m in enumerate(eff.presale_surge[:params.presale_hours]):
                if h0 + j < grid.hour_factor.shape[0]:
                    grid.hour_factor[h0 + j] *= 1 + (m - 1) * share
        # the evening before the main day
        i = grid.index(main - dt.timedelta(days=1))
        if i is not None:
            grid.hour_factor[i * HOURS + 20:(i + 1) * HOURS] *= 1 + (eff.eve_evening - 1) * share
        # main day: midnight surge, day total as given
        i = grid.index(main)
        if i is not None:
            shapes = shapes_work if grid.working[i] else shapes_rest
            for c, ch in enumerate(CHANNELS):
                prof = _main_day_profile(shapes[:, c], eff.main_day[ch], eff.midnight_surge[ch])
                grid.hour_factor[i * HOURS:(i + 1) * HOURS, c] *= prof
                grid.aht_day[i, c] *= eff.aht_main[ch]
        # after-sale tail
        tail_days = (camp.end - main).days
        for k in range(1, tail_days + 1):
            i = grid.index(main + dt.timedelta(days=k))
            if i is None:
                continue
            s = _tail_shape(k, tail_days, params.tail_decay_power)
            grid.day_factor[i] *= 1 + (tail1 - 1) * s
            grid.aht_day[i] *= 1 + (aht_tail1 - 1) * s


# ------------------------------------------------------------------------------------------
# public API
# ------------------------------------------------------------------------------------------
def generate_history(params: SynthParams = SynthParams(), scenario: Scenario | None = None) -> pd.DataFrame:
    """Hourly contacts and AHT per channel for every day of ``params``' date range.

    Columns ``interval_start`` (``YYYY-MM-DDTHH:MM``, local time), ``channel``, ``contacts`` [1],
    ``aht_s`` [s]; all 24 hours of every day for chat, phone and email (zero rows kept), sorted by
    time then channel in the order chat, phone, email. Promotion dates come from ``scenario``
    (the bundled baseline when None); the effect sizes from ``params``.
    """
    if scenario is None:
        scenario = load_scenario(DEFAULT_SCENARIO)
    cal = Calendar.cn()
    cal.check_covers(params.start_date, params.end_date, what="synthetic history")
    n_days = (params.end_date - params.start_date).days + 1
    dates = [params.start_date + dt.timedelta(days=i) for i in range(n_days)]
    info = [cal.day_info(d) for d in dates]
    day_types = np.array([t for t, _ in info], dtype=object)
    n_ch = len(CHANNELS)
    grid = _Grid(
        dates=dates, day_types=day_types, holidays=np.array([h for _, h in info], dtype=object),
        day_factor=np.ones((n_days, n_ch)), hour_factor=np.ones((n_days * HOURS, n_ch)),
        aht_day=np.ones((n_days, n_ch)),
        working=np.isin(day_types, ["weekday", "makeup_workday"]))
    _calendar_factors(grid, params)
    _promotion_factors(grid, params, scenario)

    rng = np.random.default_rng(params.seed)
    years = np.arange(n_days) / 365.25                                          # since start
    base = np.array([params.base_daily[c] for c in CHANNELS])
    level = base[None, :] * (1 + params.annual_growth) ** years[:, None]        # (D, C)
    sd = params.day_shock_sd
    shock = np.exp(rng.normal(-sd * sd / 2, sd, size=(n_days, n_ch)))
    shape_w = np.array([params.intraday_working[c] for c in CHANNELS]).T       # (24, C)
    shape_r = np.array([params.intraday_rest[c] for c in CHANNELS]).T
    shapes = np.where(grid.working[:, None, None], shape_w[None], shape_r[None])  # (D, 24, C)
    mu = ((level * grid.day_factor * shock)[:, None, :] * shapes
          * grid.hour_factor.reshape(n_days, HOURS, n_ch))
    k = params.hourly_gamma_shape
    rate = mu * rng.gamma(k, 1.0 / k, size=mu.shape)
    contacts = rng.poisson(rate)                                                # (D, 24, C)

    # handle times: expected AHT, then the mean of n gamma handle times around it
    aht_hour = np.array([params.aht_hourly[c] for c in CHANNELS]).T            # (24, C)
    aht_base = np.array([params.aht_base_s[c] for c in CHANNELS])
    trend = (1 + params.aht_trend_per_year) ** years                            # (D,)
    plain = aht_base[None, None, :] * aht_hour[None] * trend[:, None, None]     # (D, 24, C)
    asd = params.aht_day_shock_sd
    aht_shock = np.exp(rng.normal(-asd * asd / 2, asd, size=(n_days, n_ch)))
    expected = plain * (grid.aht_day * aht_shock)[:, None, :]
    # one contact: floor + gamma, with mean ``expected`` and cv ``aht_contact_cv``
    cv = np.array([params.aht_contact_cv[c] for c in CHANNELS])
    floor = np.array([params.aht_min_s[c] for c in CHANNELS])
    excess = np.maximum(expected - floor, 1.0)
    a = (excess / (cv * expected)) ** 2                                         # gamma shape of one contact
    n_pos = np.maximum(contacts, 1)
    draw = floor + rng.gamma(n_pos * a, excess / (n_pos * a))
    aht = np.round(np.where(contacts > 0, draw, plain), 1)

    stamps = pd.date_range(params.start_date, periods=n_days * HOURS, freq="h").strftime("%Y-%m-%dT%H:%M")
    return pd.DataFrame({
        "interval_start": np.repeat(np.asarray(stamps, dtype=object), n_ch),
        "channel": np.tile(np.array(CHANNELS, dtype=object), n_days * HOURS),
        "contacts": contacts.reshape(-1).astype(np.int64),
        "aht_s": aht.reshape(-1),
    })


def history_csv_text(frame: pd.DataFrame) -> str:
    """The exact CSV text of a history frame as bundled (``\\n`` line ends, no index)."""
    return frame.to_csv(index=False, lineterminator="\n", columns=list(HISTORY_COLUMNS))


# -- agent pool --------------------------------------------------------------------------------
_SURNAMES = (  # common surnames, roughly by frequency (first ones drawn more often)
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万严武戴孔汤")
_GIVEN_NAMES = (  # given names typical of agents in their twenties and thirties
    "婷婷", "思雨", "佳怡", "子涵", "晓雯", "雨欣", "梦瑶", "欣怡", "诗涵", "雅琪", "静怡", "可馨",
    "佳琪", "雪", "丽娟", "晓燕", "慧敏", "秀英", "敏", "芳", "娜", "倩", "颖", "琳", "悦", "露",
    "美玲", "海燕", "玉洁", "春梅", "文静", "心怡", "嘉欣", "一诺", "若曦", "梓萱", "晨曦", "紫薇",
    "浩然", "宇航", "俊杰", "子豪", "浩宇", "志强", "建华", "伟", "磊", "涛", "鹏", "超", "杰",
    "明轩", "家豪", "文博", "天宇", "晓东", "海峰", "嘉豪", "宏伟", "振宇", "晓明", "泽宇",
)
_TEAMS = ("A组", "B组", "C组")


def _skill_mix(n_full_time: int, n_part_time: int) -> tuple[list[str], list[str]]:
    """Skill strings for full-time and part-time agents, scaled from a 52-agent reference mix:
    6 phone specialists, 18 ``chat|phone``, 5 ``chat|email``, 3 ``email|chat|phone``, rest chat."""
    n = n_full_time + n_part_time
    counts = {
        "phone": max(1, round(n * 6 / 52)),
        "chat|phone": round(n * 18 / 52),
        "chat|email": max(1, round(n * 5 / 52)),
        "email|chat|phone": round(n * 3 / 52),
    }
    while sum(counts.values()) > n:  # tiny pools: drop the least essential first
        for key in ("chat|phone", "email|chat|phone", "chat|email", "phone"):
            if counts[key] > 0 and sum(counts.values()) > n:
                counts[key] -= 1
    counts["chat"] = n - sum(counts.values())
    part: list[str] = []
    for i in range(n_part_time):  # part-timers work the IM queue, a third of them also phone
        want = ["chat", "chat|phone", "chat"][i % 3]
        if counts[want] == 0:
            want = max(counts, key=lambda s: (counts[s], s))
        counts[want] -= 1
        part.append(want)
    order = ("phone", "email|chat|phone", "chat|email", "chat|phone", "chat")
    full = [s for s in order for _ in range(counts[s])]
    return full, part


def generate_agents(n_full_time: int = 40, n_part_time: int = 12, seed: int = 618) -> pd.DataFrame:
    """A plausible agent pool for the bundled scenario (columns as in ``scheduler/agents.py``).

    Ids ``A001``..; unique Chinese names; skills joined by ``|``; full-time agents cost 36-46
    CNY/h, part-time 28-34 CNY/h (rounded to 0.5, multi-skilled a little more); part-time agents may
    work 24 h a week; teams ``A组``/``B组``/``C组``; a few agents have leave dates in 2025.
    """
    if n_full_time < 0 or n_part_time < 0 or n_full_time + n_part_time == 0:
        raise ValueError("need at least one agent (n_full_time, n_part_time >= 0)")
    n = n_full_time + n_part_time
    if n > len(_SURNAMES) * len(_GIVEN_NAMES):
        raise ValueError(f"cannot make {n} unique names")
    rng = np.random.default_rng(seed)
    full, part = _skill_mix(n_full_time, n_part_time)
    full = [full[i] for i in rng.permutation(len(full))]
    part = [part[i] for i in rng.permutation(len(part))]
    skills = full + part
    contracts = ["full_time"] * n_full_time + ["part_time"] * n_part_time

    weights = 1.0 / np.arange(1, len(_SURNAMES) + 1) ** 0.6
    weights /= weights.sum()
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n:
        name = _SURNAMES[rng.choice(len(_SURNAMES), p=weights)] + _GIVEN_NAMES[rng.integers(len(_GIVEN_NAMES))]
        if name not in seen:
            seen.add(name)
            names.append(name)

    costs = []
    for s, c in zip(skills, contracts):
        extra = 0.8 * (s.count("|"))
        if c == "full_time":
            value = min(46.0, rng.uniform(36.0, 44.0) + extra)
        else:
            value = min(34.0, rng.uniform(28.0, 33.0) + extra)
        costs.append(round(value * 2) / 2)

    unavailable = [""] * n
    leaves = (["2025-03-12"], ["2025-11-13", "2025-11-14"], ["2025-06-16", "2025-06-17", "2025-06-18"])
    picks = rng.choice(n, size=min(len(leaves), n), replace=False)
    for i, days in zip(picks, leaves):
        unavailable[int(i)] = ";".join(days)

    return pd.DataFrame({
        "agent_id": [f"A{i + 1:03d}" for i in range(n)],
        "name": names,
        "skills": skills,
        "contract": contracts,
        "hourly_cost": costs,
        "max_weekly_h": ["" if c == "full_time" else "24" for c in contracts],
        "team": [_TEAMS[i % len(_TEAMS)] for i in range(n)],
        "unavailable": unavailable,
    }, columns=list(AGENT_COLUMNS))


def write_default_data(history_path: str | Path | None = None, agents_path: str | Path | None = None,
                       params: SynthParams = SynthParams(), *, force: bool = True) -> tuple[Path, Path]:
    """Write the history as gzip CSV (deterministic bytes: mtime 0, no file name in the header)
    and the agent pool as UTF-8 CSV with a BOM (so Excel shows the Chinese names).

    Defaults: the bundled files, ``forecasts/data/history.csv.gz`` and ``scenarios/agents.csv`` (how the
    repository's data is made; ``schedule data generate`` writes into the working directory instead).
    Without ``force``, an existing file that differs from what would be written is refused (InputError)
    before anything is written. Returns both paths.
    """
    history_path = Path(history_path) if history_path is not None else DEFAULT_HISTORY
    agents_path = Path(agents_path) if agents_path is not None else DEFAULT_AGENTS
    text = history_csv_text(generate_history(params)).encode("utf-8")
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(text)
    files = {history_path: buf.getvalue(),
             agents_path: generate_agents().to_csv(index=False, lineterminator="\n").encode("utf-8-sig")}
    for path, data in files.items():
        if not force and path.exists() and (not path.is_file() or path.read_bytes() != data):
            raise InputError("exists and differs from the generated data: give another path, or --force to "
                             "replace it", file=path)
    for path, data in files.items():
        atomic_file(path, lambda tmp, d=data: tmp.write_bytes(d))
    return history_path, agents_path


if __name__ == "__main__":
    h, a = write_default_data()
    print(f"wrote {h} ({h.stat().st_size / 1e6:.2f} MB) and {a}")
