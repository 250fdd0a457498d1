"""Cell values as vendors export them: date-times, booleans, channel names and numbers.

Each rule is written once, as a DuckDB SQL expression over a text column, so the actuals import
(millions of rows, parsed inside DuckDB) and the small readers (history) parse alike: the history
reader runs the same expression over its column with :func:`parse_timestamps`.

Dates (:func:`parse_date`: leave days, requests, calendars) are year first, as the date-times below
without a time of day, or an Excel date cell (its time 00:00).

Date-times (``timestamp_sql``) become naive local times in :data:`LOCAL_TZ`:

| form | example | meaning |
|---|---|---|
| ISO date and time, ``T`` or spaces between | ``2025-11-01T21:05``, ``2025-11-01 21:05:00.5`` | local |
| year first with ``/`` or ``.``, one-digit fields | ``2025/11/1 21:05``, ``2025.11.01 9:05:00`` | local (Excel) |
| year, month, day in Chinese | ``2025年11月1日 21:05``, ``2025年11月01日21:05:00`` | local (Excel) |
| either with an offset | ``...+08:00``, ``+0800``, ``+08``, ``Z``, `` UTC`` | converted to local |
| an Excel serial day number, five digits before the point | ``45962.878472`` (2025-11-01 21:05) | local, to 1 s |

Seconds may carry a fraction (``.`` or ``,``); ``24:00`` is midnight of the next day. Day-first or
month-first dates (``11/1/2025``) are refused: they are ambiguous. A date without a time of day is
refused. Offsets may differ from row to row (a history exported across a DST change).
``offsets="drop"`` keeps the clock time and ignores the offset: only for data known to label local
clock times with a ``Z`` (the US bank-call data, see :mod:`forecasts.backtest`).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from pathlib import Path
from typing import Literal

import pandas as pd

from core.errors import InputError
from core.names import CHANNEL_ALIASES, CHANNELS

LOCAL_TZ = "Asia/Shanghai"
"""The time zone every time is converted to; times inside the program are naive local times here."""

TIME_FORMS = ("YYYY-MM-DD HH:MM[:SS], YYYY/M/D H:MM, YYYY年M月D日 H:MM, ISO 8601 with an offset (+08:00, Z) "
              "or an Excel serial")
TRUE_WORDS = ("true", "t", "1", "yes", "y", "是")
FALSE_WORDS = ("false", "f", "0", "no", "n", "否")
BOOL_FORMS = "true/false, yes/no, 1/0, 是/否"

_DATE = r"[1-9]\d{3}(?:-\d{1,2}-\d{1,2}|/\d{1,2}/\d{1,2}|\.\d{1,2}\.\d{1,2})"
_CN_DATE = r"[1-9]\d{3}年\d{1,2}月\d{1,2}日"  # 2025年11月1日: a space before the time is optional
_DAY = rf"(?:{_DATE}(?:T|\s+)|{_CN_DATE}\s*)"
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?"
_ZONE = r"(?:Z|UTC|GMT|[+-](?:0\d|1[0-4])(?::?[0-5]\d)?)"  # UTC-14:00 .. UTC+14:59
LOCAL_RE = rf"\s*{_DAY}{_CLOCK}\s*"
ZONED_RE = rf"\s*{_DAY}{_CLOCK}\s*{_ZONE}\s*"
SERIAL_RE = r"\s*\d{5}(?:\.\d+)?\s*"
EXCEL_EPOCH = "1899-12-30"  # serial 0 in Excel's 1900 date system (serials from 1900-03-01 on)


DATE_FORMS = "YYYY-MM-DD, YYYY/M/D, YYYY年M月D日"
# the date part of a date-time's forms, alone or at 00:00 (an Excel date cell read as text)
_DATE_ONLY = re.compile(rf"\s*({_DATE}|{_CN_DATE})(?:[ T]0{{1,2}}:00(?::00)?)?\s*")


def parse_date(text: str) -> dt.date | None:
    """A calendar date in one of :data:`DATE_FORMS` (or such a date at 00:00, as an Excel date cell reads),
    else None: ``2025-11-01``, ``2025/11/1``, ``2025.11.01``, ``2025年11月1日``, ``2025-11-01 00:00:00``."""
    m = _DATE_ONLY.fullmatch(text)
    if not m:
        return None
    try:
        return dt.date(*map(int, re.findall(r"\d+", m[1])))
    except ValueError:
        return None


def date_texts(values: pd.Series) -> pd.Series:
    """Each cell's date as written, without the ``00:00:00`` an Excel date cell reads as as text
    (``2025-11-01 00:00:00`` -> ``2025-11-01``); a cell in no date form is left as it is."""
    return values.str.extract(f"^{_DATE_ONLY.pattern}$", expand=False).fillna(values)


def date_cell(text: str, *, file: str | Path | None, row: int, field: str) -> dt.date:
    """:func:`parse_date`, or the one-line error naming the file, row and field."""
    day = parse_date(text)
    if day is None:
        raise InputError(f"'{text}' is not a date ({DATE_FORMS})", file=file, row=row, field=field)
    return day


_CONTROL_NAMES = {"\n": "line break", "\r": "line break", "\x0b": "line break", "\x0c": "line break",
                  "\x85": "line break", "\t": "tab", "\x00": "NUL"}


def control_char(text: str) -> str | None:
    """The first control character in ``text`` (Unicode category Cc: a line break, tab, NUL, bell ...),
    described for a message (``line break``, ``tab``, ``U+0007``), or None when there is none."""
    for ch in text:
        if unicodedata.category(ch) == "Cc":
            return _CONTROL_NAMES.get(ch, f"U+{ord(ch):04X}")
    return None


def text_cell(text: str, *, file: str | Path | None, row: int | None, field: str) -> str:
    """A free-text cell (an agent id, a name, a team): ``text`` without surrounding whitespace, or the
    one-line error naming the file, row and field when a control character is left in it. Such a text
    ends up in one line of a calendar and in an Excel cell, where a line break or a ``\\x07`` breaks the
    file (a quoted CSV cell can hold both)."""
    text = text.strip()
    what = control_char(text)
    if what is not None:
        raise InputError(f"contains a control character ({what}) in '{_escaped(text)}'; ids, names and teams must be "
                         "printable text on one line", file=file, row=row, field=field)
    return text


def _escaped(text: str) -> str:
    """``text`` with its control characters written as Python escapes (``\\n``, ``\\x07``), for a message."""
    return "".join(repr(c)[1:-1] if unicodedata.category(c) == "Cc" else c for c in text)


_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")  # Excel's thousands separator: 1,234, never 1,5
_DURATION = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2}(?:\.\d+)?)")  # [h:]mm:ss: a handle time as a system writes it


def parse_number(text: str, durations: bool = False) -> float:
    """A number as vendors' files write it, NaN where the cell is not one: ``1,234`` (Excel's thousands
    separator), full-width digits and signs (``１２３``, ``１，２３４``), surrounding spaces; with ``durations``
    also a ``[h:]mm:ss`` handle time, in seconds (``0:05:30`` and ``05:30`` are 330)."""
    text = (text if text.isascii() else unicodedata.normalize("NFKC", text)).strip()
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    try:
        return float(text)
    except ValueError:
        pass
    clock = _DURATION.fullmatch(text) if durations else None
    if clock is None:
        return math.nan
    hours, minutes, seconds = clock.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)


def parse_numbers(values: pd.Series, durations: bool = False) -> pd.Series:
    """:func:`parse_number` over a column of text cells; the index is kept."""
    return values.astype(str).map(lambda v: parse_number(v, durations)).astype(float)


def sql_str(text: object) -> str:
    """A SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def _iso(col: str) -> str:
    """The date separators as ``-``, one space before the time, ``.`` before a fraction."""
    return (rf"replace(regexp_replace({col}, '^\s*(\d{{4}})(?:[-/.](\d{{1,2}})[-/.](\d{{1,2}})(?:T|\s+)|"
            rf"年(\d{{1,2}})月(\d{{1,2}})日\s*)', '\1-\2\4-\3\5 '), ',', '.')")


def timestamp_sql(col: str, offsets: Literal["convert", "drop"] = "convert") -> str:
    """SQL: the text column ``col`` as a local TIMESTAMP, NULL where it is none of the accepted forms
    (see the module docstring). The two common exact forms take a fast path."""
    zone = rf"'\s*{_ZONE}\s*$'"
    if offsets == "convert":
        zoned = (f"timezone({sql_str(LOCAL_TZ)}, TRY_CAST(regexp_replace(regexp_replace({_iso(col)}, "
                 rf"'\s*(?:Z|UTC|GMT)\s*$', '+00:00'), '\s+([+-])', '\1') AS TIMESTAMPTZ))")
    elif offsets == "drop":
        zoned = f"TRY_CAST(regexp_replace({_iso(col)}, {zone}, '') AS TIMESTAMP)"
    else:
        raise ValueError(f"offsets must be 'convert' or 'drop', not {offsets!r}")
    serial = f"TRY_CAST(trim({col}) AS DOUBLE)"
    fast = (f"CASE length({col}) WHEN 19 THEN TRY_STRPTIME({col}, '%Y-%m-%dT%H:%M:%S') "
            f"WHEN 16 THEN TRY_STRPTIME({col}, '%Y-%m-%dT%H:%M') END")  # a failing strptime is slow
    return (f"coalesce({fast}, CASE "
            f"WHEN regexp_full_match({col}, {sql_str(LOCAL_RE)}) THEN TRY_CAST({_iso(col)} AS TIMESTAMP) "
            f"WHEN regexp_full_match({col}, {sql_str(ZONED_RE)}) THEN {zoned} "
            f"WHEN regexp_full_match({col}, {sql_str(SERIAL_RE)}) THEN make_timestamp("
            f"epoch_us(TIMESTAMP '{EXCEL_EPOCH}') + CAST(round({serial} * 86400) AS BIGINT) * 1000000) END)")


def boolean_sql(col: str) -> str:
    """SQL: the text column ``col`` as a BOOLEAN (any case, surrounding spaces ignored); empty is
    false; NULL where it is not one of :data:`TRUE_WORDS` / :data:`FALSE_WORDS`."""
    t = f"lower(trim({col}))"
    trues = ", ".join(sql_str(w) for w in TRUE_WORDS)
    falses = ", ".join(sql_str(w) for w in FALSE_WORDS)
    return (f"CASE WHEN {col} = 'false' THEN false WHEN {col} = 'true' THEN true "
            f"WHEN {col} IS NULL OR trim({col}) = '' THEN false WHEN {t} IN ({trues}) THEN true "
            f"WHEN {t} IN ({falses}) THEN false END")


def channel_sql(col: str, channels: tuple[str, ...] = CHANNELS) -> str:
    """SQL: the text column ``col`` as a channel name, as :func:`core.names.channel_key` maps it
    (case and surrounding spaces ignored, Chinese aliases); unknown names come back lower-cased."""
    chans = ", ".join(sql_str(c) for c in channels)
    key = f"lower(trim({col}))"
    aliases = " ".join(f"WHEN {sql_str(a)} THEN {sql_str(c)}" for a, c in CHANNEL_ALIASES.items())
    return f"CASE WHEN {col} IN ({chans}) THEN {col} ELSE CASE {key} {aliases} ELSE {key} END END"


def parse_timestamps(values: pd.Series, offsets: Literal["convert", "drop"] = "convert") -> pd.Series:
    """:func:`timestamp_sql` over a column of text: datetime64 local times, NaT where a value is not
    a time. The index is kept."""
    import duckdb  # here, so the names above cost nothing to import

    frame = pd.DataFrame({"v": values.astype(object).where(values.notna(), None).to_numpy()})
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.register("cells", frame)
        out = con.execute(f"SELECT {timestamp_sql('v', offsets)} AS t FROM cells").df()["t"]
    finally:
        con.close()
    return pd.Series(out.to_numpy(), index=values.index, name=values.name)
