"""Issue 14 regressions for the actuals store: simultaneous first imports, values a cast refuses,
damaged databases, byte-identical failures, the reject share, vendors' files and the round trip to
the forecaster. Each test names the issue case it covers."""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import multiprocessing as mp
import os
import shutil
from pathlib import Path

import duckdb
import filelock
import pandas as pd
import pytest
from typer.testing import CliRunner

import scheduler.actuals.store as store
from core.cells import unescape_text
from core.errors import InputError
from forecasts.history import read_history
from scheduler.actuals import build_report, history_from_actuals, import_records
from scheduler.cli import app

HEADER = "contact_id,channel,arrived_at,answered_at,ended_at,abandoned,satisfaction,topic,vip\n"
runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def records(prefix: str, n: int, day: str = "2025-11-12") -> str:
    """``n`` good chat records with ids ``<prefix>0..``, one a minute from 09:00."""
    t0 = dt.datetime.fromisoformat(f"{day}T09:00:00")
    rows = []
    for i in range(n):
        a = t0 + dt.timedelta(minutes=i)
        rows.append(f"{prefix}{i},chat,{a:%Y-%m-%dT%H:%M:%S},{a + dt.timedelta(seconds=20):%Y-%m-%dT%H:%M:%S},"
                    f"{a + dt.timedelta(minutes=5):%Y-%m-%dT%H:%M:%S},false,4,退款 (refunds),false")
    return "\n".join(rows) + "\n"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def db_rows(db: Path, sql: str = "SELECT contact_id FROM contacts ORDER BY contact_id") -> list:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def leftovers(folder: Path) -> list[str]:
    """Temporary files an import may leave (a new database under construction, rejects in progress)."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and not p.name.endswith(".lock"))


# ---------------------------------------------------------------------------------------------
# case 1: simultaneous first imports into a new database
# ---------------------------------------------------------------------------------------------
def _import_at_once(args):
    path, db, barrier = args
    barrier.wait()  # all five start their import at the same moment
    try:
        res = import_records(path, db, lock_timeout_s=120)
        return "ok", res.inserted, res.db_rows
    except InputError as exc:
        return "error", str(exc), 0


@pytest.mark.slow
def test_five_simultaneous_first_imports_keep_every_row_once(tmp_path):
    """Issue 14, case 1: five processes import five files into one new database at the same time.
    Before, a process that failed removed the database the winner had created. Now each waits for
    the lock: one database holding every row exactly once (or clean lock errors, nothing lost)."""
    files = []
    for k in range(5):
        files.append(tmp_path / f"part{k}.csv")
        files[-1].write_text(HEADER + records(f"P{k}-", 400), encoding="utf-8")
    db = tmp_path / "d.duckdb"
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(5)
        with ctx.Pool(5) as pool:
            results = pool.map(_import_at_once, [(f, db, barrier) for f in files])
    ok = [r for r in results if r[0] == "ok"]
    for status, text, _ in results:
        assert status == "ok" or "another import into this database" in text, text
    assert sorted(r[1] for r in ok) == [400] * len(ok) and len(ok) >= 1
    ids = [r[0] for r in db_rows(db)]
    assert len(ids) == len(set(ids)) == 400 * len(ok)  # every row of every successful import, once
    assert max(r[2] for r in ok) == 400 * len(ok)
    assert leftovers(tmp_path) == []


def test_a_lock_held_elsewhere_is_a_clean_error_and_nothing_is_created(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(HEADER + records("A", 3), encoding="utf-8")
    db = tmp_path / "d.duckdb"
    held = filelock.FileLock(str(db) + ".lock")
    held.acquire()
    try:
        with pytest.raises(InputError) as err:
            import_records(path, db, lock_timeout_s=0.2)
    finally:
        held.release()
    assert err.value.field == "--db" and "another import into this database" in str(err.value)
    assert not db.exists() and leftovers(tmp_path) == []
    assert import_records(path, db).inserted == 3  # once the lock is free


def test_a_database_that_appears_during_a_first_import_is_never_replaced(tmp_path, monkeypatch):
    """A process that does not take the lock writes the database while our first import runs: our
    import fails cleanly, their file stays as it is, and our half is removed."""
    path = tmp_path / "a.csv"
    path.write_text(HEADER + records("A", 3), encoding="utf-8")
    db = tmp_path / "d.duckdb"
    original = store._import_into

    def racing(*args, **kwargs):
        result = original(*args, **kwargs)
        db.write_bytes(b"someone else's file")
        return result

    monkeypatch.setattr(store, "_import_into", racing)
    with pytest.raises(InputError, match="appeared"):
        import_records(path, db)
    assert db.read_bytes() == b"someone else's file" and leftovers(tmp_path) == []


def test_stale_files_of_a_killed_first_import_are_cleaned_up(tmp_path):
    db = tmp_path / "d.duckdb"
    (tmp_path / ".d.duckdb.new").write_bytes(b"half a database")
    (tmp_path / ".d.duckdb.new.wal").write_bytes(b"its log")
    path = tmp_path / "a.csv"
    path.write_text(HEADER + records("A", 3), encoding="utf-8")
    assert import_records(path, db).db_rows == 3
    assert leftovers(tmp_path) == []


# ---------------------------------------------------------------------------------------------
# case 4: values a cast refuses are rejected row by row
# ---------------------------------------------------------------------------------------------
BAD_SCORES = ["200", "-129", "128", "0", "6", "inf", "-inf", "nan", "NaN", "1e309", "99999999999999999999999",
              "3.5", "1e-400", "four"]


def test_satisfaction_out_of_range_or_inf_rejects_the_row_not_the_file(tmp_path):
    """Issue 14, case 4: one satisfaction outside -128..127 (or inf) made DuckDB's cast fail the
    whole import; 5,000 good rows were lost and no rejects file was written."""
    good = records("G", 5000)
    bad = "".join(f"B{i},chat,2025-11-13T09:00:00,,,true,{v},,false\n" for i, v in enumerate(BAD_SCORES))
    path = tmp_path / "scores.csv"
    path.write_text(HEADER + good + bad, encoding="utf-8")
    res = import_records(path, tmp_path / "d.duckdb")
    assert (res.inserted, res.rejected) == (5000, len(BAD_SCORES))
    written = pd.read_csv(res.rejects_file, dtype=str, keep_default_na=False)
    assert written["satisfaction"].tolist()[5:7] == ["inf", "'-inf"]  # -inf would be a formula in Excel
    rej = unescape_text(written)
    assert rej["field"].unique().tolist() == ["satisfaction"]
    assert rej["satisfaction"].tolist() == BAD_SCORES
    assert db_rows(tmp_path / "d.duckdb", "SELECT DISTINCT satisfaction FROM contacts") == [(4,)]


def test_parquet_values_a_cast_refuses_are_rejected_row_by_row(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    t0 = dt.datetime(2025, 11, 12, 9)
    table = pa.table({
        "contact_id": ["Q1", "Q2", "Q3", "Q4", "Q5"], "channel": ["chat"] * 5, "arrived_at": [t0] * 5,
        "answered_at": pa.array([None] * 5, pa.timestamp("us")), "ended_at": pa.array([None] * 5, pa.timestamp("us")),
        "abandoned": [1.0, 1.0, 0.5, 1.0, 1.0],
        "satisfaction": pa.array([5.0, float("inf"), 3.0, float("nan"), 1e300], from_pandas=False),
        "vip": [False] * 5})
    pq.write_table(table, tmp_path / "q.parquet")
    res = import_records(tmp_path / "q.parquet", tmp_path / "d.duckdb", max_reject_share=1)
    rej = pd.read_csv(res.rejects_file)
    assert res.inserted == 1 and rej["row"].tolist() == [2, 3, 4, 5]
    assert [r.split(":")[0] for r in rej["reason"]] == ["satisfaction", "abandoned", "satisfaction", "satisfaction"]


# ---------------------------------------------------------------------------------------------
# cases 6 and 9: damaged databases
# ---------------------------------------------------------------------------------------------
def _damaged_copy(db: Path, out: Path) -> Path:
    """A copy of ``db`` with one data block overwritten: the database still opens, but reading the
    contacts fails on a block checksum (the damage the issue saw). Found by trying each block."""
    size = db.stat().st_size
    for offset in range(3 * 4096, size, 64 * 1024):
        shutil.copy(db, out)
        with open(out, "r+b") as fh:
            fh.seek(offset)
            fh.write(b"\xa5" * 4096)
        try:
            con = duckdb.connect(str(out))
        except duckdb.Error:
            continue
        try:
            con.execute("SELECT bit_xor(hash(COLUMNS(*))) FROM contacts").fetchall()
        except duckdb.Error:
            return out
        finally:
            con.close()
    pytest.fail("found no data block to damage")


@pytest.fixture
def damaged_db(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text(HEADER + records("A", 20_000), encoding="utf-8")
    import_records(path, tmp_path / "good.duckdb")
    return _damaged_copy(tmp_path / "good.duckdb", tmp_path / "damaged.duckdb")


def test_import_into_a_damaged_database_fails_and_leaves_it_byte_identical(tmp_path, damaged_db):
    """Issue 14, case 6: an import into a damaged database reported success (the rows went to the
    WAL). It is now refused before anything is written."""
    before = digest(damaged_db)
    path = tmp_path / "more.csv"
    path.write_text(HEADER + records("M", 10, day="2025-11-14"), encoding="utf-8")
    with pytest.raises(InputError) as err:
        import_records(path, damaged_db)
    assert err.value.field == "--db" and "damaged" in str(err.value) and "\n" not in str(err.value)
    assert digest(damaged_db) == before and not Path(str(damaged_db) + ".wal").exists()
    result = run("actuals", "import", path, "--db", damaged_db)
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("damage", ["block", "truncated", "not duckdb"])
def test_report_and_history_on_a_damaged_database_are_one_line_exit_2(tmp_path, damaged_db, damage):
    """Issue 14, cases 6 and 9: `report` and `history from-actuals` on a damaged DuckDB file raised
    a traceback. Now: one line naming the file and --db, exit 2, nothing written."""
    db = damaged_db
    if damage == "truncated":
        db = tmp_path / "trunc.duckdb"
        shutil.copy(tmp_path / "good.duckdb", db)
        os.truncate(db, db.stat().st_size // 2)
    elif damage == "not duckdb":
        db = tmp_path / "text.duckdb"
        db.write_text("hello")
    for args, out in ((("report", "--day", "2025-11-12"), tmp_path / "rep"),
                      (("history", "from-actuals"), tmp_path / "h.csv")):
        result = run(*args, "--db", db, "--out", out)
        lines = result.stderr.strip().splitlines()
        assert result.exit_code == 2 and len(lines) == 1, result.stderr
        assert str(db) in lines[0] and "field '--db'" in lines[0] and not out.exists()
        assert "Traceback" not in result.output


# ---------------------------------------------------------------------------------------------
# case 6: a failed import leaves the database byte-identical
# ---------------------------------------------------------------------------------------------
def test_a_failed_import_leaves_the_file_byte_identical_and_adds_no_table(tmp_path, monkeypatch):
    """Issue 14, case 6: a failed import could add an ``imports`` table. Here a database made by an
    earlier version (contacts only) sees an import fail inside its transaction."""
    db = tmp_path / "old.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(store.CONTACTS_DDL.split("CREATE TABLE IF NOT EXISTS imports")[0])
        con.execute("INSERT INTO contacts VALUES ('X', 'chat', TIMESTAMP '2025-11-12 09:00', NULL, NULL, true, "
                    "NULL, NULL, false)")
    before = digest(db)
    path = tmp_path / "a.csv"
    path.write_text(HEADER + records("A", 50), encoding="utf-8")

    class Boom:
        class datetime:
            @staticmethod
            def now():
                raise RuntimeError("disk full")

    monkeypatch.setattr(store, "dt", Boom)  # fails inside the transaction, after the inserts
    with pytest.raises(RuntimeError):
        import_records(path, db)
    monkeypatch.undo()
    assert digest(db) == before
    assert db_rows(db, "SELECT table_name FROM information_schema.tables ORDER BY 1") == [("contacts",)]
    assert leftovers(tmp_path) == []
    assert import_records(path, db).db_rows == 51  # and a good import then adds the log table


def test_a_file_of_another_database_is_not_turned_into_an_actuals_database(tmp_path):
    db = tmp_path / "other.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE sales (id INTEGER)")
    before = digest(db)
    path = tmp_path / "a.csv"
    path.write_text(HEADER + records("A", 3), encoding="utf-8")
    with pytest.raises(InputError, match="not an actuals database"):
        import_records(path, db)
    assert digest(db) == before


# ---------------------------------------------------------------------------------------------
# --max-reject-share
# ---------------------------------------------------------------------------------------------
def test_too_many_rejects_imports_nothing_and_says_how_many_and_where(tmp_path):
    db = tmp_path / "d.duckdb"
    import_records(_write(tmp_path / "first.csv", HEADER + records("F", 10)), db)
    before = digest(db)
    path = _write(tmp_path / "shaky.csv", HEADER + records("A", 90)
                  + "".join(f"B{i},fax,2025-11-12T09:00:00,,,true,,,false\n" for i in range(10)))
    result = run("actuals", "import", path, "--db", db)
    lines = result.stderr.strip().splitlines()
    rejects = tmp_path / "rejects_shaky.csv"
    assert result.exit_code == 2 and len(lines) == 1
    assert "10 of 100 records rejected (10.0%, more than --max-reject-share 5.0%): nothing imported" in lines[0]
    assert str(rejects) in lines[0] and rejects.is_file()
    assert digest(db) == before  # nothing imported, not even the log entry
    ok = run("actuals", "import", path, "--db", db, "--max-reject-share", "0.1")
    assert ok.exit_code == 0, ok.output
    assert "90 inserted" in ok.stdout and "10 rejected" in ok.stdout
    bad = run("actuals", "import", path, "--db", db, "--max-reject-share", "1.5")
    assert bad.exit_code == 2 and "--max-reject-share" in bad.stderr


def test_too_many_rejects_on_a_first_import_creates_no_database(tmp_path):
    path = _write(tmp_path / "all_bad.csv", HEADER + "A1,fax,2025-11-12T09:00:00,,,true,,,false\n")
    with pytest.raises(store.TooManyRejects) as err:
        import_records(path, tmp_path / "d.duckdb")
    assert (err.value.rejected, err.value.rows_read) == (1, 1) and err.value.rejects_file.is_file()
    assert not (tmp_path / "d.duckdb").exists() and leftovers(tmp_path) == []


def test_rejects_file_is_utf8_with_a_bom(tmp_path):
    path = _write(tmp_path / "cn.csv", HEADER + records("A", 40) + "B1,传真,2025-11-12T09:00:00,,,是,,投诉,否\n")
    res = import_records(path, tmp_path / "d.duckdb")
    raw = res.rejects_file.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8) and "传真" in raw.decode("utf-8-sig")
    assert pd.read_csv(res.rejects_file, encoding="utf-8-sig")["channel"].tolist() == ["传真"]


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


# ---------------------------------------------------------------------------------------------
# case 12: files vendors export
# ---------------------------------------------------------------------------------------------
VENDOR = (HEADER.replace("contact_id", "Contact_ID")
          + "V1,在线,2025/11/1 21:05,2025/11/1 21:05:20,2025/11/1 21:10,否,5,退款,是\n"
          + "V2,电话,2025-11-01T21:05:00+08:00,2025-11-01T21:05:30+08:00,2025-11-01T21:09:00+08:00,no,,发票,NO\n"
          + "V3,邮件,2025-11-01T13:05:00Z,2025-11-01T14:05:00Z,2025-11-01T14:05:00Z,False,,,\n"
          + "V4,Chat,45962.878472,45962.878704,,FALSE,,,\n"
          + "V5,聊天,2025-11-01 08:05:00-05:00,,,是,,物流,1\n")
WANT = [  # contact_id, channel, arrived_at, answered_at, ended_at, abandoned, vip (local times)
    ("V1", "chat", dt.datetime(2025, 11, 1, 21, 5), dt.datetime(2025, 11, 1, 21, 5, 20),
     dt.datetime(2025, 11, 1, 21, 10), False, True),
    ("V2", "phone", dt.datetime(2025, 11, 1, 21, 5), dt.datetime(2025, 11, 1, 21, 5, 30),
     dt.datetime(2025, 11, 1, 21, 9), False, False),
    ("V3", "email", dt.datetime(2025, 11, 1, 21, 5), dt.datetime(2025, 11, 1, 22, 5),
     dt.datetime(2025, 11, 1, 22, 5), False, False),
    ("V4", "chat", dt.datetime(2025, 11, 1, 21, 5), dt.datetime(2025, 11, 1, 21, 5, 20), None, False, False),
    ("V5", "chat", dt.datetime(2025, 11, 1, 21, 5), None, None, True, True),
]


def test_end_to_end_gbk_file_with_excel_dates_and_offsets(tmp_path):
    """Issue 14, case 12 and the acceptance test: a GBK file with Excel-style dates, ``+08:00`` and
    ``Z`` times, Chinese channel names and 是/否 had 100% of its rows rejected, exit 0. Now every
    row is in, at the right Asia/Shanghai local time."""
    path = _write(tmp_path / "vendor.csv", VENDOR, "gbk")
    result = run("actuals", "import", path, "--db", tmp_path / "d.duckdb")
    assert result.exit_code == 0, result.output
    assert "read 5 records (GB18030/GBK): 5 inserted" in result.stdout and "0 rejected" in result.stdout
    got = db_rows(tmp_path / "d.duckdb", "SELECT contact_id, channel, arrived_at, answered_at, ended_at, "
                                         "abandoned, vip FROM contacts ORDER BY contact_id")
    assert got == WANT
    assert db_rows(tmp_path / "d.duckdb", "SELECT topic FROM contacts WHERE contact_id = 'V1'") == [("退款",)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_every_encoding_and_excel_unicode_text_import_alike(tmp_path, encoding):
    text = VENDOR.replace(",", "\t").replace("\n", "\r\n") if encoding == "utf-16" else VENDOR  # Excel's "Unicode text"
    path = _write(tmp_path / "v.csv", text, encoding)
    res = import_records(path, tmp_path / "d.duckdb")
    assert (res.inserted, res.rejected) == (5, 0)
    assert db_rows(tmp_path / "d.duckdb", "SELECT contact_id, channel, arrived_at, answered_at, ended_at, "
                                          "abandoned, vip FROM contacts ORDER BY contact_id") == WANT


def test_chinese_headers_import_as_the_english_ones(tmp_path):
    """A Chinese system's export names its columns 会话ID, 渠道, 进线时间 ... (``core.names.HEADER_ALIASES``)."""
    zh = "会话ID,渠道,进线时间,应答时间,结束时间,是否放弃,满意度,咨询主题,是否VIP\n"
    path = _write(tmp_path / "v.csv", VENDOR.replace(VENDOR.split("\n")[0] + "\n", zh), "gbk")
    res = import_records(path, tmp_path / "d.duckdb")
    assert (res.inserted, res.rejected) == (5, 0)
    assert db_rows(tmp_path / "d.duckdb", "SELECT contact_id, channel, arrived_at, answered_at, ended_at, "
                                          "abandoned, vip FROM contacts ORDER BY contact_id") == WANT


def test_a_gbk_reject_names_the_encoding(tmp_path):
    """Issue 14, case 12: a reject in a GBK file said only 'not utf-8'. Now the file is read as
    GB18030, and a line that is not valid GB18030 is rejected naming it."""
    data = VENDOR.encode("gbk") + b"V6,chat,2025-11-01T21:05:00,,,1,,\xff\xfe\xff,0\n"
    path = tmp_path / "damaged.csv"
    path.write_bytes(data)
    res = import_records(path, tmp_path / "d.duckdb", max_reject_share=1)
    assert (res.inserted, res.rejected) == (5, 1)
    rej = pd.read_csv(res.rejects_file, encoding="utf-8-sig")
    assert rej["row"].tolist() == [7] and "not valid GB18030/GBK text" in rej["reason"].iloc[0]


def test_a_large_gbk_file_whose_first_megabyte_is_ascii(tmp_path, monkeypatch):
    """The encoding is guessed from the first bytes; when DuckDB then finds lines that are not
    UTF-8, the whole file is examined and read again as GB18030."""
    import core.csvio

    monkeypatch.setattr(core.csvio, "HEAD_BYTES", 512)  # stands for the first megabyte
    text = HEADER + records("A", 40).replace("退款 (refunds)", "refunds") + VENDOR.split("\n", 1)[1]
    path = _write(tmp_path / "late.csv", text, "gbk")
    assert path.read_bytes()[:512].isascii()
    res = import_records(path, tmp_path / "d.duckdb")
    assert (res.inserted, res.rejected, res.encoding) == (45, 0, "GB18030/GBK")
    assert db_rows(tmp_path / "d.duckdb", "SELECT topic FROM contacts WHERE contact_id = 'V1'") == [("退款",)]


# ---------------------------------------------------------------------------------------------
# case 13: actuals -> history -> forecaster
# ---------------------------------------------------------------------------------------------
def test_history_from_actuals_round_trips_when_an_email_ended_as_it_was_answered(tmp_path):
    """Issue 14, case 13: an interval whose only answered email ended the second it was answered
    got ``aht_s 0.0``, which ``forecast --history`` refuses. A zero mean (no measured handle time)
    is now written blank, a tiny positive mean as 0.1 s, and the file reads back."""
    rows = [
        "E1,email,2025-11-12T09:10:00,2025-11-12T10:00:00,2025-11-12T10:00:00,false,,,false",  # 0 s
        "E2,email,2025-11-12T10:10:00,2025-11-12T11:00:00.000,2025-11-12T11:00:00.020,false,,,false",  # 0.02 s
        "E3,email,2025-11-12T11:10:00,2025-11-12T12:00:00,2025-11-12T12:05:00,false,,,false",  # 300 s
        "C1,chat,2025-11-12T09:00:00,2025-11-12T09:00:10,2025-11-12T09:04:10,false,,,false",  # 240 s
    ]
    db = tmp_path / "d.duckdb"
    import_records(_write(tmp_path / "r.csv", HEADER + "\n".join(rows) + "\n"), db)
    out = tmp_path / "h.csv"
    result = run("history", "from-actuals", "--db", db, "--out", out)
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out, dtype=str, keep_default_na=False).set_index(["interval_start", "channel"])["aht_s"]
    assert written[("2025-11-12T09:00", "email")] == ""
    assert written[("2025-11-12T10:00", "email")] == "0.1"
    assert written[("2025-11-12T11:00", "email")] == "300.0"
    hist = read_history(out)  # what `forecast --history` reads
    f = hist.frame.set_index(["interval_start", "channel"])
    assert f.loc[(pd.Timestamp("2025-11-12 09:00"), "email"), "contacts"] == 1
    assert pd.isna(f.loc[(pd.Timestamp("2025-11-12 09:00"), "email"), "aht_s"])
    assert f.loc[(pd.Timestamp("2025-11-12 09:00"), "chat"), "aht_s"] == 240.0
    assert f["contacts"].sum() == 4


def test_report_reads_the_vendor_import(tmp_path):
    """The imported vendor rows are reported by the day they arrived in local time."""
    path = _write(tmp_path / "vendor.csv", VENDOR, "gbk")
    db = tmp_path / "d.duckdb"
    import_records(path, db)
    rep = build_report(db, ("day", "2025-11-01"), None, plans_root=tmp_path)
    assert rep.summary.set_index("channel")["contacts"].to_dict() == {"chat": 3, "phone": 1, "email": 1, "total": 5}
    assert history_from_actuals(db, tmp_path / "h.csv")["contacts"].sum() == 5
