"""Seeded generator of realistic per-contact records, for tests, demos and the benchmark.

A record is one contact as a vendor's ticketing or telephony system exports it:

| column | meaning |
|---|---|
| ``contact_id`` | unique id, ``<prefix><9 digits>`` in arrival order |
| ``channel`` | ``chat``, ``phone`` or ``email`` |
| ``arrived_at`` | [local time] the contact entered the queue |
| ``answered_at`` | [local time] first response by an agent; empty if never answered |
| ``ended_at`` | [local time] the contact was closed, or the customer left (abandoned) |
| ``abandoned`` | the customer left before an answer |
| ``satisfaction`` | 1-5 survey score, empty if unrated |
| ``topic`` | the question asked, e.g. ``退款 (refunds)`` |
| ``vip`` | an important customer, served first |

How it is built, all vectorized numpy (5 million records in a few seconds):

- **Arrivals.** Per-interval counts come from a history frame (``interval_start, channel, contacts
  [, aht_s]``), or, given a number ``n``, from a multinomial draw of ``n`` over the bundled
  history's intervals in the requested dates (its own channel mix, about chat 86%, phone 10%,
  email 5%; pass ``channel_mix`` to change it). Dates outside the bundled 2023-2025 history use
  its mean weekday-by-hour profile. Each contact arrives uniformly inside its interval.
- **Response.** First-response time is lognormal per channel (median chat 9 s, phone 7 s, email
  4 h), scaled up in busy intervals (volume above the channel's mean) and by a per-day staffing
  shock, and halved for VIPs, which gives service levels of about 80-90% against the contract's
  30 s / 20 s / 24 h. The queue is treated as staffed whenever contacts arrive (the 7x24 option).
- **Abandonment.** Customers have exponential patience (chat 10 min, phone 3 min; email never
  abandons); those whose patience runs out before the answer abandon, and ``ended_at`` is when
  they left. About 0.5% of emails are never answered and have no ``ended_at``.
- **Handle time.** ``ended_at - answered_at`` is gamma (shape 2) around the interval's ``aht_s``
  (for a count ``n``: the bundled history's mean per channel and hour of day; else the
  channel default 420 / 270 / 360 s).
- **Satisfaction.** About 30% of answered contacts are rated (5% of abandoned ones); slow answers
  score lower. **Topics** follow per-channel weights over a list of e-commerce questions. About
  5% of contacts are VIP.

Only ``numpy.random.default_rng(seed)`` draws randomness, so the same arguments give the same
frame. :func:`write_records` writes CSV (``YYYY-MM-DDTHH:MM:SS`` times, ``true``/``false``) or
Parquet through DuckDB / pyarrow, in seconds for millions of rows.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.names import CHANNELS
from forecasts.history import History, load_default_history

RECORD_COLUMNS = ("contact_id", "channel", "arrived_at", "answered_at", "ended_at", "abandoned",
                  "satisfaction", "topic", "vip")

TOPICS = ("物流查询 (delivery)", "退换货 (returns)", "退款 (refunds)", "商品咨询 (product)",
          "活动规则 (promotion rules)", "优惠券 (coupons)", "订单修改 (order change)",
          "支付问题 (payment)", "发票 (invoice)", "售后维修 (repairs)", "投诉 (complaint)",
          "账户问题 (account)", "库存预订 (stock and presale)")
# Relative topic weights per channel (same order as TOPICS).
_TOPIC_WEIGHTS = {
    "chat":  (22, 14, 11, 18, 9, 6, 5, 4, 3, 3, 2, 1, 2),
    "phone": (14, 15, 16, 8, 4, 2, 7, 6, 3, 8, 12, 4, 1),
    "email": (6, 12, 14, 5, 2, 1, 3, 3, 30, 6, 14, 3, 1),
}
_RESPONSE_MEDIAN_S = {"chat": 9.0, "phone": 7.0, "email": 4 * 3600.0}
_RESPONSE_SIGMA = {"chat": 0.95, "phone": 1.0, "email": 1.0}
_PATIENCE_MEAN_S = {"chat": 600.0, "phone": 180.0, "email": np.inf}
_DEFAULT_AHT_S = {"chat": 420.0, "phone": 270.0, "email": 360.0}
_EMAIL_NEVER_ANSWERED = 0.005
_RATED_SHARE = 0.30
_RATED_SHARE_ABANDONED = 0.05
_VIP_SHARE = 0.05
# Score probabilities (1..5) for fast and for slow first responses.
_SCORE_P = np.array([[0.02, 0.03, 0.06, 0.27, 0.62],
                     [0.08, 0.10, 0.17, 0.35, 0.30]])
_SLOW_S = {"chat": 30.0, "phone": 20.0, "email": 24 * 3600.0}


def _history_frame(source) -> tuple[pd.DataFrame, int]:
    """(frame, interval_min) from a History, a DataFrame or None (the bundled history)."""
    if source is None:
        source = load_default_history()
    if isinstance(source, History):
        return source.frame, source.interval_min
    if not isinstance(source, pd.DataFrame):
        raise TypeError("n_or_history must be an int, a History or a DataFrame")
    missing = [c for c in ("interval_start", "channel", "contacts") if c not in source.columns]
    if missing:
        raise ValueError(f"history frame lacks column(s) {', '.join(missing)}")
    f = source.copy()
    f["interval_start"] = pd.to_datetime(f["interval_start"])
    if "aht_s" not in f.columns:
        f["aht_s"] = np.nan
    uniq = np.unique(f["interval_start"].to_numpy())
    step = int(np.diff(uniq).min() / np.timedelta64(1, "m")) if len(uniq) > 1 else 60
    return f, max(step, 1)


def _cells_for_n(n: int, rng: np.random.Generator, start: dt.date, days: int,
                 channel_mix: dict[str, float] | None) -> tuple[pd.DataFrame, int]:
    """Interval cells with counts summing to ``n``, shaped like the bundled history."""
    hist = load_default_history()
    f, interval_min = hist.frame, hist.interval_min
    lo, hi = pd.Timestamp(start), pd.Timestamp(start) + pd.Timedelta(days=days)
    cells = f[(f["interval_start"] >= lo) & (f["interval_start"] < hi)]
    slots = pd.date_range(lo, hi, freq=f"{interval_min}min", inclusive="left")
    if cells["interval_start"].nunique() < len(slots):  # dates outside the bundled history
        last = f[f["interval_start"] >= f["interval_start"].max() - pd.Timedelta(days=364)]
        key = [last["interval_start"].dt.weekday, last["interval_start"].dt.hour * 60
               + last["interval_start"].dt.minute, last["channel"]]
        prof = last.groupby(key).agg(contacts=("contacts", "mean"), aht_s=("aht_s", "mean"))
        prof.index.names = ["wd", "mod", "channel"]
        grid = pd.DataFrame({"interval_start": np.repeat(slots, len(CHANNELS)),
                             "channel": np.tile(CHANNELS, len(slots))})
        grid["wd"] = grid["interval_start"].dt.weekday
        grid["mod"] = grid["interval_start"].dt.hour * 60 + grid["interval_start"].dt.minute
        cells = grid.join(prof, on=["wd", "mod", "channel"]).drop(columns=["wd", "mod"]).fillna(
            {"contacts": 0.0})
    cells = cells.reset_index(drop=True)
    # handle time: the history's contact-weighted mean per channel and hour of day (one interval's
    # own value rests on a handful of contacts and would be scaled up to thousands)
    year = f[f["interval_start"] >= f["interval_start"].max() - pd.Timedelta(days=364)].dropna(subset=["aht_s"])
    work = (year["contacts"] * year["aht_s"]).groupby([year["channel"], year["interval_start"].dt.hour]).sum()
    n_known = year["contacts"].groupby([year["channel"], year["interval_start"].dt.hour]).sum()
    aht = (work / n_known.where(n_known > 0)).rename("aht_s")
    aht.index.names = ["channel", "hour"]
    cells = cells.drop(columns="aht_s").assign(hour=cells["interval_start"].dt.hour).join(
        aht, on=["channel", "hour"]).drop(columns="hour")
    w = cells["contacts"].to_numpy(dtype=float, copy=True)  # rescaled in place below
    if channel_mix:
        ch = cells["channel"].to_numpy()
        for c in np.unique(ch):
            sel = ch == c
            total = w[sel].sum()
            w[sel] = w[sel] / total * channel_mix.get(c, 0.0) if total > 0 else 0.0
    cells = cells.assign(contacts=rng.multinomial(n, w / w.sum()))
    return cells, interval_min


def generate_records(n_or_history=100_000, seed: int = 7, start: str | dt.date | None = "2025-11-01",
                     days: int | None = 30, *, channel_mix: dict[str, float] | None = None,
                     id_prefix: str = "C") -> pd.DataFrame:
    """Per-contact records in arrival order (see the module docstring for the model).

    ``n_or_history``: a number of records spread over ``days`` days from ``start`` like the
    bundled history, or a history (``History`` or a frame ``interval_start, channel, contacts
    [, aht_s]``) whose counts (rounded) are reproduced exactly, for the dates in
    [start, start + days) (all of it where ``start`` is None).
    """
    rng = np.random.default_rng(seed)  # drawn from in this order: cells, shocks, arrivals, times, scores, topics
    cells, interval_min = _record_cells(n_or_history, rng, start, days, channel_mix)
    counts = cells["contacts"].to_numpy(dtype=np.int64)
    cell_ch = pd.Categorical(cells["channel"], categories=CHANNELS).codes.astype(np.int64)
    if (cell_ch < 0).any():
        raise ValueError(f"unknown channel in history; allowed: {', '.join(CHANNELS)}")
    cell_start_s = cells["interval_start"].to_numpy(dtype="datetime64[s]").astype(np.int64)
    cell_aht = cells["aht_s"].to_numpy(dtype=float) if "aht_s" in cells else np.full(len(cells), np.nan)
    default_aht = np.array([_DEFAULT_AHT_S[c] for c in CHANNELS])
    cell_aht = np.where(np.isfinite(cell_aht) & (cell_aht > 0), cell_aht, default_aht[cell_ch])
    cell_scale = _cell_scale(rng, counts, cell_ch, cell_start_s)

    # per contact, in arrival order
    idx = np.repeat(np.arange(len(cells)), counts)
    arrived = cell_start_s[idx] + rng.integers(0, interval_min * 60, size=idx.size)
    order = np.argsort(arrived, kind="stable")
    idx, arrived = idx[order], arrived[order]
    ch = cell_ch[idx]
    t = _contact_times(rng, ch, arrived, cell_scale[idx], cell_aht[idx])
    satisfaction = _satisfaction(rng, ch, t["response"], t["answered"], t["abandoned"])
    topic_codes = _topic_codes(rng, ch)

    def _ts(a: np.ndarray) -> np.ndarray:
        return a.view("datetime64[s]")  # int64 min is NaT

    return pd.DataFrame({
        "contact_id": _ids(id_prefix, idx.size),
        "channel": pd.Categorical.from_codes(ch, categories=list(CHANNELS)),
        "arrived_at": _ts(arrived),
        "answered_at": _ts(t["answered_at"]),
        "ended_at": _ts(t["ended_at"]),
        "abandoned": t["abandoned"],
        "satisfaction": satisfaction,
        "topic": pd.Categorical.from_codes(topic_codes, categories=list(TOPICS)),
        "vip": t["vip"],
    })


def _record_cells(n_or_history, rng: np.random.Generator, start, days, channel_mix) -> tuple[pd.DataFrame, int]:
    """(cells ``interval_start, channel, contacts [, aht_s]`` with whole counts, interval_min) for
    :func:`generate_records`' ``n_or_history``, ``start`` and ``days``."""
    if start is not None:
        start = pd.Timestamp(start).date()
    if isinstance(n_or_history, (int, np.integer)):
        if n_or_history < 0 or start is None or not days or days < 1:
            raise ValueError("a record count needs n >= 0, a start date and days >= 1")
        return _cells_for_n(int(n_or_history), rng, start, int(days), channel_mix)
    cells, interval_min = _history_frame(n_or_history)
    if start is not None:
        lo = pd.Timestamp(start)
        sel = cells["interval_start"] >= lo
        if days:
            sel &= cells["interval_start"] < lo + pd.Timedelta(days=days)
        cells = cells[sel]
    cells = cells.reset_index(drop=True)
    cells = cells.assign(contacts=np.rint(cells["contacts"].to_numpy(dtype=float)).clip(0).astype(np.int64))
    return cells, interval_min


def _cell_scale(rng: np.random.Generator, counts: np.ndarray, cell_ch: np.ndarray,
                cell_start_s: np.ndarray) -> np.ndarray:
    """Per cell, the factor on response times: volume relative to the channel's mean busy interval,
    times a daily staffing shock per channel."""
    busy = np.ones(len(counts))
    for k in range(len(CHANNELS)):
        sel = (cell_ch == k) & (counts > 0)
        if sel.any():
            busy[sel] = np.clip((counts[sel] / counts[sel].mean()) ** 0.35, 0.6, 2.2)
    day_of_cell = (cell_start_s // 86400)
    uniq_days, day_idx = np.unique(day_of_cell, return_inverse=True)
    day_shock = rng.lognormal(0.0, 0.22, size=(len(uniq_days), len(CHANNELS)))
    return busy * day_shock[day_idx, cell_ch]


def _per_channel(values: dict[str, float], ch: np.ndarray) -> np.ndarray:
    return np.array([values[c] for c in CHANNELS])[ch]


def _contact_times(rng: np.random.Generator, ch: np.ndarray, arrived: np.ndarray, scale: np.ndarray,
                   aht: np.ndarray) -> dict[str, np.ndarray]:
    """Per contact: ``vip``, ``response`` [s], ``answered``, ``abandoned``, and the instants
    ``answered_at`` and ``ended_at`` [s since the epoch; int64 min where there is none]."""
    n = ch.size
    vip = rng.random(n) < _VIP_SHARE
    median = _per_channel(_RESPONSE_MEDIAN_S, ch) * scale * np.where(vip, 0.5, 1.0)
    sigma = _per_channel(_RESPONSE_SIGMA, ch)
    response = np.maximum(1.0, np.rint(median * np.exp(sigma * rng.standard_normal(n))))
    patience = rng.exponential(1.0, size=n) * _per_channel(_PATIENCE_MEAN_S, ch)  # inf: email
    abandoned = patience < response
    never = (ch == CHANNELS.index("email")) & (rng.random(n) < _EMAIL_NEVER_ANSWERED)
    answered = ~abandoned & ~never
    handle = np.maximum(5.0, np.rint(rng.gamma(2.0, 1.0, size=n) * aht / 2.0))

    nat = np.iinfo(np.int64).min
    answered_at = np.where(answered, arrived + response.astype(np.int64), nat)
    ended_at = np.where(answered, answered_at + handle.astype(np.int64),
                        np.where(abandoned, arrived + np.rint(np.clip(patience, 1, 1e9)).astype(np.int64), nat))
    return {"vip": vip, "response": response, "answered": answered, "abandoned": abandoned,
            "answered_at": answered_at, "ended_at": ended_at}


def _satisfaction(rng: np.random.Generator, ch: np.ndarray, response: np.ndarray, answered: np.ndarray,
                  abandoned: np.ndarray) -> pd.arrays.IntegerArray:
    """1-5 scores of the rated contacts, NA for the others; slow or unanswered contacts score lower."""
    n = ch.size
    rated = rng.random(n) < np.where(answered, _RATED_SHARE, np.where(abandoned, _RATED_SHARE_ABANDONED, 0.0))
    slow = ~answered | (response > _per_channel(_SLOW_S, ch))
    cum = np.cumsum(_SCORE_P, axis=1)[slow.astype(np.int64)]
    score = (rng.random(n)[:, None] > cum[:, :4]).sum(axis=1) + 1
    satisfaction = pd.array(np.where(rated, score, 0), dtype="Int8")
    satisfaction[~rated] = pd.NA
    return satisfaction


def _topic_codes(rng: np.random.Generator, ch: np.ndarray) -> np.ndarray:
    """Positions in :data:`TOPICS`, drawn with the channel's topic weights."""
    topic_codes = np.empty(ch.size, dtype=np.int64)
    u = rng.random(ch.size)
    for k, c in enumerate(CHANNELS):
        sel = ch == k
        w = np.array(_TOPIC_WEIGHTS[c], dtype=float)
        topic_codes[sel] = np.searchsorted(np.cumsum(w / w.sum()), u[sel], side="right").clip(0, len(TOPICS) - 1)
    return topic_codes


def _ids(prefix: str, n: int) -> pd.Series:
    """``prefix`` + a 9-digit sequence number, built in Arrow (fast for millions)."""
    digits = pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1, dtype=np.int64)), pa.string()), 9, "0")
    joined = pc.binary_join_element_wise(pa.scalar(prefix), digits, "")
    return pd.Series(pd.array(joined, dtype=pd.StringDtype("pyarrow")), name="contact_id")


def write_records(records: pd.DataFrame, path: str | Path) -> Path:
    """Write records as CSV (``.csv``, ``.csv.gz``) or Parquet (``.parquet``, ``.pq``), fast.

    CSV times are ``YYYY-MM-DDTHH:MM:SS``, booleans ``true``/``false``, unknown values empty; the
    file is written to a temporary name and renamed, so readers never see half a file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    name = path.name.lower()
    con = duckdb.connect()
    try:
        frame = records[list(RECORD_COLUMNS)]
        con.register("records", frame)
        if name.endswith((".parquet", ".pq")):
            con.execute(f"COPY (SELECT * FROM records) TO '{_sql_path(tmp)}' (FORMAT parquet, COMPRESSION zstd)")
        elif name.endswith((".csv", ".csv.gz", ".txt")):
            fmt = "%Y-%m-%dT%H:%M:%S"
            comp = ", COMPRESSION gzip" if name.endswith(".gz") else ""
            con.execute(f"""
                COPY (SELECT contact_id, channel::VARCHAR AS channel,
                             strftime(arrived_at, '{fmt}') AS arrived_at,
                             strftime(answered_at, '{fmt}') AS answered_at,
                             strftime(ended_at, '{fmt}') AS ended_at,
                             abandoned, satisfaction, topic::VARCHAR AS topic, vip
                      FROM records)
                TO '{_sql_path(tmp)}' (FORMAT csv, HEADER true, DELIMITER ','{comp})""")
        else:
            raise ValueError(f"{path}: write .csv, .csv.gz or .parquet")
        os.replace(tmp, path)
    finally:
        con.close()
        if tmp.exists():
            tmp.unlink()
    return path


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


if __name__ == "__main__":  # pragma: no cover - manual use: python -m scheduler.actuals.synth N OUT
    import sys
    import time

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("records.csv")
    t0 = time.perf_counter()
    recs = generate_records(n, seed=7)
    t1 = time.perf_counter()
    write_records(recs, out)
    print(f"{len(recs)} records generated in {t1 - t0:.1f} s, written to {out} in {time.perf_counter() - t1:.1f} s")
