"""Import per-contact records (CSV or Parquet) into an embedded DuckDB database.

Input columns (header names are matched case-insensitively, in any order, or by the Chinese names
of ``core.names.HEADER_ALIASES`` (会话ID, 进线时间, 应答时间 ...); extra columns are ignored):

| column | required | meaning |
|---|---|---|
| ``contact_id`` | yes | unique id of the contact; the key for re-imports |
| ``channel`` | yes | ``chat``, ``phone`` or ``email``, any case, or an alias (``在线``, ``电话``, ``邮件`` ...) |
| ``arrived_at`` | yes | a time (below) |
| ``answered_at`` | yes | a time: first response by an agent; empty if never answered |
| ``ended_at`` | yes | a time: closed, or left (abandoned); empty if unknown |
| ``abandoned`` | yes | ``true``/``false``, ``yes``/``no``, ``1``/``0``, ``是``/``否`` (any case); empty is false |
| ``satisfaction`` | no | survey score 1-5; empty if unrated |
| ``topic`` | no | the question asked (free text) |
| ``vip`` | no | a boolean as for ``abandoned``; empty means false |

CSV files are read as :mod:`core.csvio` reads every user file: UTF-8 (with or without a BOM),
GB18030/GBK or UTF-16, comma, tab or semicolon, gzip or not. Times are parsed as
:mod:`core.values` parses them: ``2025-11-01T21:05[:00]``, ``2025/11/1 21:05``, an Excel serial,
local Asia/Shanghai time; a time with an offset (``+08:00``, ``Z``) is converted to local time.
Parquet columns keep their types (timestamp, boolean, number) and text columns there are parsed as
in CSV; a Parquet timestamp column *with* a time zone is refused.

All checks run inside DuckDB with SQL over ``read_csv``/``read_parquet``, never row by row in Python.

- A record is **rejected**, never dropped silently, when: ``contact_id`` is empty; ``channel`` is
  empty or unknown; ``arrived_at`` is empty; a time is not a time (or has no time of day);
  ``answered_at`` or ``ended_at`` is before ``arrived_at``; ``ended_at`` is before
  ``answered_at``; ``abandoned`` is true but ``answered_at`` is set; ``abandoned``/``vip`` is not a
  boolean; ``satisfaction`` is not a whole number 1-5 (``200``, ``inf`` and ``nan`` included); or
  the CSV line itself is malformed (wrong number of fields, bad quoting, bytes that are not text in
  the file's encoding). No value can fail the import as a whole.
- **Duplicates inside one file:** among the records that pass the checks, the *last* one with a
  given ``contact_id`` is kept (a later line is a later state of the contact, as with
  re-imports); the earlier ones are rejected with the line number of the one kept.
- **Re-imports are idempotent:** records are upserted on ``contact_id``. A known contact whose
  values changed is updated; one with identical values is left alone and counted ``unchanged``.
- **Rejects file:** every rejected record is written (UTF-8 with a BOM, for Excel), with its ``row``
  and the ``field`` and ``reason`` of each problem, to ``rejects_path`` or by default to
  ``rejects_<file name without extension>.csv`` in the database's folder. ``row`` is the line in
  the CSV file (the header is line 1, as an editor shows it; a blank line or a line break inside
  quotes shifts later numbers) or the 1-based record number in a Parquet file. When nothing is
  rejected no file is written, and the default rejects file of an earlier import of the same file
  name is removed (it would be stale).
- **Too many rejects:** when more than ``max_reject_share`` of the records are rejected (default
  5%), nothing is imported: the rejects file is written and :class:`TooManyRejects` says how many
  and where. A file with that many bad records usually has a systematic problem (a column in the
  wrong format); fix it and import again.
- **Atomic and safe:** one import at a time per database (a lock file ``<db>.lock`` beside it,
  waited for up to ``lock_timeout_s``). A new database is built under a temporary name beside the
  target and linked into place only when complete, so no other process's database is ever
  replaced or deleted. An existing database is first read in full (a damaged one is refused and
  left as it is); the upsert, and any table it needs, then runs in one transaction, so a failed
  import leaves the file byte for byte as it was. After the import the database is opened again
  and read in full before success is reported. Each import is logged in table ``imports``.

Errors a user can cause (missing file, missing column, a file that is not CSV or Parquet, a
database that is locked, damaged or not an actuals database) raise
:class:`~core.errors.InputError` naming the file and field.
"""

from __future__ import annotations

import codecs
import datetime as dt
import os
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import duckdb
import filelock

from core.cells import sql_escaped
from core.csvio import CsvFile, sniff_csv
from core.encoding import Encoding, detect_file, is_gzip, utf8_copy
from core.errors import InputError, check_input_file, input_file_problem
from core.names import CHANNELS, header_key
from core.values import BOOL_FORMS, TIME_FORMS, boolean_sql, channel_sql, sql_str, timestamp_sql

DEFAULT_DB = Path("actuals.duckdb")
DEFAULT_MAX_REJECT_SHARE = 0.05
LOCK_TIMEOUT_S = 600.0  # [s] how long an import waits for another import into the same database
REQUIRED = ("contact_id", "channel", "arrived_at", "answered_at", "ended_at", "abandoned")
OPTIONAL = ("satisfaction", "topic", "vip")
COLUMNS = REQUIRED + OPTIONAL

CONTACTS_DDL = """
CREATE TABLE IF NOT EXISTS contacts (
    contact_id   VARCHAR PRIMARY KEY,
    channel      VARCHAR NOT NULL,
    arrived_at   TIMESTAMP NOT NULL,
    answered_at  TIMESTAMP,
    ended_at     TIMESTAMP,
    abandoned    BOOLEAN NOT NULL,
    satisfaction TINYINT,
    topic        VARCHAR,
    vip          BOOLEAN NOT NULL
);
CREATE TABLE IF NOT EXISTS imports (
    imported_at  TIMESTAMP,
    file         VARCHAR,
    rows_read    BIGINT,
    inserted     BIGINT,
    updated      BIGINT,
    unchanged    BIGINT,
    rejected     BIGINT,
    rejects_file VARCHAR
);
"""
_DATA_COLUMNS = ("channel", "arrived_at", "answered_at", "ended_at", "abandoned", "satisfaction", "topic", "vip")


@dataclass(frozen=True)
class ImportResult:
    """What one import did. ``updated`` counts known contacts whose values changed;
    ``unchanged`` those re-imported with identical values."""

    inserted: int
    updated: int
    rejected: int
    rejects_file: Path | None
    unchanged: int = 0
    rows_read: int = 0
    db_rows: int = 0
    encoding: str | None = None  # of a CSV file

    def describe(self) -> str:
        text = f"read {self.rows_read} records"
        if self.encoding and self.encoding != "UTF-8":
            text += f" ({self.encoding})"
        text += (f": {self.inserted} inserted, {self.updated} updated, {self.unchanged} unchanged, "
                 f"{self.rejected} rejected; {self.db_rows} contacts in the database")
        if self.rejects_file is not None:
            text += f"; rejects listed in {self.rejects_file}"
        return text


class TooManyRejects(InputError):
    """More than ``max_reject_share`` of a file's records were rejected: nothing was imported."""

    def __init__(self, path: Path, rejected: int, rows_read: int, max_share: float, rejects_file: Path):
        self.rejected, self.rows_read, self.rejects_file = rejected, rows_read, rejects_file
        super().__init__(f"{rejected} of {rows_read} records rejected ({rejected / rows_read:.1%}, more than "
                         f"--max-reject-share {max_share:.1%}): nothing imported; rejects listed in {rejects_file}",
                         file=path, field="--max-reject-share")


# ---------------------------------------------------------------------------------------------
# connections, and the check that a database reads cleanly
# ---------------------------------------------------------------------------------------------
def connect(db_path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the actuals database; a missing (read-only), locked or foreign file is an InputError."""
    db_path = Path(db_path)
    if read_only and (problem := input_file_problem(db_path)) is not None:
        hint = " (import records first: schedule actuals import)" if problem == "not found" else ""
        raise InputError(f"actuals database {problem}{hint}", file=db_path, field="--db")
    try:
        con = duckdb.connect(str(db_path), read_only=read_only)
    except duckdb.Error as exc:
        raise InputError(f"cannot open the database ({_one_line(exc)})", file=db_path, field="--db") from None
    con.execute("SET enable_progress_bar = false")
    return con


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                      "WHERE table_schema = 'main' AND table_catalog = current_database() "
                                      "AND table_type = 'BASE TABLE' ORDER BY table_name").fetchall()]


def check_schema(con: duckdb.DuckDBPyConnection, db_path: str | Path) -> None:
    """The database must hold our ``contacts`` table."""
    cols = [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'contacts' "
        "AND table_schema = 'main' AND table_catalog = current_database() ORDER BY ordinal_position").fetchall()]
    if not cols:
        raise InputError("no contacts table: not an actuals database (import records first)",
                         file=db_path, field="--db")
    missing = [c for c in ("contact_id",) + _DATA_COLUMNS if c not in cols]
    if missing:
        raise InputError(f"table contacts lacks column(s) {', '.join(missing)}: not an actuals database",
                         file=db_path, field="--db")


def verify_readable(con: duckdb.DuckDBPyConnection, db_path: str | Path) -> None:
    """Read every value of every table, so DuckDB checks every block's checksum: a damaged database
    is an InputError here rather than a traceback (or a silently wrong report) later."""
    for table in _tables(con):
        try:
            con.execute(f"SELECT count(*), bit_xor(hash(COLUMNS(*))) FROM {_ident(table)}").fetchall()
        except duckdb.Error as exc:
            raise InputError(f"the database is damaged: table {table} cannot be read ({_one_line(exc)}); "
                             "restore it from a backup or import into a new --db", file=db_path, field="--db") from None


def open_checked(db_path: str | Path) -> duckdb.DuckDBPyConnection:
    """The actuals database opened read-only, after checking that it holds our tables and reads
    cleanly from end to end. Every reader of the database (report, history) opens it here."""
    con = connect(db_path, read_only=True)
    try:
        check_schema(con, db_path)
        verify_readable(con, db_path)
    except BaseException:
        con.close()
        raise
    return con


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---------------------------------------------------------------------------------------------
# reading the file
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Source:
    path: Path
    fmt: str  # "csv" or "parquet"
    names: list[str]  # header names as in the file
    types: dict[str, str]  # Parquet column types by normalized name
    csv: CsvFile | None = None


def _is_parquet(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) == b"PAR1"


def _normalized(names: list[str]) -> list[str]:
    """The file's header names as the store's columns: any case, or a Chinese name (``header_key``)."""
    return [key if (key := header_key(n)) in COLUMNS else n.strip().lower() for n in names]


def _check_columns(names: list[str], path: Path) -> list[str]:
    """Normalized header names; missing required or duplicate columns are InputErrors."""
    norm = _normalized(names)
    for col in REQUIRED:
        if col not in norm:
            raise InputError(f"missing column '{col}' (need {', '.join(REQUIRED)}[, {', '.join(OPTIONAL)}])",
                             file=path, row=1, field=col)
    for col in COLUMNS:
        if norm.count(col) > 1:
            raise InputError(f"column '{col}' appears twice", file=path, row=1, field=col)
    return norm


def _inspect(path: Path) -> _Source:
    """Format, header and column types of a records file, checked before the database is touched:
    missing or doubled columns, unreadable files and zoned Parquet times are InputErrors."""
    if not _is_parquet(path):
        csv = sniff_csv(path, what="records file", option="PATH")
        _check_columns(csv.header, path)
        return _Source(path, "csv", csv.header, {}, csv)
    con = duckdb.connect()
    try:
        schema = con.execute(f"DESCRIBE SELECT * FROM read_parquet({sql_str(path.absolute())})").fetchall()
    except duckdb.Error as exc:
        raise InputError(f"not a readable Parquet file ({_one_line(exc)})", file=path) from None
    finally:
        con.close()
    names = [r[0] for r in schema]
    types = {n: str(t) for n, t in zip(_normalized(names), (r[1] for r in schema))}
    _check_columns(names, path)
    for col in ("arrived_at", "answered_at", "ended_at"):
        if "TIME ZONE" in types[col].upper():
            raise InputError(f"column '{col}' holds times with a time zone ({types[col]}); store local times",
                             file=path, field=col)
    return _Source(path, "parquet", names, types)


def _stage_parquet(con: duckdb.DuckDBPyConnection, src: _Source) -> None:
    norm = _normalized(src.names)
    by_norm = dict(zip(norm, src.names))
    sel = ", ".join(f"{_ident(by_norm[c])} AS {c}" if c in by_norm else f"NULL::VARCHAR AS {c}" for c in COLUMNS)
    try:
        con.execute(f"CREATE TEMP TABLE raw0 AS SELECT file_row_number + 1 AS pq_row, {sel} "
                    f"FROM read_parquet({sql_str(src.path.absolute())}, file_row_number = true)")
        con.execute("CREATE TEMP VIEW raw AS SELECT rowid AS rid, pq_row AS row, * EXCLUDE (pq_row) FROM raw0")
    except duckdb.Error as exc:
        raise InputError(f"not a readable Parquet file ({_one_line(exc)})", file=src.path) from None


def _stage_csv(con: duckdb.DuckDBPyConnection, src: _Source, text_path: Path) -> int:
    """Load the UTF-8 CSV ``text_path`` (the records file or its UTF-8 copy) as text into temp table
    ``raw0``, seen through view ``raw(rid, row, <columns>)`` with ``row`` the file line; return how
    many lines DuckDB could not read (listed in ``csv_rejects``)."""
    for kind, name in (("VIEW", "raw"), ("TABLE", "bad_shift"), ("TABLE", "raw0"), ("TABLE", "csv_rejects"),
                       ("TABLE", "csv_scans")):
        con.execute(f"DROP {kind} IF EXISTS temp.{name}")  # a second pass (see _stage); never the database's
    norm = _normalized(src.names)
    internal = [n if n in COLUMNS else f"_extra{i}" for i, n in enumerate(norm)]  # unique names for every column
    spec = "{" + ", ".join(f"{sql_str(n)}: 'VARCHAR'" for n in internal) + "}"
    sel = ", ".join(c if c in internal else f"NULL::VARCHAR AS {c}" for c in COLUMNS)
    compression = "gzip" if is_gzip(text_path) else "none"
    try:
        con.execute(f"""
            CREATE TEMP TABLE raw0 AS
            SELECT {sel} FROM read_csv({sql_str(text_path.absolute())}, columns = {spec}, header = true,
                                       delim = {sql_str(src.csv.delimiter)}, quote = '"', escape = '"',
                                       compression = '{compression}', auto_detect = false,
                                       store_rejects = true, rejects_table = 'csv_rejects',
                                       rejects_scan = 'csv_scans', rejects_limit = 0)""")
    except duckdb.Error as exc:
        raise InputError(f"not a readable CSV ({_one_line(exc)})", file=src.path) from None
    n_bad = con.execute("SELECT count(DISTINCT line) FROM csv_rejects").fetchone()[0]
    if n_bad == 0:
        con.execute("CREATE TEMP VIEW raw AS SELECT rowid AS rid, rowid + 2 AS row, * FROM raw0")
    else:
        # Lines DuckDB could not split are missing from raw0: shift the later line numbers past them.
        # s = records accepted before rejected line j = line - 2 - (j - 1).
        con.execute("""
            CREATE TEMP TABLE bad_shift AS
            SELECT line - 2 - (row_number() OVER (ORDER BY line) - 1) AS s,
                   row_number() OVER (ORDER BY line) AS j
            FROM (SELECT DISTINCT line FROM csv_rejects);
            CREATE TEMP VIEW raw AS
            SELECT r.rowid AS rid, r.rowid + 2 + coalesce(b.j, 0) AS row, r.*
            FROM raw0 r ASOF LEFT JOIN bad_shift b ON r.rowid >= b.s""")
    return n_bad


def _stage(con: duckdb.DuckDBPyConnection, src: _Source, files: ExitStack) -> tuple[int, Encoding | None]:
    """Load the records into ``raw0``/``raw``; return (unreadable CSV lines, the CSV's encoding).

    A UTF-8 file is read as it is; any other encoding through a UTF-8 copy. The encoding found in
    the file's first megabyte holds for a smaller file; for a larger one, lines DuckDB finds not to
    be UTF-8 make the whole file be examined, and a file that turns out to be in GB18030 is read
    again through a copy."""
    if src.fmt == "parquet":
        _stage_parquet(con, src)
        return 0, None
    enc = src.csv.encoding
    if enc.is_utf8:
        n_bad = _stage_csv(con, src, src.path)
        if not n_bad or src.csv.whole or not _has_encoding_rejects(con):
            return n_bad, enc
        enc = detect_file(src.path)
        if enc.is_utf8:
            return n_bad, enc
    return _stage_csv(con, src, files.enter_context(utf8_copy(src.path, enc))), enc


def _has_encoding_rejects(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute("SELECT count(*) > 0 FROM csv_rejects WHERE error_type = 'INVALID ENCODING'").fetchone()[0]


# ---------------------------------------------------------------------------------------------
# validation in SQL
# ---------------------------------------------------------------------------------------------
def _kind(duck_type: str) -> str:
    """How a column's values are parsed: 'ts', 'bool', 'num' (typed Parquet columns) or 'text'."""
    t = duck_type.upper()
    if t.startswith("TIMESTAMP") and "TIME ZONE" not in t:
        return "ts"
    if t == "BOOLEAN":
        return "bool"
    if t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
             "UBIGINT", "FLOAT", "DOUBLE") or t.startswith("DECIMAL"):
        return "num"
    return "text" if t == "VARCHAR" else "cast"


def _text(col: str, kind: str) -> str:
    return col if kind == "text" else f"TRY_CAST({col} AS VARCHAR)"


def _ts(col: str, kind: str = "text") -> str:
    """-> TIMESTAMP (local time), or NULL where it is not a time."""
    return f"CAST({col} AS TIMESTAMP)" if kind == "ts" else timestamp_sql(_text(col, kind))


def _bool(col: str, kind: str = "text") -> str:
    """-> BOOLEAN; empty is false; NULL where the value is not a boolean word or 0/1."""
    if kind == "bool":
        return f"coalesce({col}, false)"
    if kind == "num":
        return f"CASE WHEN {col} IS NULL THEN false WHEN {col} = 1 THEN true WHEN {col} = 0 THEN false END"
    return boolean_sql(_text(col, kind))


def _trim(col: str) -> str:
    """trim(), skipped for the usual value without surrounding spaces."""
    return f"CASE WHEN prefix({col}, ' ') OR suffix({col}, ' ') THEN trim({col}) ELSE {col} END"


def _present(col: str, kind: str = "text") -> str:
    if kind in ("text", "cast"):
        return f"(nullif(trim({_text(col, kind)}), '') IS NOT NULL)"
    return f"({col} IS NOT NULL)"


def _quoted(col: str) -> str:
    """The raw value for a message, quoted and cut to 40 characters."""
    return f"'''' || left(CAST({col} AS VARCHAR), 40) || ''''"


def _reasons(channels: tuple[str, ...], k: dict[str, str]) -> str:
    """SQL: every problem of a parsed record, joined by '; ' ('' for a good record)."""
    chans = ", ".join(sql_str(c) for c in channels)
    time_msg = sql_str(f" is not a time ({TIME_FORMS})")
    return f"""concat_ws('; ',
         CASE WHEN contact_id IS NULL THEN 'contact_id: missing' END,
         CASE WHEN channel IS NULL OR channel = '' THEN 'channel: missing'
              WHEN channel NOT IN ({chans}) THEN 'channel: unknown ' || {_quoted('channel_raw')}
                   || '; allowed: {", ".join(channels)}' END,
         CASE WHEN arrived_ts IS NULL AND NOT {_present('arrived_raw', k['arrived_at'])} THEN 'arrived_at: missing'
              WHEN arrived_ts IS NULL THEN 'arrived_at: ' || {_quoted('arrived_raw')} || {time_msg} END,
         CASE WHEN answered_ts IS NULL AND {_present('answered_raw', k['answered_at'])}
                   THEN 'answered_at: ' || {_quoted('answered_raw')} || {time_msg}
              WHEN answered_ts < arrived_ts THEN 'answered_at: before arrived_at' END,
         CASE WHEN ended_ts IS NULL AND {_present('ended_raw', k['ended_at'])}
                   THEN 'ended_at: ' || {_quoted('ended_raw')} || {time_msg}
              WHEN ended_ts < arrived_ts THEN 'ended_at: before arrived_at'
              WHEN ended_ts < answered_ts THEN 'ended_at: before answered_at' END,
         CASE WHEN abandoned_b IS NULL
                   THEN 'abandoned: ' || {_quoted('abandoned_raw')} || ' is not a boolean ({BOOL_FORMS})'
              WHEN abandoned_b AND answered_ts IS NOT NULL THEN 'abandoned: true but answered_at is set' END,
         CASE WHEN NOT coalesce(sat_d BETWEEN 1 AND 5 AND sat_d = floor(sat_d), false)
                   AND {_present('sat_raw', k['satisfaction'])}
                   THEN 'satisfaction: ' || {_quoted('sat_raw')} || ' is not a score 1-5' END,
         CASE WHEN vip_b IS NULL THEN 'vip: ' || {_quoted('vip_raw')} || ' is not a boolean ({BOOL_FORMS})' END
       )"""


def _validate(con: duckdb.DuckDBPyConnection, channels: tuple[str, ...], kinds: dict[str, str] | None = None) -> None:
    """Create ``parsed`` (typed values + ``reason``) from ``raw``. ``kinds`` tells how each column
    is typed (see :func:`_kind`); all text by default (CSV). No value makes a cast fail: a value
    out of a column's range is NULL here and a reason."""
    k = {c: "text" for c in COLUMNS} | (kinds or {})
    cid, chan, topic = _text("contact_id", k["contact_id"]), _text("channel", k["channel"]), _text("topic", k["topic"])
    sat = ("TRY_CAST(satisfaction AS DOUBLE)" if k["satisfaction"] == "num"
           else f"TRY_CAST({_text('satisfaction', k['satisfaction'])} AS DOUBLE)")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE parsed AS
        SELECT rid, row, contact_id, channel, arrived_ts AS arrived_at, answered_ts AS answered_at,
               ended_ts AS ended_at, abandoned_b AS abandoned,
               CASE WHEN sat_d BETWEEN 1 AND 5 AND sat_d = floor(sat_d) THEN CAST(sat_d AS TINYINT) END
                   AS satisfaction,
               topic, vip_b AS vip, {_reasons(channels, k)} AS reason
        FROM (
            SELECT rid, row,
                   nullif({_trim(cid)}, '') AS contact_id,
                   {channel_sql(chan, channels)} AS channel,
                   {_ts('arrived_at', k['arrived_at'])} AS arrived_ts,
                   {_ts('answered_at', k['answered_at'])} AS answered_ts,
                   {_ts('ended_at', k['ended_at'])} AS ended_ts,
                   {_bool('abandoned', k['abandoned'])} AS abandoned_b,
                   {sat} AS sat_d,
                   nullif({_trim(topic)}, '') AS topic,
                   {_bool('vip', k['vip'])} AS vip_b,
                   raw.arrived_at AS arrived_raw, raw.answered_at AS answered_raw, raw.ended_at AS ended_raw,
                   raw.abandoned AS abandoned_raw, raw.satisfaction AS sat_raw, raw.vip AS vip_raw,
                   raw.channel AS channel_raw
            FROM raw
        )""")
    _mark_duplicates(con)


def _mark_duplicates(con: duckdb.DuckDBPyConnection) -> None:
    """Among valid records with one ``contact_id``, the last line wins; the earlier ones are rejected."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE dup_keep AS
        SELECT contact_id, max(row) AS keep_row FROM parsed WHERE reason = ''
        GROUP BY contact_id HAVING count(*) > 1""")
    if con.execute("SELECT count(*) FROM dup_keep").fetchone()[0]:
        con.execute("""
            UPDATE parsed SET reason = 'contact_id: duplicate ''' || parsed.contact_id
                                       || ''' in this file; row ' || d.keep_row || ' is kept'
            FROM dup_keep d
            WHERE parsed.contact_id = d.contact_id AND parsed.reason = '' AND parsed.row < d.keep_row""")


# ---------------------------------------------------------------------------------------------
# rejects
# ---------------------------------------------------------------------------------------------
def default_rejects_path(path: str | Path, db_path: str | Path) -> Path:
    """``rejects_<file name without extensions>.csv`` in the database's folder."""
    name = Path(path).name
    for ext in (".gz", ".csv", ".txt", ".tsv", ".parquet", ".pq"):
        if name.lower().endswith(ext):
            name = name[: -len(ext)]
    return Path(db_path).absolute().parent / f"rejects_{name}.csv"


def _bad_lines_sql(enc: Encoding | None) -> str:
    """SQL: one reject row per CSV line DuckDB could not read, with the reason in words."""
    nulls = ", ".join(f"NULL AS {c}" for c in COLUMNS)
    label = enc.label if enc is not None else "UTF-8"
    encoding_msg = sql_str(f"line is not valid {label} text, the encoding of the rest of the file "
                           "(UTF-8 and GB18030/GBK are read)")
    return f"""
        SELECT line AS row, '(line)' AS field,
               'malformed CSV line: ' || string_agg(DISTINCT CASE WHEN error_type = 'INVALID ENCODING'
                   THEN {encoding_msg} ELSE error_type || ' (' || error_message || ')' END, '; ') AS reason,
               {nulls}, first(csv_line) AS raw_line
        FROM csv_rejects GROUP BY line"""


def _write_rejects(con: duckdb.DuckDBPyConnection, target: Path, n_bad_lines: int, enc: Encoding | None) -> None:
    """Every rejected record, by line, to ``target`` in UTF-8 with a BOM (the values may be Chinese), its
    text cells escaped against formula injection (:func:`core.cells.sql_escaped`): people open it in Excel."""
    raw_cols = ", ".join(f"r.{c}" for c in COLUMNS)
    shown = ", ".join(f"{sql_escaped(c)} AS {c}" for c in ("field", "reason", *COLUMNS, "raw_line"))
    bad_lines = f"UNION ALL {_bad_lines_sql(enc)}" if n_bad_lines else ""
    body = target.with_name(target.name + ".body")
    try:
        con.execute(f"""
            COPY (
                SELECT row, {shown} FROM (
                    SELECT p.row, split_part(p.reason, ':', 1) AS field, p.reason, {raw_cols}, NULL AS raw_line
                    FROM parsed p JOIN raw0 r ON p.rid = r.rowid WHERE p.reason <> ''
                    {bad_lines}
                ) ORDER BY row
            ) TO {sql_str(body.absolute())} (FORMAT csv, HEADER true)""")
        with open(target, "wb") as out, open(body, "rb") as src:
            out.write(codecs.BOM_UTF8)
            while block := src.read(1 << 22):
                out.write(block)
    finally:
        body.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# the upsert
# ---------------------------------------------------------------------------------------------
def _upsert(con: duckdb.DuckDBPyConnection, path: Path, counts: dict) -> tuple[int, int, int]:
    """In one transaction: create the tables a new database needs, classify the good records
    against the database, update the changed, insert the new, log the import. Returns
    (inserted, updated, unchanged)."""
    distinct = " OR ".join(f"g.{c} IS DISTINCT FROM c.{c}" for c in _DATA_COLUMNS)
    cols = ", ".join(("contact_id",) + _DATA_COLUMNS)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(CONTACTS_DDL)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE good AS
            SELECT g.contact_id, g.channel, g.arrived_at, g.answered_at, g.ended_at, g.abandoned,
                   g.satisfaction, g.topic, g.vip,
                   CASE WHEN c.contact_id IS NULL THEN 'new' WHEN {distinct} THEN 'changed' ELSE 'same' END AS status
            FROM parsed g LEFT JOIN contacts c ON g.contact_id = c.contact_id
            WHERE g.reason = ''""")
        status = dict(con.execute("SELECT status, count(*) FROM good GROUP BY status").fetchall())
        inserted, updated, unchanged = (int(status.get(s, 0)) for s in ("new", "changed", "same"))
        if updated:
            sets = ", ".join(f"{c} = g.{c}" for c in _DATA_COLUMNS)
            con.execute(f"UPDATE contacts SET {sets} FROM good g "
                        f"WHERE contacts.contact_id = g.contact_id AND g.status = 'changed'")
        if inserted:
            con.execute(f"INSERT INTO contacts ({cols}) SELECT {cols} FROM good WHERE status = 'new' "
                        f"ORDER BY arrived_at")
        con.execute("INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [dt.datetime.now().replace(microsecond=0), str(path.absolute()), counts["rows_read"],
                     inserted, updated, unchanged, counts["rejected"], counts["rejects_file"]])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return inserted, updated, unchanged


# ---------------------------------------------------------------------------------------------
# the database file: lock, new or existing, publish
# ---------------------------------------------------------------------------------------------
def _lock(db_path: Path, timeout_s: float) -> filelock.FileLock:
    lock = filelock.FileLock(str(db_path) + ".lock", timeout=timeout_s)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise InputError(f"another import into this database is still running after {timeout_s:g} s "
                         f"(lock file {db_path}.lock); try again when it has finished",
                         file=db_path, field="--db") from None
    return lock


def _new_name(db_path: Path) -> Path:
    """Where a new database is built (only by the holder of the lock, so one fixed name)."""
    return db_path.with_name(f".{db_path.name}.new")


def _remove_own(path: Path) -> None:
    """Remove a database this import built under its temporary name (and its WAL)."""
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)


def _check_existing(con: duckdb.DuckDBPyConnection, db_path: Path) -> None:
    """An existing database must be an actuals database (or hold no table yet) and read cleanly."""
    tables = _tables(con)
    if tables and "contacts" not in tables:
        raise InputError(f"holds tables ({', '.join(tables[:5])}) but no contacts table: not an actuals "
                         "database; give another --db", file=db_path, field="--db")
    if tables:
        check_schema(con, db_path)
    verify_readable(con, db_path)


def _publish(built: Path, db_path: Path) -> None:
    """Give the database built under a temporary name its real name, never replacing a file."""
    if built.with_name(built.name + ".wal").exists():
        raise InputError("the new database was not written completely (its WAL remains); nothing imported",
                         file=db_path, field="--db")
    try:
        os.link(built, db_path)  # fails if db_path exists: nothing is replaced
    except FileExistsError:
        raise InputError("a database appeared at this path during the import (written by a process that "
                         "does not take the lock); nothing imported", file=db_path, field="--db") from None
    except OSError:  # a file system without hard links; we hold the lock
        if db_path.exists():
            raise InputError("a database appeared at this path during the import; nothing imported",
                             file=db_path, field="--db") from None
        os.replace(built, db_path)
    built.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# the import
# ---------------------------------------------------------------------------------------------
def _check_share(value: float | None) -> float:
    if value is None:
        return DEFAULT_MAX_REJECT_SHARE
    if not (isinstance(value, (int, float)) and 0 <= value <= 1):
        raise InputError(f"must be a share between 0 and 1, got {value!r}", field="--max-reject-share")
    return float(value)


def import_records(path: str | Path, db_path: str | Path = DEFAULT_DB,
                   rejects_path: str | Path | None = None, *,
                   channels: tuple[str, ...] = CHANNELS,
                   max_reject_share: float | None = DEFAULT_MAX_REJECT_SHARE,
                   lock_timeout_s: float = LOCK_TIMEOUT_S) -> ImportResult:
    """Validate per-contact records from a CSV or Parquet file and upsert them into ``db_path``.

    See the module docstring for the columns and rules. Returns counts and the rejects file (None
    when nothing was rejected); raises :class:`TooManyRejects` (after writing the rejects file)
    when more than ``max_reject_share`` (None: the default) of the records were rejected."""
    path, db_path = Path(path), Path(db_path)
    check_input_file(path, "records file", "PATH")
    max_reject_share = _check_share(max_reject_share)
    explicit_rejects = rejects_path is not None
    rejects = Path(rejects_path) if explicit_rejects else default_rejects_path(path, db_path)
    src = _inspect(path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_rejects = rejects.with_name(f".{rejects.name}.tmp{os.getpid()}")
    lock = _lock(db_path, lock_timeout_s)
    try:
        built = _new_name(db_path)
        _remove_own(built)  # left by an import that was killed: we hold the lock, so it is stale
        existing = db_path.exists()
        target = db_path if existing else built
        try:
            result = _import_into(target, src, rejects, tmp_rejects, channels, max_reject_share, existing)
            if not existing:
                _publish(built, db_path)
            if result.rejected:
                os.replace(tmp_rejects, rejects)
        finally:
            tmp_rejects.unlink(missing_ok=True)
            if not existing:
                _remove_own(built)
    finally:
        lock.release()
    if result.rejected == 0 and not explicit_rejects:
        rejects.unlink(missing_ok=True)  # stale list from an earlier import of a file with this name
    return result


def _import_into(target: Path, src: _Source, rejects: Path, tmp_rejects: Path, channels: tuple[str, ...],
                 max_share: float, existing: bool) -> ImportResult:
    """The import proper, into the database file ``target`` (the real one, or a new one under its
    temporary name). Rejects are written to ``tmp_rejects``, and moved to ``rejects`` here only
    before a :class:`TooManyRejects` (the caller moves them after a successful import)."""
    con = connect(target)
    with ExitStack() as files:
        files.callback(con.close)
        try:
            if existing:
                _check_existing(con, target)
            n_bad_lines, enc = _stage(con, src, files)
            _validate(con, channels, {c: _kind(src.types[c]) for c in COLUMNS if c in src.types})
            rows_read = con.execute("SELECT count(*) FROM raw0").fetchone()[0] + n_bad_lines
            n_rejected = con.execute("SELECT count(*) FROM parsed WHERE reason <> ''").fetchone()[0] + n_bad_lines
            if n_rejected:
                rejects.parent.mkdir(parents=True, exist_ok=True)
                _write_rejects(con, tmp_rejects, n_bad_lines, enc)
            if n_rejected and n_rejected > max_share * rows_read:
                os.replace(tmp_rejects, rejects)
                raise TooManyRejects(src.path, n_rejected, rows_read, max_share, rejects)
            counts = {"rows_read": rows_read, "rejected": n_rejected,
                      "rejects_file": str(rejects.absolute()) if n_rejected else None}
            inserted, updated, unchanged = _upsert(con, src.path, counts)
        except duckdb.Error as exc:
            raise InputError(f"import failed, database unchanged ({_one_line(exc)})", file=src.path) from None
        try:
            con.execute("CHECKPOINT")  # the committed rows from the WAL into the file
        except duckdb.Error as exc:
            raise InputError(f"the import was committed but the database could not be written out "
                             f"({_one_line(exc)})", file=target, field="--db") from None
    check = open_checked(target)  # success only for a database that opens and reads cleanly
    try:
        db_rows = check.execute("SELECT count(*) FROM contacts").fetchone()[0]
    finally:
        check.close()
    return ImportResult(inserted, updated, n_rejected, rejects if n_rejected else None, unchanged, rows_read,
                        db_rows, enc.label if enc is not None else None)
