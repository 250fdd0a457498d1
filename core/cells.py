"""Cells a person opens in a spreadsheet: formula injection neutralised, a BOM where text may be Chinese.

Every CSV the tool writes goes through :func:`write_table`, and every reader of those files back (the
plan folder, the wide roster, the calendars' index) through :func:`unescape_text`, so that the two
rules below hold in one place:

- **Formula injection** (the OWASP rule): a text cell that starts with ``= + - @``, a tab or a carriage
  return is written with a ``'`` in front, so that Excel, WPS and LibreOffice show it as text instead
  of running it (``=HYPERLINK(...)``, ``+cmd|' /C calc'!A0``, ``@SUM(1)``). Only text cells are
  touched: a number such as ``-3`` in a numeric column is written as it is, and so is a text that is a
  plain number (``-3``, ``+1.5``), which no spreadsheet runs. A text that already starts
  with quotes followed by such a character gets one more quote, so :func:`unescape_cell` undoes
  :func:`escape_cell` exactly for every text (the round trip of our own files stays exact). In an
  Excel workbook the same cells are written as string cells, never formulas
  (:func:`scheduler.vendor_export.write_wide_xlsx`).
- **BOM:** a CSV that may hold Chinese text (agent names, topics, scenario names) and that people open
  in Excel is written UTF-8 with a byte-order mark, which Excel needs to read it as UTF-8; files only
  programs read are plain UTF-8. The module that owns a file decides (``write_table(..., bom=...)``;
  the plan folder's list is ``scheduler.plan_folder.BOM_FILES``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet reads a cell starting with one of these as a formula (OWASP, CSV injection)."""

QUOTE = "'"
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")  # a plain number is never a formula



def needs_escape(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as a formula, or ``text`` is quotes before such a text.
    A plain number (``-3``, ``+1.5e3``) is not a formula and is left as it is."""
    core = text.lstrip(QUOTE)
    return core[:1] in FORMULA_START and _NUMBER.fullmatch(core) is None


def escape_cell(value):
    """``value`` with a ``'`` in front when it is text a spreadsheet could run; anything else unchanged."""
    if isinstance(value, str) and needs_escape(value):
        return QUOTE + value
    return value


def unescape_cell(value):
    """The inverse of :func:`escape_cell` (for text read back from our own files)."""
    if isinstance(value, str) and value.startswith(QUOTE) and needs_escape(value[1:]):
        return value[1:]
    return value


def _text_columns(df: pd.DataFrame) -> list:
    return [c for c in df.columns if pd.api.types.is_object_dtype(df[c]) or pd.api.types.is_string_dtype(df[c])]


def _map_text(df: pd.DataFrame, fn) -> pd.DataFrame:
    cols = _text_columns(df)
    if not cols:
        return df
    out = df.copy()
    for c in cols:
        out[c] = out[c].map(fn, na_action="ignore")
    return out


def escape_text(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell passed through :func:`escape_cell` (numbers untouched)."""
    return _map_text(df, escape_cell)


def unescape_text(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell passed through :func:`unescape_cell`."""
    return _map_text(df, unescape_cell)


def sql_escaped(expr: str) -> str:
    """A DuckDB expression that escapes the text ``expr`` as :func:`escape_cell` does (for files written by
    ``COPY``)."""
    chars = "".join("\\" + c if c in "-\\]^" else c for c in FORMULA_START)
    text = f"CAST({expr} AS VARCHAR)"
    core = f"ltrim({text}, {_sql_str(QUOTE)})"
    return (f"CASE WHEN regexp_matches({core}, {_sql_str('^[' + chars + ']')}) "
            f"AND NOT regexp_full_match({core}, {_sql_str(_NUMBER.pattern)}) "
            f"THEN {_sql_str(QUOTE)} || {text} ELSE {text} END")


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def write_table(df: pd.DataFrame, path: str | Path, *, bom: bool, columns: Iterable[str] | None = None) -> None:
    """Write ``df`` as CSV: text cells escaped, ``\\n`` line ends, UTF-8, with a BOM when ``bom`` (a file
    people open in Excel that may hold Chinese; the module that owns the file decides)."""
    frame = df if columns is None else df[list(columns)]
    escape_text(frame).to_csv(path, index=False, encoding="utf-8-sig" if bom else "utf-8", lineterminator="\n")
