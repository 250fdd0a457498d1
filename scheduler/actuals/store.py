"""Import per-contact records (CSV or Parquet) into an embedded DuckDB database.

Input columns (header names are matched case-insensitively, in any order; extra columns are
ignored):

| column | required | meaning |
|---|---|---|
| ``contact_id`` | yes | unique id of the contact; the key for re-imports |
| ``channel`` | yes | ``chat``, ``phone`` or ``email`` (case-insensitive) |
| ``arrived_at`` | yes | [local time] ``YYYY-MM-DDTHH:MM[:SS[.ffffff]]``; a space for ``T``, a trailing ``Z`` accepted |
| ``answered_at`` | yes | [local time] first response by an agent; empty if never answered |
| ``ended_at`` | yes | [local time] closed, or left (abandoned); empty if unknown |
| ``abandoned`` | yes | ``true``/``false``, ``1``/``0``, ``t``/``f``, ``yes``/``no``; empty means false |
| ``satisfaction`` | no | survey score 1-5; empty if unrated |
| ``topic`` | no | the question asked (free text) |
| ``vip`` | no | ``true``/``false`` as for ``abandoned``; empty means false |

Rules, all checked inside DuckDB with SQL over ``read_csv``/``read_parquet``, never row by row in
Python: CSV columns are read as text and parsed with ``TRY_STRPTIME``/``TRY_CAST``; Parquet
columns keep their types (timestamp, boolean, number) and text columns there are parsed as in CSV.

- A record is **rejected**, never dropped silently, when: ``contact_id`` is empty; ``channel`` is
  empty or unknown; ``arrived_at`` is empty; a time is not a time (or carries a time-zone
  offset, or has no time of day); ``answered_at`` or ``ended_at`` is before ``arrived_at``;
  ``ended_at`` is before ``answered_at``; ``abandoned`` is true but ``answered_at`` is set;
  ``abandoned``/``vip`` is not a boolean; ``satisfaction`` is not a whole number 1-5; or the
  CSV line itself is malformed (wrong number of fields, bad quoting, invalid UTF-8).
- **Duplicates inside one file:** among the records that pass the checks, the *last* one with a
  given ``contact_id`` is kept (a later line is a later state of the contact, as with
  re-imports); the earlier ones are rejected with the line number of the one kept.
- **Re-imports are idempotent:** records are upserted on ``contact_id``. A known contact whose
  values changed is updated; one with identical values is left alone and counted ``unchanged``.
- **Rejects file:** every rejected record is written, with its ``row`` and the ``field`` and
  ``reason`` of each problem, to ``rejects_path`` or by default to
  ``rejects_<file name without extension>.csv`` in the database's folder. ``row`` is the line in
  the CSV file (the header is line 1, as an editor shows it; a blank line or a line break inside
  quotes shifts later numbers) or the 1-based record number in a Parquet file. When nothing is
  rejected no file is written, and the default rejects file of an earlier import of the same file
  name is removed (it would be stale).
- **Atomic:** the upsert runs in one transaction. A file that cannot be read, a missing column or
  any other failure leaves the database as it was (a database file the import created is removed
  again). Each import is logged in table ``imports`` (time, file, counts, rejects file).

Errors a user can cause (missing file, missing column, a file that is not CSV or Parquet, a
database that is locked or not a DuckDB file) raise :class:`~core.errors.InputError` naming
the file and field.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from core.errors import InputError
from core.names import CHANNELS

DEFAULT_DB = Path("actuals.duckdb")
REQUIRED = ("contact_id", "channel", "arrived_at", "answered_at", "ended_at", "abandoned")
OPTIONAL = ("satisfaction", "topic", "vip")
COLUMNS = REQUIRED + OPTIONAL
REJECT_COLUMNS = ("row", "field", "reason") + COLUMNS + ("raw_line",)
TRUE_WORDS = ("true", "t", "1", "yes", "y")
FALSE_WORDS = ("false", "f", "0", "no", "n")

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

    def describe(self) -> str:
        text = (f"read {self.rows_read} records: {self.inserted} inserted, {self.updated} updated, "
                f"{self.unchanged} unchanged, {self.rejected} rejected; {self.db_rows} contacts in the database")
        if self.rejects_file is not None:
            text += f"; rejects listed in {self.rejects_file}"
        return text


# ---------------------------------------------------------------------------------------------
# connections
# ---------------------------------------------------------------------------------------------
def sql_str(text: str | Path) -> str:
    """A SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def connect(db_path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the actuals database; a missing (read-only), locked or foreign file is an InputError."""
    db_path = Path(db_path)
    if read_only and not db_path.is_file():
        raise InputError("actuals database not found (import records first: schedule actuals import)",
                         file=db_path, field="--db")
    if not read_only:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(db_path), read_only=read_only)
    except duckdb.Error as exc:
        raise InputError(f"cannot open the database ({_one_line(exc)})", file=db_path, field="--db") from None
    con.execute("SET enable_progress_bar = false")
    return con


def check_schema(con: duckdb.DuckDBPyConnection, db_path: str | Path) -> None:
    """The database must hold our ``contacts`` table."""
    cols = [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'contacts' "
        "AND table_schema = 'main' ORDER BY ordinal_position").fetchall()]
    if not cols:
        raise InputError("no contacts table: not an actuals database (import records first)",
                         file=db_path, field="--db")
    missing = [c for c in ("contact_id",) + _DATA_COLUMNS if c not in cols]
    if missing:
        raise InputError(f"table contacts lacks column(s) {', '.join(missing)}: not an actuals database",
                         file=db_path, field="--db")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


# ---------------------------------------------------------------------------------------------
# reading the file
# ---------------------------------------------------------------------------------------------
def _is_parquet(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) == b"PAR1"


def _csv_header(path: Path) -> list[str]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            first = fh.readline(1 << 20)
    except (OSError, EOFError) as exc:
        raise InputError(f"not a readable file ({_one_line(exc)})", file=path) from None
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("not a CSV in UTF-8 (or a Parquet file)", file=path, row=1) from None
    if not text.strip():
        raise InputError("empty file: no header line", file=path, row=1)
    return next(csv.reader(io.StringIO(text)))


def _check_columns(names: list[str], path: Path) -> list[str]:
    """Normalized header names; missing required or duplicate columns are InputErrors."""
    norm = [n.strip().lower() for n in names]
    for col in REQUIRED:
        if col not in norm:
            raise InputError(f"missing column '{col}' (need {', '.join(REQUIRED)}[, {', '.join(OPTIONAL)}])",
                             file=path, row=1, field=col)
    for col in COLUMNS:
        if norm.count(col) > 1:
            raise InputError(f"column '{col}' appears twice", file=path, row=1, field=col)
    return norm


def _inspect(path: Path) -> tuple[str, list[str], dict[str, str]]:
    """(format, header names, parquet column types) of a records file, checked before the database
    is touched: missing or doubled columns, unreadable files and zoned times are InputErrors."""
    if not _is_parquet(path):
        names = _csv_header(path)
        _check_columns(names, path)
        return "csv", names, {}
    con = duckdb.connect()
    try:
        schema = con.execute(f"DESCRIBE SELECT * FROM read_parquet({sql_str(path.absolute())})").fetchall()
    except duckdb.Error as exc:
        raise InputError(f"not a readable Parquet file ({_one_line(exc)})", file=path) from None
    finally:
        con.close()
    names = [r[0] for r in schema]
    types = {n.strip().lower(): str(t) for n, t in zip(names, (r[1] for r in schema))}
    _check_columns(names, path)
    for col in ("arrived_at", "answered_at", "ended_at"):
        if "TIME ZONE" in types[col].upper():
            raise InputError(f"column '{col}' holds times with a time zone ({types[col]}); store local times",
                             file=path, field=col)
    return "parquet", names, types


def _stage(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, names: list[str]) -> bool:
    """Load the file into temp table ``raw0`` (CSV as text, Parquet with its own types), seen through
    view ``raw(rid, row, <columns>)`` (``rid`` the table's rowid, ``row`` the file line); return
    whether DuckDB rejected CSV lines."""
    src = sql_str(path.absolute())
    norm = [n.strip().lower() for n in names]
    if fmt == "parquet":
        by_norm = dict(zip(norm, names))
        sel = ", ".join(f"{_ident(by_norm[c])} AS {c}" if c in by_norm else f"NULL::VARCHAR AS {c}"
                        for c in COLUMNS)
        try:
            con.execute(f"CREATE TEMP TABLE raw0 AS SELECT file_row_number + 1 AS pq_row, {sel} "
                        f"FROM read_parquet({src}, file_row_number = true)")
            con.execute("CREATE TEMP VIEW raw AS SELECT rowid AS rid, pq_row AS row, * EXCLUDE (pq_row) FROM raw0")
        except duckdb.Error as exc:
            raise InputError(f"not a readable Parquet file ({_one_line(exc)})", file=path) from None
        return False

    # unique internal names for every file column; ours get their own names
    internal = [n if n in COLUMNS else f"_extra{i}" for i, n in enumerate(norm)]
    spec = "{" + ", ".join(f"{sql_str(n)}: 'VARCHAR'" for n in internal) + "}"
    sel = ", ".join(c if c in internal else f"NULL::VARCHAR AS {c}" for c in COLUMNS)
    try:
        con.execute(f"""
            CREATE TEMP TABLE raw0 AS
            SELECT {sel} FROM read_csv({src}, columns = {spec}, header = true, delim = ',', quote = '"',
                                       escape = '"', auto_detect = false, store_rejects = true,
                                       rejects_table = 'csv_rejects', rejects_scan = 'csv_scans',
                                       rejects_limit = 0)""")
    except duckdb.Error as exc:
        raise InputError(f"not a readable CSV ({_one_line(exc)})", file=path) from None
    n_bad = con.execute("SELECT count(*) FROM csv_rejects").fetchone()[0]
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
    return n_bad > 0


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---------------------------------------------------------------------------------------------
# validation in SQL
# ---------------------------------------------------------------------------------------------
_TIME_RE = r"\s*\d{4}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{2}(:\d{2}(\.\d{1,9})?)?Z?\s*"


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
    return col if kind == "text" else f"CAST({col} AS VARCHAR)"


def _ts(col: str, kind: str = "text") -> str:
    """-> TIMESTAMP, or NULL where it is not a local date and time (no offset).

    Text in the common exact form goes through a strict ``strptime``; the rest through a pattern
    check and DuckDB's lenient cast (a space for ``T``, no seconds, fractions, a trailing ``Z``)."""
    if kind == "ts":
        return f"CAST({col} AS TIMESTAMP)"
    col = _text(col, kind)
    return (f"coalesce(TRY_STRPTIME({col}, '%Y-%m-%dT%H:%M:%S'), CASE WHEN regexp_full_match({col}, "
            f"{sql_str(_TIME_RE)}) THEN TRY_CAST({col} AS TIMESTAMP) END)")


def _bool(col: str, kind: str = "text") -> str:
    """-> BOOLEAN; empty is false; NULL where the value is not a boolean word or 0/1."""
    if kind == "bool":
        return f"coalesce({col}, false)"
    if kind == "num":
        return f"CASE WHEN {col} IS NULL THEN false WHEN {col} = 1 THEN true WHEN {col} = 0 THEN false END"
    col = _text(col, kind)
    t = f"lower(trim({col}))"
    trues = ", ".join(sql_str(w) for w in TRUE_WORDS)
    falses = ", ".join(sql_str(w) for w in FALSE_WORDS)
    return (f"CASE WHEN {col} = 'false' THEN false WHEN {col} = 'true' THEN true "
            f"WHEN {col} IS NULL OR trim({col}) = '' THEN false WHEN {t} IN ({trues}) THEN true "
            f"WHEN {t} IN ({falses}) THEN false END")


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


def _validate(con: duckdb.DuckDBPyConnection, channels: tuple[str, ...], kinds: dict[str, str] | None = None) -> None:
    """Create ``parsed`` (typed values + ``reason``) from ``raw``. ``kinds`` tells how each column
    is typed (see :func:`_kind`); all text by default (CSV)."""
    k = {c: "text" for c in COLUMNS} | (kinds or {})
    chans = ", ".join(sql_str(c) for c in channels)
    time_msg = "' is not a time YYYY-MM-DDTHH:MM[:SS] (local, no offset)'"
    cid, chan, topic = _text("contact_id", k["contact_id"]), _text("channel", k["channel"]), _text("topic", k["topic"])
    sat = ("CAST(satisfaction AS DOUBLE)" if k["satisfaction"] == "num"
           else f"TRY_CAST({_text('satisfaction', k['satisfaction'])} AS DOUBLE)")
    con.execute(f"""
        CREATE TEMP TABLE parsed AS
        SELECT rid, row, contact_id, channel, arrived_ts AS arrived_at, answered_ts AS answered_at,
               ended_ts AS ended_at, abandoned_b AS abandoned,
               CAST(sat_d AS TINYINT) AS satisfaction, topic, vip_b AS vip,
               concat_ws('; ',
                 CASE WHEN contact_id IS NULL THEN 'contact_id: missing' END,
                 CASE WHEN channel IS NULL OR channel = '' THEN 'channel: missing'
                      WHEN channel NOT IN ({chans}) THEN 'channel: unknown ' || {_quoted('channel_raw')}
                           || '; allowed: {", ".join(channels)}' END,
                 CASE WHEN arrived_ts IS NULL AND NOT {_present('arrived_raw', k['arrived_at'])}
                           THEN 'arrived_at: missing'
                      WHEN arrived_ts IS NULL THEN 'arrived_at: ' || {_quoted('arrived_raw')} || {time_msg} END,
                 CASE WHEN answered_ts IS NULL AND {_present('answered_raw', k['answered_at'])}
                           THEN 'answered_at: ' || {_quoted('answered_raw')} || {time_msg}
                      WHEN answered_ts < arrived_ts THEN 'answered_at: before arrived_at' END,
                 CASE WHEN ended_ts IS NULL AND {_present('ended_raw', k['ended_at'])}
                           THEN 'ended_at: ' || {_quoted('ended_raw')} || {time_msg}
                      WHEN ended_ts < arrived_ts THEN 'ended_at: before arrived_at'
                      WHEN ended_ts < answered_ts THEN 'ended_at: before answered_at' END,
                 CASE WHEN abandoned_b IS NULL
                           THEN 'abandoned: ' || {_quoted('abandoned_raw')} || ' is not true/false/1/0'
                      WHEN abandoned_b AND answered_ts IS NOT NULL
                           THEN 'abandoned: true but answered_at is set' END,
                 CASE WHEN (sat_d IS NULL OR sat_d < 1 OR sat_d > 5 OR sat_d <> floor(sat_d))
                           AND {_present('sat_raw', k['satisfaction'])}
                           THEN 'satisfaction: ' || {_quoted('sat_raw')} || ' is not a score 1-5' END,
                 CASE WHEN vip_b IS NULL THEN 'vip: ' || {_quoted('vip_raw')} || ' is not true/false/1/0' END
               ) AS reason
        FROM (
            SELECT rid, row,
                   nullif({_trim(cid)}, '') AS contact_id,
                   CASE WHEN {chan} IN ({chans}) THEN {chan} ELSE lower(trim({chan})) END AS channel,
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


# ---------------------------------------------------------------------------------------------
# the import
# ---------------------------------------------------------------------------------------------
def default_rejects_path(path: str | Path, db_path: str | Path) -> Path:
    """``rejects_<file name without extensions>.csv`` in the database's folder."""
    name = Path(path).name
    for ext in (".gz", ".csv", ".txt", ".parquet", ".pq"):
        if name.lower().endswith(ext):
            name = name[: -len(ext)]
    return Path(db_path).absolute().parent / f"rejects_{name}.csv"


def import_records(path: str | Path, db_path: str | Path = DEFAULT_DB,
                   rejects_path: str | Path | None = None, *,
                   channels: tuple[str, ...] = CHANNELS) -> ImportResult:
    """Validate per-contact records from a CSV or Parquet file and upsert them into ``db_path``.

    See the module docstring for the columns and rules. Returns counts and the rejects file (None
    when nothing was rejected)."""
    path = Path(path)
    db_path = Path(db_path)
    if not path.is_file():
        raise InputError("records file not found", file=path, field="PATH")
    explicit_rejects = rejects_path is not None
    rejects = Path(rejects_path) if explicit_rejects else default_rejects_path(path, db_path)
    fmt, names, types = _inspect(path)
    kinds = {c: _kind(types[c]) for c in COLUMNS if c in types}

    created = not db_path.exists()
    try:
        con = connect(db_path)
    except InputError:
        if created:
            _remove_db(db_path)
        raise
    tmp_rejects = rejects.with_name(f".{rejects.name}.tmp{os.getpid()}")
    ok = False
    try:
        con.execute(CONTACTS_DDL)
        check_schema(con, db_path)
        has_bad_lines = _stage(con, path, fmt, names)
        _validate(con, channels, kinds)
        rows_read = con.execute("SELECT count(*) FROM raw0").fetchone()[0]

        # duplicates among valid records: the last one wins
        con.execute("""
            CREATE TEMP TABLE dup_keep AS
            SELECT contact_id, max(row) AS keep_row FROM parsed WHERE reason = ''
            GROUP BY contact_id HAVING count(*) > 1""")
        n_dup_ids = con.execute("SELECT count(*) FROM dup_keep").fetchone()[0]
        if n_dup_ids:
            con.execute("""
                UPDATE parsed SET reason = 'contact_id: duplicate ''' || parsed.contact_id
                                           || ''' in this file; row ' || d.keep_row || ' is kept'
                FROM dup_keep d
                WHERE parsed.contact_id = d.contact_id AND parsed.reason = '' AND parsed.row < d.keep_row""")

        n_rejected = con.execute("SELECT count(*) FROM parsed WHERE reason <> ''").fetchone()[0]
        bad_line_sql = ""
        if has_bad_lines:
            n_bad_lines = con.execute("SELECT count(DISTINCT line) FROM csv_rejects").fetchone()[0]
            n_rejected += n_bad_lines
            rows_read += n_bad_lines
            nulls = ", ".join(f"NULL AS {c}" for c in COLUMNS)
            bad_line_sql = f"""
                UNION ALL
                SELECT line AS row, '(line)' AS field,
                       'malformed CSV line: ' || string_agg(DISTINCT error_type || ' (' || error_message || ')', '; ')
                       AS reason, {nulls}, first(csv_line) AS raw_line
                FROM csv_rejects GROUP BY line"""
        if n_rejected:
            rejects.parent.mkdir(parents=True, exist_ok=True)
            raw_cols = ", ".join(f"r.{c}" for c in COLUMNS)
            con.execute(f"""
                COPY (
                    SELECT * FROM (
                        SELECT p.row, split_part(p.reason, ':', 1) AS field, p.reason, {raw_cols},
                               NULL AS raw_line
                        FROM parsed p JOIN raw0 r ON p.rid = r.rowid WHERE p.reason <> ''
                        {bad_line_sql}
                    ) ORDER BY row
                ) TO {sql_str(tmp_rejects.absolute())} (FORMAT csv, HEADER true)""")

        # classify the good records against the database, then upsert in one transaction
        distinct = " OR ".join(f"g.{c} IS DISTINCT FROM c.{c}" for c in _DATA_COLUMNS)
        con.execute(f"""
            CREATE TEMP TABLE good AS
            SELECT g.contact_id, g.channel, g.arrived_at, g.answered_at, g.ended_at, g.abandoned,
                   g.satisfaction, g.topic, g.vip,
                   CASE WHEN c.contact_id IS NULL THEN 'new' WHEN {distinct} THEN 'changed'
                        ELSE 'same' END AS status
            FROM parsed g LEFT JOIN contacts c ON g.contact_id = c.contact_id
            WHERE g.reason = ''""")
        counts = dict(con.execute("SELECT status, count(*) FROM good GROUP BY status").fetchall())
        inserted, updated, unchanged = (int(counts.get(k, 0)) for k in ("new", "changed", "same"))

        cols = ", ".join(("contact_id",) + _DATA_COLUMNS)
        con.execute("BEGIN TRANSACTION")
        try:
            if updated:
                sets = ", ".join(f"{c} = g.{c}" for c in _DATA_COLUMNS)
                con.execute(f"UPDATE contacts SET {sets} FROM good g "
                            f"WHERE contacts.contact_id = g.contact_id AND g.status = 'changed'")
            if inserted:
                con.execute(f"INSERT INTO contacts ({cols}) SELECT {cols} FROM good WHERE status = 'new' "
                            f"ORDER BY arrived_at")
            con.execute("INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [dt.datetime.now().replace(microsecond=0), str(path.absolute()), rows_read, inserted,
                         updated, unchanged, n_rejected, str(rejects.absolute()) if n_rejected else None])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        db_rows = con.execute("SELECT count(*) FROM contacts").fetchone()[0]
        ok = True
    except duckdb.Error as exc:
        raise InputError(f"import failed, database unchanged ({_one_line(exc)})", file=path) from None
    finally:
        con.close()
        if not ok:
            if tmp_rejects.exists():
                tmp_rejects.unlink()
            if created:  # leave no empty database behind
                _remove_db(db_path)

    if n_rejected:
        os.replace(tmp_rejects, rejects)
        return ImportResult(inserted, updated, n_rejected, rejects, unchanged, rows_read, db_rows)
    if not explicit_rejects and rejects.exists():
        rejects.unlink()  # stale list from an earlier import of a file with this name
    return ImportResult(inserted, updated, 0, None, unchanged, rows_read, db_rows)



def _remove_db(db_path: Path) -> None:
    for p in (db_path, db_path.with_name(db_path.name + ".wal")):
        if p.exists():
            p.unlink()
