"""Reading user CSV files at the edge: every cell as text, one-line errors naming file, row and field.

One reader for every CSV a user gives (history, actuals, agent pool, calendar), so they all accept
the same files:

- encodings UTF-8 (with or without a BOM), GB18030/GBK and UTF-16 with a BOM (:mod:`core.encoding`);
  a file in none of them is one line naming the byte offset and line of the first bad byte;
- gzip-compressed files (recognised by their first bytes);
- the delimiter of the header line: comma, tab (Excel's "Unicode text") or semicolon;
- with ``comments=True`` (the events file), lines starting with ``#`` are comments, skipped like blank
  lines, and every row keeps its file line for messages (:func:`row_lines`);
- a first row with one cell more than the header is refused naming its line (pandas would otherwise
  take the first column for an index and shift every column by one);
- an Excel workbook (``.xlsx``, recognised by its first bytes): its first sheet, the header in its first
  row, read as the same text cells (a date cell as ``YYYY-MM-DD HH:MM:SS``), so rows are numbered as in
  the sheet. The actuals import, which streams CSV through DuckDB, asks for the sheet saved as CSV.

Values inside the cells (times, booleans, channel names) are parsed by :mod:`core.values`.
"""

from __future__ import annotations

import csv
import io
import re
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from core.encoding import Encoding, decode, detect, read_bytes
from core.errors import InputError, check_input_file
from core.names import header_key

DELIMITERS = (",", "\t", ";")
HEAD_BYTES = 1 << 20  # [bytes] what :func:`sniff_csv` reads to find the header and the encoding


@dataclass(frozen=True)
class CsvFile:
    """A CSV file's layout, from its first bytes: ``encoding`` is provisional for a file larger
    than the sample (the rest may still hold bytes that are invalid in it)."""

    path: Path
    encoding: Encoding
    delimiter: str
    header: list[str]
    whole: bool  # the sample was the whole file, so ``encoding`` holds for all of it


def sniff_delimiter(header_line: str) -> str:
    """The delimiter a header line uses: the most frequent of comma, tab and semicolon (comma on a tie
    or when there is none)."""
    counts = [header_line.count(d) for d in DELIMITERS]
    return DELIMITERS[counts.index(max(counts))] if max(counts) > 0 else ","


WORKBOOK_MAGIC = {b"PK\x03\x04": "xlsx", b"\xd0\xcf\x11\xe0": "xls"}  # zip (Office Open XML); OLE2 (97-2003)


def workbook_kind(path: Path) -> str | None:
    """``"xlsx"`` or ``"xls"`` for an Excel workbook (by its first bytes, not its name), else None."""
    with open(path, "rb") as fh:
        return WORKBOOK_MAGIC.get(fh.read(4))


def _read_xlsx(path: Path) -> pd.DataFrame:
    """The first sheet of an ``.xlsx`` workbook, every cell as text ('' where empty)."""
    try:
        return pd.read_excel(path, sheet_name=0, dtype=str, keep_default_na=False, engine="openpyxl")
    except Exception as exc:  # zipfile, openpyxl and pandas raise several types for a broken file
        raise InputError(f"not a readable Excel workbook ({' '.join(str(exc).split())})", file=path) from None


def sniff_csv(path: str | Path, *, what: str, option: str | None = None) -> CsvFile:
    """Encoding, delimiter and header of a CSV file of any size, from its first bytes."""
    path = Path(path)
    check_input_file(path, what, option)
    if workbook_kind(path):
        raise InputError(f"an Excel workbook: save the {what}'s sheet as CSV (UTF-8) for this command", file=path)
    head = read_bytes(path, HEAD_BYTES)
    whole = len(head) < HEAD_BYTES
    if not whole and b"\n" in head:
        head = head[: head.rfind(b"\n") + 1]
    enc = detect(head, final=whole)
    if enc.codec == "utf-16":  # a cut sample may end inside a character
        text = head.decode("utf-16", "replace")
    else:
        first = head.split(b"\n", 1)[0]
        try:
            text = first.decode(enc.codec)
        except UnicodeDecodeError as exc:
            raise replace(enc, bad_offset=exc.start, bad_line=1, bad_byte=first[exc.start]).error(path) from None
    text = text.removeprefix("\ufeff")
    line = text.splitlines()[0] if text.strip() else ""
    if not line.strip():
        raise InputError("empty file: no header line", file=path, row=1)
    delimiter = sniff_delimiter(line)
    header = [c.strip() for c in next(csv.reader([line], delimiter=delimiter))]
    return CsvFile(path, enc, delimiter, header, whole)


HEADERS = "headers"  # raw.attrs[HEADERS]: each column's header as the file writes it
LINES = "lines"  # raw.attrs[LINES]: the file line of the header, then of each row (with comments=True)


def row_lines(raw: pd.DataFrame) -> list[int]:
    """The file line of each row of a :func:`read_text_csv` frame (the header is line 1 unless comments or
    blank lines come before it)."""
    lines = raw.attrs.get(LINES)
    return list(lines[1:]) if lines else list(range(2, len(raw) + 2))


def read_text_csv(path: str | Path, required: tuple[str, ...], *, what: str, option: str | None = None,
                  hint: str | None = None, comments: bool = False,
                  allowed: tuple[str, ...] | None = None) -> pd.DataFrame:
    """All cells as strings under stripped header names; checks the file exists, is text in an accepted
    encoding, parses, has only ``allowed`` columns (when given; each once), the ``required`` ones and at
    least one row. ``what`` names the file in messages ("history file"), ``option`` the command-line
    option that gave it; ``comments``: lines starting with ``#`` are skipped (each row's file line:
    :func:`row_lines`)."""
    path = Path(path)
    check_input_file(path, what, option)
    kind = workbook_kind(path)
    if kind == "xls":
        raise InputError("an Excel 97-2003 workbook (.xls): save it as .xlsx or as CSV", file=path)
    raw = _read_xlsx(path) if kind else _read_csv_text(path, comments)
    headers = [str(c).strip() for c in raw.columns]
    raw.columns = _known_headers(headers, path)
    raw.attrs[HEADERS] = dict(zip(raw.columns, headers))
    header_line = raw.attrs.get(LINES, [1])[0]
    for col in raw.columns if allowed is not None else ():
        twice = re.fullmatch(r"(.+)\.\d+", col)  # pandas' name for a second column of the same header
        if twice and twice[1] in raw.columns:
            raise InputError(f"column '{twice[1]}' appears twice", file=path, row=header_line, field=twice[1])
        if col not in allowed:
            raise InputError(f"unknown column '{col}'; allowed: {', '.join(allowed)}", file=path, row=header_line,
                             field=col)
    for col in required:
        if col not in raw.columns:
            raise InputError(f"missing column '{col}' ({hint or 'required: ' + ', '.join(required)})",
                             file=path, row=header_line, field=col)
    if raw.empty:
        raise InputError(f"the {what} has no rows", file=path, row=header_line + 1)
    return raw


@contextmanager
def fields_as_in_file(raw: pd.DataFrame):
    """Errors raised inside name a field by the file's own header where ``read_text_csv`` renamed it
    (``field '咨询量'``, not ``contacts``), so the user finds the column they have."""
    try:
        yield
    except InputError as exc:
        header = raw.attrs.get(HEADERS, {}).get(exc.field)
        if header and header != exc.field:
            exc.field = header
            exc.args = (str(exc),)
        raise


def _known_headers(headers: list[str], path: Path) -> list[str]:
    """``headers`` with each one a reader knows under another name (``core.names.HEADER_ALIASES``: 工号,
    渠道, ``Agent ID`` ...) renamed to it; two headers for one column are an error naming both."""
    out, first = [], {}
    for i, text in enumerate(headers):
        name = header_key(text) or text
        if name in first:
            raise InputError(f"columns '{headers[first[name]]}' and '{text}' are both '{name}': keep one",
                             file=path, row=1, field=text)
        first[name] = i
        out.append(name)
    return out


def _read_csv_text(path: Path, comments: bool = False) -> pd.DataFrame:
    text, _ = decode(read_bytes(path), path)
    lines = text.split("\n")  # as pandas counts lines (not splitlines: a cell may hold U+2028)
    if comments:  # a comment becomes a blank line: skipped, and pandas still counts file lines
        lines = ["" if line.lstrip().startswith("#") else line for line in lines]
        text = "\n".join(lines)
    used = [i for i, line in enumerate(lines, start=1) if line.strip()]
    if comments and not used:
        raise InputError("empty file: no header line, only comments", file=path, row=1)
    delimiter = sniff_delimiter(lines[used[0] - 1] if used else "")
    try:
        raw = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False)
    except Exception as exc:  # pandas raises several parser error types
        raise InputError(f"not a readable CSV ({' '.join(str(exc).split())})", file=path) from None
    if not isinstance(raw.index, pd.RangeIndex):  # the first row had a cell more than the header
        raise InputError(f"{len(raw.columns) + 1} cells for the header's {len(raw.columns)} columns",
                         file=path, row=used[1] if len(used) > 1 else 2)
    if comments:
        raw.attrs[LINES] = used[:len(raw) + 1]
    return raw
