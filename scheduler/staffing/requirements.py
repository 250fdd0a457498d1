"""Staffing requirements: forecast contacts -> productive agents -> rostered heads, per interval and channel.

DataFrame orchestration over the pure maths of :mod:`scheduler.staffing.erlang`, plus the numpy
kernels of the deferred (email) model, which live here because only this step uses them.

Contacts that arrive while a channel is closed
    A share ``carry_over_closed`` of them waits for the first open interval after them
    (``carried_over`` at that interval); the rest is lost (callers who do not call again). For queued
    channels (chat, phone) they are a backlog, not a queue: they have waited for hours already, so they
    are worked off evenly over the first ``backlog_clear_h`` open hours (``backlog_contacts`` per
    interval; all in the opening interval when 0) as plain work, ``backlog_load_erl / max_occupancy``
    extra servers on top of what the live arrivals need to meet the target. ``load_erl`` is the live
    arrivals' load, and the service level is that of the live arrivals. ``contacts`` is what an open
    interval handles: its own arrivals plus the backlog worked in it (0 while closed). Carried contacts
    take the AHT of the interval that handles them. Arrivals after the last open interval of the horizon
    have nowhere to go inside it; their number is in ``attrs["unplaced_contacts"]`` of the result.

Phone (``model = "erlang_c"`` or ``"erlang_a"``)
    ``required_agents`` is the smallest number of productive agents that meets ``service_level_target``
    within ``answer_within_s`` with offered occupancy ``A / N`` at most ``max_occupancy``: Erlang C, or
    Erlang A (abandons count as misses) with ``patience_s``.

Chat (concurrency ``k``)
    One agent handling ``k`` chats at once is modelled as ``k`` independent servers ("slots"): the queue
    is M/M/(kN) with the elapsed time a chat holds a slot (first response to close, waits for the
    customer included) as its service time. ``slots = required_agents(load)`` with the Erlang model of
    the channel, then ``agents = ceil(slots / k)``; the occupancy cap applies per slot. Assumptions: the
    handle time of a chat does not depend on how many chats its agent has open; a chat gets its first
    response as soon as a slot is free (an agent with a free slot answers at once); slots are pooled
    across agents. This is optimistic when agents slow down as concurrency rises (in practice each
    extra chat stretches the others): then measure ``aht_s`` at the concurrency you plan for, or lower
    ``concurrency``, and check against simulation or history.

Email (``model = "deferred"``, ``response_window_h``)
    Emails are taken to arrive at the start of their interval and are due ``response_window_h`` later
    (wall clock): by the end of the last open interval that ends by then. One whose deadline passes
    before it can be handled at all is due by the end of the first open interval that can handle it;
    one due after the horizon is due by its last open interval, so nothing is dropped. Capacity is
    ``interval_s x max_occupancy`` seconds of handling per productive agent and interval. Over the open
    intervals, the cumulative work done must stay between the work due so far and the work arrived so
    far; the staffing is the taut string through that corridor: it has the smallest possible peak
    level (the largest ratio of work arriving in a window and due inside it to the capacity of that
    window), is otherwise as flat as it can be, and does exactly the work that arrives (minimal
    agent-hours). Integer agents then stay at or ahead of that fluid plan interval by interval, so
    every deadline still holds, the peak is its ceiling, and total agent-hours exceed the fluid total
    only by rounding. Emails are worked first in, first out (the same as earliest deadline first
    here). ``backlog_contacts`` is what waits at the end of each interval under that staffing. Work
    left from before the horizon is not known here.

Shrinkage
    ``required_scheduled = ceil(required_agents / (1 - shrinkage))``: whole heads to roster, 0 when
    closed.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from core.errors import InputError
from scheduler.staffing.erlang import (
    MAX_LOAD_ERL,
    ROUND_TOL,
    asa_s,
    ceil_count,
    erlang_a_metrics,
    interpolate_agents,
    occupancy,
    offered_load,
    required_agents,
    required_agents_erlang_a,
    service_level,
)

__all__ = [
    "REQUIREMENT_COLUMNS", "COVERAGE_COLUMNS", "compute_requirements", "evaluate_coverage",
    "summarize_service", "carry_over", "email_cohorts", "taut_string",
    "deferred_staffing", "fifo_fluid", "next_open",
]

REQUIREMENT_COLUMNS = ["interval_start", "channel", "open", "arrivals", "carried_over", "contacts", "aht_s",
                       "load_erl", "required_agents", "required_scheduled", "backlog_contacts",
                       "backlog_load_erl"]
COVERAGE_COLUMNS = REQUIREMENT_COLUMNS + ["scheduled_heads", "scheduled_agents", "service_level", "asa_s",
                                          "occupancy"]


# --- numpy kernels: carry-over and the deferred (email) model ------------------------------------------

def next_open(is_open: np.ndarray) -> np.ndarray:
    """Position of the first open interval at or after each position; -1 where there is none.

    The one rule for where a contact arriving while closed is carried to, shared by the requirements
    (:func:`carry_over`, :func:`email_cohorts`) and the queue simulation."""
    open_pos = np.flatnonzero(is_open)
    k = np.searchsorted(open_pos, np.arange(is_open.size), side="left")
    if open_pos.size == 0:
        return np.full(is_open.size, -1)
    return np.where(k < open_pos.size, open_pos[np.minimum(k, open_pos.size - 1)], -1)


def carry_over(arrivals, is_open, share: float) -> tuple[np.ndarray, float]:
    """Contacts carried from closed intervals into the first open interval after them.

    Returns ``(carried_per_position, unplaced)``: ``carried`` is non-zero only at open positions;
    ``unplaced`` counts carried contacts that arrive after the last open position.
    """
    arrivals = np.asarray(arrivals, float)
    is_open = np.asarray(is_open, bool)
    dest = next_open(is_open)
    moving = ~is_open & (dest >= 0)
    carried = np.bincount(dest[moving], weights=share * arrivals[moving], minlength=arrivals.size)
    unplaced = float(share * arrivals[~is_open & (dest < 0)].sum())
    return carried, unplaced


def spread_backlog(carried, is_open, n_intervals: int) -> np.ndarray:
    """Spread each opening's carried contacts evenly over its first ``n_intervals`` open intervals
    (fewer where the open run is shorter); ``n_intervals <= 1`` keeps them in the opening interval."""
    carried = np.asarray(carried, float)
    is_open = np.asarray(is_open, bool)
    out = np.zeros_like(carried)
    for p in np.flatnonzero(carried > 0):
        end = p
        while end + 1 < is_open.size and is_open[end + 1] and end + 1 - p < max(n_intervals, 1):
            end += 1
        out[p:end + 1] += carried[p] / (end + 1 - p)
    return out


def email_cohorts(start_s, is_open, arrivals, aht_s, share: float, interval_s: float, window_s: float) -> dict:
    """Emails grouped by arrival interval, in arrival (= FIFO) order.

    Per cohort: ``pos`` (arrival position), ``contacts``, ``work_s`` [agent-seconds] at the AHT of the
    release position, ``release`` (first open position at or after arrival, -1 if none), ``due`` (open
    position by whose end it must be done; see the module docstring), ``arrival_s`` and ``deadline_s``.
    """
    start_s = np.asarray(start_s, float)
    is_open = np.asarray(is_open, bool)
    arrivals = np.asarray(arrivals, float)
    aht_s = np.asarray(aht_s, float)
    contacts = np.where(is_open, arrivals, share * arrivals)
    pos = np.flatnonzero(contacts > 0)
    release = next_open(is_open)[pos]
    open_pos = np.flatnonzero(is_open)
    deadline = start_s[pos] + window_s
    if open_pos.size:
        j = np.searchsorted(start_s[open_pos] + interval_s, deadline, side="right") - 1
        due = np.where(j >= 0, open_pos[np.maximum(j, 0)], -1)
    else:
        due = np.full(pos.size, -1)
    due = np.where(release >= 0, np.maximum(due, release), -1)
    work_aht = aht_s[np.where(release >= 0, release, pos)]
    return {"pos": pos, "contacts": contacts[pos], "work_s": contacts[pos] * work_aht, "release": release,
            "due": due, "arrival_s": start_s[pos], "deadline_s": deadline}


def taut_string(lower, upper) -> np.ndarray:
    """Cumulative path ``P`` (from ``P[-1] = 0`` before the first point) with ``lower <= P <= upper`` that is
    the shortest, i.e. the taut string through the corridor.

    ``lower`` and ``upper`` are non-decreasing with ``lower <= upper`` and equal last values. The taut
    string minimises every convex function of the increments at once: it has the smallest possible
    largest increment and is otherwise as flat as the corridor allows.
    """
    lower = np.asarray(lower, float)
    upper = np.asarray(upper, float)
    m = lower.size
    path = np.empty(m)
    tol = 1e-12 * max(1.0, float(np.max(np.abs(upper))) if m else 1.0)
    k, pk = -1, 0.0
    while k < m - 1:
        lo_s, hi_s = -math.inf, math.inf
        jl = jh = k + 1
        bend = None
        for j in range(k + 1, m):
            d = j - k
            l_s = (lower[j] - pk) / d
            u_s = (upper[j] - pk) / d
            if l_s > hi_s + tol:
                bend = (jh, hi_s, upper[jh])
                break
            if u_s < lo_s - tol:
                bend = (jl, lo_s, lower[jl])
                break
            if l_s >= lo_s:
                lo_s, jl = l_s, j
            if u_s <= hi_s:
                hi_s, jh = u_s, j
        if bend is None:
            end, slope, p_end = m - 1, (lower[m - 1] - pk) / (m - 1 - k), lower[m - 1]
        else:
            end, slope, p_end = bend
        path[k + 1:end + 1] = pk + slope * np.arange(1, end - k + 1)
        path[end] = p_end
        k, pk = end, p_end
    return path


def deferred_staffing(start_s, is_open, arrivals, aht_s, share: float, interval_s: float, window_s: float,
                      max_occupancy: float) -> dict:
    """Productive agents per position for deferred work (see the module docstring).

    Returns ``agents`` (int, 0 when closed), ``fluid_agents`` (the taut-string plan, float),
    ``backlog_contacts`` (end of each position, under ``agents``), ``cohorts`` and ``unplaced``.
    """
    start_s = np.asarray(start_s, float)
    is_open = np.asarray(is_open, bool)
    n = start_s.size
    coh = email_cohorts(start_s, is_open, arrivals, aht_s, share, interval_s, window_s)
    cap = interval_s * max_occupancy
    open_pos = np.flatnonzero(is_open)
    agents = np.zeros(n, dtype=np.int64)
    fluid = np.zeros(n)
    placed = coh["release"] >= 0
    if open_pos.size and placed.any():
        oi = np.full(n, -1)
        oi[open_pos] = np.arange(open_pos.size)
        w = coh["work_s"][placed]
        upper = np.cumsum(np.bincount(oi[coh["release"][placed]], weights=w, minlength=open_pos.size))
        lower = np.cumsum(np.bincount(oi[coh["due"][placed]], weights=w, minlength=open_pos.size))
        lower[-1] = upper[-1]
        path = taut_string(lower, upper)
        fluid[open_pos] = np.diff(path, prepend=0.0) / cap
        done = 0.0
        for j in range(open_pos.size):  # whole agents at or ahead of the fluid plan
            nj = max(0, math.ceil((path[j] - done) / cap - ROUND_TOL))
            agents[open_pos[j]] = nj
            done = min(done + nj * cap, upper[j])
    sim = fifo_fluid(start_s, interval_s, agents * cap, coh)
    return {"agents": agents, "fluid_agents": fluid, "backlog_contacts": sim["backlog_contacts"],
            "cohorts": coh, "unplaced": float(coh["contacts"][~placed].sum())}


def fifo_fluid(start_s, interval_s: float, capacity_s, cohorts: dict) -> dict:
    """Deterministic fluid first-in-first-out queue of email cohorts.

    ``capacity_s[p]`` seconds of handling are available in position ``p``, spread evenly over it;
    cohort work becomes available at the start of its release position. Returns per position
    ``processed_s`` and ``backlog_contacts`` (waiting at its end, carried arrivals included), and per
    cohort ``on_time`` (share done by its deadline) and ``wait_s`` (mean time from arrival to done;
    work still waiting at the horizon end counts as done then, a lower bound).
    """
    start_s = np.asarray(start_s, float)
    cap = np.asarray(capacity_s, float)
    n = start_s.size
    work = np.asarray(cohorts["work_s"], float)
    contacts = np.asarray(cohorts["contacts"], float)
    release = np.asarray(cohorts["release"])
    w_end = np.cumsum(work)
    w_start = w_end - work
    placed = release >= 0
    released = np.cumsum(np.bincount(release[placed], weights=work[placed], minlength=n))
    c_cum = np.cumsum(cap)
    p_end = c_cum + np.minimum(0.0, np.minimum.accumulate(released - c_cum)) if n else np.zeros(0)
    p_start = np.concatenate([[0.0], p_end[:-1]])
    done_in = p_end - p_start
    rate = cap / interval_s
    # work done by each cohort's deadline
    j = np.searchsorted(start_s, cohorts["deadline_s"], side="right") - 1
    jj = np.clip(j, 0, max(n - 1, 0))
    if n:
        by_deadline = np.where(j >= 0, p_start[jj] + np.minimum(rate[jj] * (cohorts["deadline_s"] - start_s[jj]),
                                                               done_in[jj]), 0.0)
    else:
        by_deadline = np.zeros(work.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        on_time = np.clip(by_deadline - w_start, 0.0, work) / work
        lo = np.maximum(w_start[:, None], p_start[None, :])
        hi = np.minimum(w_end[:, None], p_end[None, :])
        span = np.clip(hi - lo, 0.0, None)
        t_mid = start_s[None, :] + (0.5 * (lo + hi) - p_start[None, :]) / rate[None, :]
        integral = np.where(span > 0, span * t_mid, 0.0).sum(axis=1)
    horizon_end = start_s[-1] + interval_s if n else 0.0
    left = np.clip(w_end - np.maximum(w_start, p_end[-1] if n else 0.0), 0.0, None)
    with np.errstate(invalid="ignore", divide="ignore"):
        wait = (integral + left * horizon_end) / work - np.asarray(cohorts["arrival_s"], float)
    # backlog at the end of each position: cohorts arrived by then, less what is done
    pos = np.asarray(cohorts["pos"])
    done = np.clip(p_end[:, None] - w_start[None, :], 0.0, work[None, :])
    with np.errstate(invalid="ignore", divide="ignore"):
        waiting = contacts[None, :] * (1.0 - np.where(work > 0, done / work, 1.0))
    waiting = np.where(pos[None, :] <= np.arange(n)[:, None], waiting, 0.0)
    return {"processed_s": done_in, "backlog_contacts": waiting.sum(axis=1), "on_time": on_time, "wait_s": wait}


# --- DataFrame orchestration ---------------------------------------------------------------------------

def _check_frame(df: pd.DataFrame, needed: tuple[str, ...], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"{what} must be a table", field=what)
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise InputError(f"{what} has no column '{missing[0]}'", field=missing[0])


def _open_flags(open_mask, channel: str, starts: pd.DatetimeIndex) -> np.ndarray:
    """True where ``channel`` is open, from a Series by interval_start, a dict of them per channel, or a
    DataFrame (``interval_start, [channel,] open`` rows, or one boolean column per channel)."""
    m = open_mask
    if isinstance(m, dict):
        if channel not in m:
            raise InputError(f"open_mask has no entry for channel '{channel}'", field="open_mask")
        m = m[channel]
    if isinstance(m, pd.DataFrame):
        if {"interval_start", "open"} <= set(m.columns):
            if "channel" in m.columns:
                m = m[m["channel"] == channel]
            m = m.set_index(pd.DatetimeIndex(pd.to_datetime(m["interval_start"])))["open"]
        elif channel in m.columns:
            m = m[channel]
        else:
            raise InputError(f"open_mask has no column for channel '{channel}'", field="open_mask")
    if not isinstance(m, pd.Series):
        raise InputError("open_mask must be a boolean Series indexed by interval_start", field="open_mask")
    if m.index.has_duplicates:
        raise InputError("open_mask lists an interval twice", field="open_mask")
    vals = m.reindex(starts)
    if vals.isna().any():
        first = starts[np.flatnonzero(vals.isna().to_numpy())[0]]
        raise InputError(f"open_mask has no open/closed flag for {channel} at {first:%Y-%m-%d %H:%M}",
                         field="open_mask")
    return vals.astype(bool).to_numpy()


def _clean_aht(contacts: np.ndarray, aht: np.ndarray, channel: str) -> np.ndarray:
    """AHT usable everywhere: a missing or zero AHT is fine where nothing is handled and is filled with
    the channel's contact-weighted mean (carried contacts may land there); an error where it matters."""
    valid = np.isfinite(aht) & (aht > 0)
    bad = (contacts > 0) & ~valid
    if bad.any():
        raise InputError(f"aht_s must be > 0 where {channel} has contacts", field="aht_s")
    w = np.where(valid, contacts, 0.0)
    fill = float(np.sum(w * np.where(valid, aht, 0.0)) / w.sum()) if w.sum() > 0 else (
        float(np.mean(aht[valid])) if valid.any() else 1.0)
    return np.where(valid, aht, fill)


def _positions(starts_all: pd.Series, rows: np.ndarray) -> tuple[np.ndarray, pd.DatetimeIndex, np.ndarray]:
    """Rows (positions) of one channel in time order, their starts, and seconds since the first start."""
    stamps = starts_all.to_numpy()[rows]
    order = np.argsort(stamps, kind="stable")
    rows = rows[order]
    starts = pd.DatetimeIndex(stamps[order])
    start_s = ((starts - starts[0]) / pd.Timedelta(seconds=1)).to_numpy(float) if len(starts) else np.zeros(0)
    return rows, starts, start_s


def _erlang_slots(spec, load, aht, open_) -> np.ndarray:
    """Whole servers (agents, or chat slots) meeting the channel's target where open."""
    slots = np.zeros(load.size, dtype=np.int64)
    sel = open_ & (load > 0)
    if sel.any():
        if spec.model == "erlang_a":
            slots[sel] = required_agents_erlang_a(load[sel], aht[sel], spec.patience_s, spec.answer_within_s,
                                                  spec.service_level_target, spec.max_occupancy)
        else:
            slots[sel] = required_agents(load[sel], aht[sel], spec.answer_within_s, spec.service_level_target,
                                         spec.max_occupancy)
    return slots


def compute_requirements(forecast: pd.DataFrame, scenario, open_mask, source: str | None = None) -> pd.DataFrame:
    """Required productive agents and rostered heads per (interval_start, channel) row of ``forecast``.

    ``forecast``: ``interval_start, channel, contacts, aht_s`` (extra columns are ignored).
    ``open_mask``: boolean Series indexed by interval_start (True = open), shared by all channels; or a
    dict channel -> Series; or a DataFrame (see :func:`_open_flags`).

    Returns one row per input row, in input order, with :data:`REQUIREMENT_COLUMNS`
    (``backlog_contacts``: for email the backlog waiting at the end of the interval, for queued channels
    the carried-over contacts worked in it). ``attrs["unplaced_contacts"]`` maps each channel to
    contacts that arrive after its last open interval. ``source`` (the history file the forecast came
    from) is named when a load is beyond what the staffing search takes (``MAX_LOAD_ERL``).
    """
    _check_frame(forecast, ("interval_start", "channel", "contacts", "aht_s"), "forecast")
    interval_s = scenario.interval_min * 60.0
    keep = (1.0 - scenario.shrinkage)
    out = pd.DataFrame({"interval_start": pd.to_datetime(forecast["interval_start"]).to_numpy(),
                        "channel": forecast["channel"].astype(str).to_numpy()})
    if out.duplicated(["interval_start", "channel"]).any():
        row = out[out.duplicated(["interval_start", "channel"])].iloc[0]
        raise InputError(f"forecast lists {row['channel']} at {row['interval_start']:%Y-%m-%d %H:%M} twice",
                         field="interval_start")
    contacts_in = pd.to_numeric(forecast["contacts"], errors="coerce").to_numpy(float)
    if np.any(~np.isfinite(contacts_in)) or np.any(contacts_in < 0):
        raise InputError("contacts must be numbers >= 0", field="contacts")
    aht_in = pd.to_numeric(forecast["aht_s"], errors="coerce").to_numpy(float)
    cols = {c: np.zeros(len(out)) for c in ("arrivals", "carried_over", "contacts", "aht_s", "load_erl",
                                            "backlog_contacts", "backlog_load_erl")}
    cols["open"] = np.zeros(len(out), dtype=bool)
    cols["required_agents"] = np.zeros(len(out), dtype=np.int64)
    cols["backlog_contacts"][:] = np.nan
    unplaced = {}
    for channel, group in out.groupby("channel", sort=False).indices.items():
        scenario.check_channels([channel], what="the forecast")
        spec = scenario.channels[channel]
        rows, starts, start_s = _positions(out["interval_start"], np.asarray(group))
        if len(start_s) > 1 and np.min(np.diff(start_s)) < interval_s:
            raise InputError(f"{channel} intervals are closer than the scenario's interval_min "
                             f"({scenario.interval_min} min)", field="interval_start")
        is_open = _open_flags(open_mask, channel, starts)
        arrivals = contacts_in[rows]
        aht = _clean_aht(arrivals, aht_in[rows], channel)
        carried, lost_tail = carry_over(arrivals, is_open, spec.carry_over_closed)
        if spec.model == "deferred":
            handled = np.where(is_open, arrivals + carried, 0.0)
            load = offered_load(handled, scenario.interval_min, aht)
            backlog_load = np.zeros_like(load)
        else:
            worked = spread_backlog(carried, is_open, math.ceil(spec.backlog_clear_h * 60 / scenario.interval_min))
            handled = np.where(is_open, arrivals + worked, 0.0)
            load = offered_load(np.where(is_open, arrivals, 0.0), scenario.interval_min, aht)
            backlog_load = offered_load(worked, scenario.interval_min, aht)
            cols["backlog_contacts"][rows] = worked
            if load.size and not np.max(load) <= MAX_LOAD_ERL:
                raise InputError(f"the forecast offers {channel} up to {np.max(load):.3g} Erlang in an interval, "
                                 f"above the {MAX_LOAD_ERL:.0e} the staffing search takes: check the contacts",
                                 file=source, field="contacts")
        if spec.model == "deferred":
            res = deferred_staffing(start_s, is_open, arrivals, aht, spec.carry_over_closed, interval_s,
                                    spec.response_window_h * 3600.0, spec.max_occupancy)
            agents = res["agents"]
            cols["backlog_contacts"][rows] = res["backlog_contacts"]
        else:
            slots = _erlang_slots(spec, load, aht, is_open) + backlog_load / spec.max_occupancy
            agents = ceil_count(slots / spec.concurrency)
        cols["backlog_load_erl"][rows] = backlog_load
        cols["open"][rows] = is_open
        cols["arrivals"][rows] = arrivals
        cols["carried_over"][rows] = carried
        cols["contacts"][rows] = handled
        cols["aht_s"][rows] = aht
        cols["load_erl"][rows] = load
        cols["required_agents"][rows] = np.where(is_open, agents, 0)
        unplaced[channel] = lost_tail
    for c in ("open", "arrivals", "carried_over", "contacts", "aht_s", "load_erl", "backlog_load_erl",
              "required_agents"):
        out[c] = cols[c]
    out["required_scheduled"] = np.where(out["open"], ceil_count(out["required_agents"].to_numpy() / keep), 0)
    out["backlog_contacts"] = cols["backlog_contacts"]
    out.index = forecast.index
    out.attrs["unplaced_contacts"] = unplaced
    return out[REQUIREMENT_COLUMNS]


def evaluate_coverage(requirements: pd.DataFrame, scheduled_heads: pd.DataFrame, scenario) -> pd.DataFrame:
    """Service each channel gets from the heads rostered on it, per requirement row (same order).

    ``scheduled_heads``: ``interval_start, channel, scheduled_heads`` (missing rows mean 0 heads).
    Adds ``scheduled_heads``, ``scheduled_agents`` (productive = heads x (1 - shrinkage), float),
    ``service_level``, ``asa_s`` [s] and ``occupancy``, NaN for closed intervals:

    - Erlang channels: the channel's model at the fractional productive count, interpolated between
      whole counts (:func:`~scheduler.staffing.erlang.interpolate_agents`); chat on ``k x agents`` slots.
    - Deferred channels: a fluid FIFO queue with ``agents x interval_s x max_occupancy`` seconds of work
      per open interval; the row's service level is the share of the emails it handles (arrived in it
      or carried into it) answered by their deadline, ``asa_s`` their mean wait from arrival, and
      occupancy the work done over the productive time.
    """
    _check_frame(requirements, ("interval_start", "channel", "open", "arrivals", "contacts", "aht_s",
                                "load_erl"), "requirements")
    _check_frame(scheduled_heads, ("interval_start", "channel", "scheduled_heads"), "scheduled_heads")
    keys = ["interval_start", "channel"]
    heads = scheduled_heads[keys + ["scheduled_heads"]].copy()
    heads["interval_start"] = pd.to_datetime(heads["interval_start"])
    heads["channel"] = heads["channel"].astype(str)
    if heads.duplicated(keys).any():
        raise InputError("scheduled_heads lists an interval and channel twice", field="scheduled_heads")
    left = requirements.copy()
    left["interval_start"] = pd.to_datetime(left["interval_start"])
    left["channel"] = left["channel"].astype(str)
    merged = left.drop(columns=[c for c in COVERAGE_COLUMNS[len(REQUIREMENT_COLUMNS):] if c in left.columns])
    merged = merged.reset_index(drop=True).merge(heads, on=keys, how="left")  # keeps the row order
    h = pd.to_numeric(merged["scheduled_heads"], errors="coerce").fillna(0.0).to_numpy(float)
    if np.any(h < 0):
        raise InputError("scheduled_heads must be >= 0", field="scheduled_heads")
    merged["scheduled_heads"] = h
    productive = h * (1.0 - scenario.shrinkage)
    merged["scheduled_agents"] = productive
    sl = np.full(len(merged), np.nan)
    asa = np.full(len(merged), np.nan)
    occ = np.full(len(merged), np.nan)
    interval_s = scenario.interval_min * 60.0
    for channel, group in merged.groupby("channel", sort=False).indices.items():
        scenario.check_channels([channel], what="the requirements table")
        spec = scenario.channels[channel]
        rows, starts, start_s = _positions(merged["interval_start"], np.asarray(group))
        is_open = merged["open"].to_numpy(bool)[rows]
        aht = merged["aht_s"].to_numpy(float)[rows]
        aht = np.where(np.isfinite(aht) & (aht > 0), aht, 1.0)
        load = merged["load_erl"].to_numpy(float)[rows]
        agents = productive[rows]
        if spec.model == "deferred":
            arrivals = merged["arrivals"].to_numpy(float)[rows]
            coh = email_cohorts(start_s, is_open, arrivals, aht, spec.carry_over_closed, interval_s,
                                spec.response_window_h * 3600.0)
            cap = np.where(is_open, agents * interval_s * spec.max_occupancy, 0.0)
            sim = fifo_fluid(start_s, interval_s, cap, coh)
            placed = coh["release"] >= 0
            rel = coh["release"][placed]
            n_c = np.bincount(rel, weights=coh["contacts"][placed], minlength=rows.size)
            ok_c = np.bincount(rel, weights=(coh["contacts"] * sim["on_time"])[placed], minlength=rows.size)
            wait_c = np.bincount(rel, weights=(coh["contacts"] * sim["wait_s"])[placed], minlength=rows.size)
            with np.errstate(invalid="ignore", divide="ignore"):
                ch_sl = np.where(n_c > 0, ok_c / n_c, 1.0)
                ch_asa = np.where(n_c > 0, wait_c / n_c, 0.0)
                ch_occ = np.where(agents > 0, sim["processed_s"] / (agents * interval_s), 0.0)
        else:
            # heads working off the opening backlog are not there for live arrivals
            backlog = merged["backlog_load_erl"].to_numpy(float)[rows] if "backlog_load_erl" in merged else 0.0
            slots = np.maximum(agents * spec.concurrency - backlog / spec.max_occupancy, 0.0)
            if spec.model == "erlang_a":
                m = interpolate_agents(erlang_a_metrics, slots, load, aht, spec.patience_s, spec.answer_within_s)
                ch_sl, ch_asa = m["service_level"], m["asa_s"]
                ch_occ = np.minimum(load * (1.0 - m["p_abandon"]) / np.where(slots > 0, slots, 1.0), 1.0)
                ch_occ = np.where(load > 0, np.where(slots > 0, ch_occ, 1.0), 0.0)
            else:
                ch_sl = interpolate_agents(service_level, slots, load, aht, spec.answer_within_s)
                ch_asa = interpolate_agents(asa_s, slots, load, aht)
                ch_occ = occupancy(slots, load)
        sl[rows] = np.where(is_open, ch_sl, np.nan)
        asa[rows] = np.where(is_open, ch_asa, np.nan)
        occ[rows] = np.where(is_open, ch_occ, np.nan)
    merged["service_level"] = sl
    merged["asa_s"] = asa
    merged["occupancy"] = occ
    merged.index = requirements.index
    order = [c for c in COVERAGE_COLUMNS if c in merged.columns]
    return merged[order + [c for c in merged.columns if c not in order]]


def summarize_service(coverage: pd.DataFrame, scenario) -> dict:
    """Per channel: contact-weighted service level and ASA over open intervals, and the target.

    Keys per channel: ``service_level`` (None without contacts), ``target``, ``asa_s`` (inf when some
    interval with contacts has an unstable queue; NaN without contacts), ``contacts_measured`` (the
    contacts the service level is measured on: live arrivals in open intervals for queued channels,
    every email handled for deferred ones), ``intervals_below_target`` and ``unstable_intervals``.
    """
    out = {}
    for channel, sub in coverage.groupby("channel", sort=False):
        spec = scenario.channels.get(channel)
        sub = sub[sub["open"].astype(bool)]
        w = _measured(sub, spec)
        sl = sub["service_level"].to_numpy(float)
        asa = sub["asa_s"].to_numpy(float)
        busy = w > 0
        total = float(w[busy].sum())
        target = float(spec.service_level_target) if spec is not None else None
        unstable = int(np.sum(busy & np.isinf(asa)))
        if total > 0:
            level = float(np.sum(w[busy] * sl[busy]) / total)
            mean_asa = math.inf if unstable else float(np.sum(w[busy] * asa[busy]) / total)
        else:
            level, mean_asa = None, math.nan
        out[channel] = {
            "service_level": level,
            "target": target,
            "asa_s": mean_asa,
            "contacts_measured": total,
            "intervals_below_target": int(np.sum(busy & (sl < target))) if target is not None else 0,
            "unstable_intervals": unstable,
        }
    return out


def _measured(rows: pd.DataFrame, spec) -> np.ndarray:
    """The contacts a channel's level is measured on, per row: for queued channels the live arrivals
    (the opening backlog waited by design), for deferred channels every email handled."""
    live = spec is not None and spec.model != "deferred"
    return rows["arrivals" if live else "contacts"].to_numpy(float)


def unstable_rows(coverage: pd.DataFrame, scenario) -> pd.DataFrame:
    """The rows of ``evaluate_coverage``'s result that ``summarize_service`` counts as
    ``unstable_intervals``: open, with contacts, and a queue that never clears (infinite ASA)."""
    return coverage[_busy(coverage, scenario) & np.isinf(coverage["asa_s"].to_numpy(float))]


def _busy(frame: pd.DataFrame, scenario) -> np.ndarray:
    """Per row of a requirements or coverage frame: open, with contacts the service level is measured on
    (the rows whose queue may be unstable)."""
    busy = np.zeros(len(frame), dtype=bool)
    for channel, sub in frame.groupby("channel", sort=False):
        busy[frame.index.get_indexer(sub.index)] = \
            sub["open"].astype(bool).to_numpy() & (_measured(sub, scenario.channels.get(channel)) > 0)
    return busy


def stable_heads(requirements: pd.DataFrame, scenario) -> np.ndarray:
    """Per requirement row, the fewest scheduled heads with which ``unstable_rows`` would not count it:
    the report's own measure (``evaluate_coverage``'s infinite ASA), searched down from
    ``required_scheduled`` (which meets the row's level, so it is stable). 0 where no count is unstable
    (closed, no contacts, a deferred channel, abandonment)."""
    need = requirements["required_scheduled"].to_numpy(float)
    frame = requirements[["interval_start", "channel"]].copy()
    busy = _busy(requirements, scenario)
    stable = np.where(busy, need, 0.0)
    cut = 1
    while True:  # stability rises with the heads: lower each row while one head fewer is still stable
        trying = busy & (need - cut >= 0) & (stable == need - cut + 1)
        if not trying.any():
            break
        frame["scheduled_heads"] = np.maximum(need - cut, 0.0)
        asa = evaluate_coverage(requirements, frame, scenario)["asa_s"].to_numpy(float)
        ok = trying & np.isfinite(asa)
        stable[ok] = need[ok] - cut
        cut += 1
    return stable.astype(int)
