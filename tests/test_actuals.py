"""Actuals: import into DuckDB, KPI report, plan vs actual, history feedback, synthetic records."""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import numpy as np
import pandas as pd
import pytest

from core.atomic import MARKER
from core.errors import InputError
from core.scenario import load_scenario
from core.values import TIME_FORMS
from forecasts.history import read_history
from scenarios import DEFAULT_SCENARIO
from scheduler.actuals import (
    build_report,
    generate_records,
    history_from_actuals,
    import_records,
    parse_period,
    period_from_options,
    write_records,
    write_report,
)
from scheduler.actuals.report import BY_DAY_COLUMNS, BY_HOUR_COLUMNS, REPORT_COLUMNS

SCENARIO = load_scenario(DEFAULT_SCENARIO)
THRESHOLD_S = {"chat": 30.0, "phone": 20.0, "email": 24 * 3600.0}
TARGET = {"chat": 0.80, "phone": 0.80, "email": 0.95}
HEADER = "contact_id,channel,arrived_at,answered_at,ended_at,abandoned,satisfaction,topic,vip\n"


# ---------------------------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    """Synthetic records around November 2025, with some answered contacts lacking an end time
    and some without a topic (the generator never makes those)."""
    rec = generate_records(40_000, seed=11, start="2025-10-30", days=33)
    rng = np.random.default_rng(5)
    answered = rec["answered_at"].notna().to_numpy()
    no_end = answered & (rng.random(len(rec)) < 0.01)
    rec.loc[no_end, "ended_at"] = pd.NaT
    rec["topic"] = rec["topic"].astype(object)
    rec.loc[rng.random(len(rec)) < 0.02, "topic"] = None
    return rec


@pytest.fixture(scope="module")
def db(records, tmp_path_factory):
    folder = tmp_path_factory.mktemp("actuals")
    path = write_records(records, folder / "records.csv")
    db_path = folder / "actuals.duckdb"
    result = import_records(path, db_path)
    assert (result.inserted, result.updated, result.rejected, result.rejects_file) == (len(records), 0, 0, None)
    return db_path


# ---------------------------------------------------------------------------------------------
# an independent computation in pandas
# ---------------------------------------------------------------------------------------------
def _expected(rec: pd.DataFrame, lo: dt.date, hi: dt.date) -> dict[str, pd.DataFrame]:
    r = rec[(rec["arrived_at"] >= pd.Timestamp(lo)) & (rec["arrived_at"] < pd.Timestamp(hi))].copy()
    r["channel"] = r["channel"].astype(str)
    r["response_s"] = (r["answered_at"] - r["arrived_at"]).dt.total_seconds()
    r["resolution_s"] = (r["ended_at"] - r["arrived_at"]).dt.total_seconds()
    r["threshold_s"] = r["channel"].map(THRESHOLD_S)
    r["within"] = ~r["abandoned"] & (r["response_s"] <= r["threshold_s"])
    r["date"] = r["arrived_at"].dt.normalize()
    r["hour"] = r["arrived_at"].dt.hour

    def measures(g: pd.DataFrame) -> dict:
        ans = g["answered_at"].notna()
        sat = g["satisfaction"].astype("Float64")
        rated = int(sat.notna().sum())
        vip = g[g["vip"]]
        n = len(g)
        return {
            "contacts": n, "answered": int(ans.sum()), "abandoned": int(g["abandoned"].sum()),
            "service_level": g["within"].mean() if n else np.nan,
            "avg_response_s": g.loc[ans, "response_s"].mean() if ans.any() else np.nan,
            "avg_resolution_s": g.loc[ans, "resolution_s"].mean() if g.loc[ans, "resolution_s"].notna().any()
            else np.nan,
            "satisfaction_rate": float((sat >= 4).sum()) / rated if rated else np.nan,
            "rated": rated, "vip_contacts": len(vip),
            "vip_service_level": vip["within"].mean() if len(vip) else np.nan,
        }

    rows = []
    for ch in ("chat", "phone", "email"):
        g = r[r["channel"] == ch]
        rows.append({"channel": ch, **measures(g), "threshold_s": THRESHOLD_S[ch], "target": TARGET[ch]})
    total = measures(r)
    total_target = r["channel"].map(TARGET).mean()
    rows.append({"channel": "total", **total, "threshold_s": np.nan, "target": total_target})
    summary = pd.DataFrame(rows)
    summary["met"] = summary["service_level"] >= summary["target"]

    dates = sorted(r["date"].unique())
    empty = r.iloc[:0]
    per_day = dict(list(r.groupby(["date", "channel"])))
    per_hour = dict(list(r.groupby(["date", "hour", "channel"])))
    day_rows, hour_rows = [], []
    for d in dates:
        for ch in ("chat", "phone", "email"):
            day_rows.append({"date": d, "channel": ch, **measures(per_day.get((d, ch), empty)), "target": TARGET[ch]})
        for h in range(24):
            for ch in ("chat", "phone", "email"):
                hour_rows.append({"date": d, "hour": h, "channel": ch, **measures(per_hour.get((d, h, ch), empty))})
    by_day = pd.DataFrame(day_rows)
    by_day["met"] = by_day["service_level"] >= by_day["target"]
    by_hour = pd.DataFrame(hour_rows)

    topics = []
    for ch in ("chat", "phone", "email", "total"):
        g = r if ch == "total" else r[r["channel"] == ch]
        counts = g["topic"].dropna().value_counts()
        counts = counts.rename_axis("topic").reset_index(name="contacts").sort_values(
            ["contacts", "topic"], ascending=[False, True]).head(10)
        counts["channel"] = ch
        counts["share"] = counts["contacts"] / len(g)
        topics.append(counts)
    return {"summary": summary, "by_day": by_day, "by_hour": by_hour, "topics": pd.concat(topics)}


def _assert_frames(got: pd.DataFrame, want: pd.DataFrame, cols: list[str]) -> None:
    assert len(got) == len(want)
    for c in cols:
        g, w = got[c].reset_index(drop=True), want[c].reset_index(drop=True)
        if c in ("channel", "topic"):
            assert g.astype(str).tolist() == w.astype(str).tolist(), c
        elif c == "date":
            assert pd.to_datetime(g).tolist() == pd.to_datetime(w).tolist(), c
        elif c == "met":  # empty where there is no service level
            known = want["service_level"].reset_index(drop=True).notna()
            assert g[~known].isna().all() and g[known].astype(bool).tolist() == w[known].astype(bool).tolist()
        else:
            np.testing.assert_allclose(g.to_numpy(dtype=float), w.to_numpy(dtype=float), rtol=1e-9, atol=1e-9,
                                       equal_nan=True, err_msg=c)


# ---------------------------------------------------------------------------------------------
# report = pandas, for a month, a week and a day
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind,text,lo,hi", [
    pytest.param("month", "2025-11", dt.date(2025, 11, 1), dt.date(2025, 12, 1), marks=pytest.mark.slow),
    ("week", "2025-W46", dt.date(2025, 11, 10), dt.date(2025, 11, 17)),
    ("day", "2025-11-12", dt.date(2025, 11, 12), dt.date(2025, 11, 13)),
])
def test_report_equals_independent_pandas(db, records, kind, text, lo, hi, tmp_path):
    rep = build_report(db, (kind, text), SCENARIO, plans_root=tmp_path)
    want = _expected(records, lo, hi)
    assert rep.summary.columns.tolist() == REPORT_COLUMNS
    _assert_frames(rep.summary, want["summary"], REPORT_COLUMNS)
    _assert_frames(rep.by_day, want["by_day"], BY_DAY_COLUMNS)
    _assert_frames(rep.by_hour, want["by_hour"], BY_HOUR_COLUMNS)
    _assert_frames(rep.topics, want["topics"], ["channel", "topic", "contacts", "share"])
    assert rep.summary["contacts"].iloc[-1] == rep.summary["contacts"].iloc[:-1].sum()
    assert rep.plan_vs_actual is None and any("no saved plan" in n for n in rep.notes)


def test_report_files_and_html(db, tmp_path):
    rep = build_report(db, ("week", "2025-W46"), SCENARIO, plans_root=tmp_path)
    out = write_report(rep, tmp_path / "report")
    names = sorted(p.name for p in out.iterdir() if p.name != MARKER)
    assert names == ["by_day.csv", "by_hour.csv", "report.csv", "report.html", "topics.csv"]
    csv = pd.read_csv(out / "report.csv")
    assert csv.columns.tolist() == REPORT_COLUMNS
    assert csv["channel"].tolist() == ["chat", "phone", "email", "total"]
    assert csv["threshold_s"].tolist()[:3] == [30, 20, 86400] and np.isnan(csv["threshold_s"].iloc[3])
    np.testing.assert_allclose(csv["service_level"], rep.summary["service_level"].round(4))
    hours = pd.read_csv(out / "by_hour.csv")
    assert hours.columns.tolist() == BY_HOUR_COLUMNS and len(hours) == 7 * 24 * 3
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", hours["date"].iloc[0])
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 3  # contacts, service level, topics
    assert not re.search(r"""(src|href)=["']?https?:""", page)  # self-contained
    assert "退款 (refunds)" in page and "Service report 2025-W46" in page


def test_empty_period_reports_zeros(db, tmp_path):
    rep = build_report(db, ("day", "2024-01-01"), SCENARIO, plans_root=tmp_path)
    assert rep.summary["contacts"].tolist() == [0, 0, 0, 0]
    assert rep.summary["service_level"].isna().all() and rep.summary["met"].isna().all()
    assert rep.by_hour.empty and rep.topics.empty
    assert rep.notes[0].startswith("no contacts arrived")
    page = write_report(rep, tmp_path / "empty") / "report.html"
    assert "no data" in page.read_text(encoding="utf-8")


def test_periods():
    assert parse_period("month", "2025-11").end == dt.date(2025, 11, 30)
    assert parse_period("month", "2025-12").end == dt.date(2025, 12, 31)
    w = parse_period("week", "2025-W46")
    assert (w.start, w.end, w.label) == (dt.date(2025, 11, 10), dt.date(2025, 11, 16), "2025-W46")
    assert parse_period("week", "2025-11-12").label == "2025-W46"
    assert parse_period("day", "2025-11-12").weeks == ["2025-W46"]
    assert parse_period("month", "2025-11").weeks == ["2025-W44", "2025-W45", "2025-W46", "2025-W47", "2025-W48"]
    assert period_from_options(day="2025-11-12").kind == "day"
    one = "--month/--week/--day"
    for kwargs, field in [({}, one), ({"month": "2025-11", "day": "2025-11-12"}, one),
                          ({"month": "2025-13"}, "--month"), ({"month": "Nov"}, "--month"),
                          ({"day": "2025-11-31"}, "--day"), ({"week": "2025-W60"}, "--week")]:
        with pytest.raises(InputError) as exc:
            period_from_options(**kwargs)
        assert exc.value.field == field and "\n" not in str(exc.value)


# ---------------------------------------------------------------------------------------------
# import: idempotent, upserts, rejects, Parquet, atomic
# ---------------------------------------------------------------------------------------------
def _count(db_path) -> int:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM contacts").fetchone()[0]
    finally:
        con.close()


def test_reimport_does_not_double_count(records, tmp_path):
    sample = records.iloc[:3000].copy()
    path = write_records(sample, tmp_path / "a.csv")
    db_path = tmp_path / "a.duckdb"
    first = import_records(path, db_path)
    before = build_report(db_path, ("month", "2025-11"), SCENARIO, plans_root=tmp_path).summary
    again = import_records(path, db_path)
    assert (first.inserted, first.updated, first.unchanged) == (3000, 0, 0)
    assert (again.inserted, again.updated, again.unchanged, again.rejected) == (0, 0, 3000, 0)
    assert _count(db_path) == 3000 == again.db_rows
    after = build_report(db_path, ("month", "2025-11"), SCENARIO, plans_root=tmp_path).summary
    pd.testing.assert_frame_equal(before, after)

    # an overlapping file: 1000 known contacts (200 of them changed) and 500 new ones
    overlap = records.iloc[2000:3500].copy()
    changed_ids = overlap["contact_id"].iloc[:200]
    overlap.loc[overlap.index[:200], "satisfaction"] = pd.array([1] * 200, dtype="Int8")
    overlap.loc[overlap.index[:200], "topic"] = "投诉 (complaint)"
    res = import_records(write_records(overlap, tmp_path / "b.csv"), db_path)
    n_really_changed = int(((records.iloc[2000:2200]["satisfaction"] != 1).fillna(True)
                            | (records.iloc[2000:2200]["topic"] != "投诉 (complaint)").fillna(True)).sum())
    assert (res.inserted, res.updated, res.unchanged) == (500, n_really_changed, 1000 - n_really_changed)
    assert _count(db_path) == 3500
    con = duckdb.connect(str(db_path), read_only=True)
    got = con.execute("SELECT DISTINCT satisfaction, topic FROM contacts WHERE contact_id IN "
                      "(SELECT unnest(?))", [changed_ids.tolist()]).fetchall()
    logged = con.execute("SELECT inserted, updated, unchanged FROM imports ORDER BY imported_at, rowid").fetchall()
    con.close()
    assert got == [(1, "投诉 (complaint)")]
    assert logged == [(3000, 0, 0), (0, 0, 3000), (500, n_really_changed, 1000 - n_really_changed)]


BAD_ROWS = [  # (line, reason fragment); line 1 is the header
    ("A1,chat,2025-11-12T09:00:00,2025-11-12T09:00:10,2025-11-12T09:05:00,false,5,退款 (refunds),false", None),
    ("A2,chat,2025-11-12T25:00:00,,,true,,,false", "arrived_at: '2025-11-12T25:00:00' is not a time"),
    ("A3,phone,2025-11-12T09:00:00,2025-11-12T08:59:00,2025-11-12T09:05:00,0,,,0", "answered_at: before arrived_at"),
    ("A4,phone,2025-11-12T09:00:00,2025-11-12T09:00:05,2025-11-12T08:00:00,0,,,0", "ended_at: before arrived_at"),
    ("A5,fax,2025-11-12T09:00:00,,,1,,,0", "channel: unknown 'fax'"),
    ("A6,chat,2025-11-12T09:00:00,2025-11-12T09:00:05,2025-11-12T09:01:00,0,7,,0",
     "satisfaction: '7' is not a score 1-5"),
    (",chat,2025-11-12T09:00:00,2025-11-12T09:00:05,2025-11-12T09:01:00,0,,,0", "contact_id: missing"),
    ("A7,chat,2025-11-12T09:00:00,2025-11-12T09:00:05,2025-11-12T09:01:00,0,,,0,surplus", "malformed CSV line"),
    ("A8,email,11/12/2025 09:00,,,0,,,0", "arrived_at: '11/12/2025 09:00' is not a time"),  # month first: ambiguous
    ("A9,chat,2025-11-12T09:00:00,2025-11-12T09:00:05,2025-11-12T09:01:00,maybe,,,0", "abandoned: 'maybe' is not"),
    ("A10,chat,2025-11-12T09:00:00,2025-11-12T09:00:05,2025-11-12T09:01:00,true,,,0", "abandoned: true but answered"),
    ("A11,phone,2025-11-12T09:00:00,2025-11-12T09:00:30,2025-11-12T09:00:20,0,,,0", "ended_at: before answered_at"),
    ("A12,chat,2025-11-12T09:00:00,,2025-11-12T09:02:00,1,4.5,,0", "satisfaction: '4.5' is not a score 1-5"),
    ("A13,chat,,,,1,,,0", "arrived_at: missing"),
    ("A1,chat,2025-11-12T09:00:00,2025-11-12T09:00:20,2025-11-12T09:06:00,false,4,退款 (refunds),true", None),
    ("A14,Chat ,2025-11-12 09:00,2025-11-12 09:00:03,,FALSE,4.0,,TRUE", None),
    ("A15,email,2025-11-12T01:00:00Z,2025-11-12T15:00:00.5,2025-11-12T15:10,no,,发票 (invoice),yes", None),  # 09:00
]


def test_rejects_listed_with_rows_and_reasons(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "\n".join(r for r, _ in BAD_ROWS) + "\n", encoding="utf-8")
    db_path = tmp_path / "bad.duckdb"
    res = import_records(path, db_path, max_reject_share=1)
    expected_bad = {i + 2: why for i, (_, why) in enumerate(BAD_ROWS) if why}
    expected_bad[2] = "contact_id: duplicate 'A1' in this file; row 16 is kept"  # the earlier A1
    assert res.rejects_file == tmp_path / "rejects_bad.csv"
    assert (res.inserted, res.rejected, res.rows_read) == (3, len(expected_bad), len(BAD_ROWS))
    rej = pd.read_csv(res.rejects_file, dtype=str, keep_default_na=False)
    assert rej["row"].astype(int).tolist() == sorted(expected_bad)
    for row, reason, field in zip(rej["row"].astype(int), rej["reason"], rej["field"]):
        assert expected_bad[row] in reason, (row, reason)
        assert field == ("(line)" if "malformed" in reason else reason.split(":")[0])
    assert "surplus" in rej.loc[rej["field"] == "(line)", "raw_line"].iloc[0]
    assert rej.loc[rej["row"] == "6", "channel"].iloc[0] == "fax"  # the raw values come along
    con = duckdb.connect(str(db_path), read_only=True)
    rows = con.execute("SELECT contact_id, channel, answered_at, ended_at, abandoned, satisfaction, topic, vip "
                       "FROM contacts ORDER BY contact_id").fetchall()
    con.close()
    assert rows == [
        ("A1", "chat", dt.datetime(2025, 11, 12, 9, 0, 20), dt.datetime(2025, 11, 12, 9, 6), False, 4,
         "退款 (refunds)", True),
        ("A14", "chat", dt.datetime(2025, 11, 12, 9, 0, 3), None, False, 4, None, True),
        ("A15", "email", dt.datetime(2025, 11, 12, 15, 0, 0, 500000), dt.datetime(2025, 11, 12, 15, 10), False, None,
         "发票 (invoice)", True),
    ]
    # a clean re-import of a file with that name removes the stale rejects list
    path.write_text(HEADER + BAD_ROWS[0][0] + "\n", encoding="utf-8")
    res = import_records(path, db_path)
    assert res.rejects_file is None and not (tmp_path / "rejects_bad.csv").exists()


def test_broken_lines_gzip_and_no_database_left_behind(tmp_path):
    path = tmp_path / "enc.csv"
    path.write_bytes((HEADER + "A1,chat,2025-11-12T09:00:00,,,1,,,0\n").encode()
                     + b"A2,chat,2025-11-12T09:00:00,,,1,,bad\xff\xfetopic,0\n"
                     + b"A3,chat,2025-11-12T09:00:00,,,1,,,0\n")
    res = import_records(path, tmp_path / "enc.duckdb", max_reject_share=1)
    rej = pd.read_csv(res.rejects_file)
    assert (res.rows_read, res.inserted, res.rejected) == (3, 2, 1)
    assert rej["row"].tolist() == [3] and "line is not valid UTF-8 text" in rej["reason"].iloc[0]
    gz = tmp_path / "records.csv.gz"
    import gzip
    gz.write_bytes(gzip.compress((HEADER + BAD_ROWS[0][0] + "\n" + BAD_ROWS[1][0] + "\n").encode()))
    res = import_records(gz, tmp_path / "gz.duckdb", max_reject_share=1)
    assert (res.inserted, res.rejected, res.rejects_file.name) == (1, 1, "rejects_records.csv")
    (tmp_path / "nocol.csv").write_text("contact_id,channel\nA,chat\n")
    with pytest.raises(InputError):
        import_records(tmp_path / "nocol.csv", tmp_path / "fresh.duckdb")
    assert not (tmp_path / "fresh.duckdb").exists()


def test_explicit_rejects_path_and_optional_columns(tmp_path):
    path = tmp_path / "min.csv"
    path.write_text("Contact_ID,CHANNEL,arrived_at,answered_at,ended_at,abandoned,extra\n"
                    "X1,phone,2025-11-12T09:00:00,2025-11-12T09:00:15,2025-11-12T09:04:00,0,zzz\n"
                    "X2,phone,2025-11-12T09:00:00,,2025-11-12T09:01:00,1,zzz\n"
                    "X3,phone,not a time,,,1,zzz\n", encoding="utf-8")
    res = import_records(path, tmp_path / "db" / "x.duckdb", rejects_path=tmp_path / "mine.csv", max_reject_share=1)
    assert (res.inserted, res.rejected, res.rejects_file) == (2, 1, tmp_path / "mine.csv")
    rep = build_report(tmp_path / "db" / "x.duckdb", ("day", "2025-11-12"), SCENARIO, plans_root=tmp_path)
    phone = rep.summary.set_index("channel").loc["phone"]
    assert (phone["contacts"], phone["answered"], phone["abandoned"], phone["rated"]) == (2, 1, 1, 0)
    assert phone["service_level"] == 0.5 and phone["avg_response_s"] == 15.0 and np.isnan(phone["satisfaction_rate"])


def test_parquet_import_matches_csv(records, db, tmp_path):
    path = write_records(records, tmp_path / "records.parquet")
    db_path = tmp_path / "pq.duckdb"
    res = import_records(path, db_path)
    assert (res.inserted, res.rejected) == (len(records), 0)
    a = build_report(db, ("month", "2025-11"), SCENARIO, plans_root=tmp_path)
    b = build_report(db_path, ("month", "2025-11"), SCENARIO, plans_root=tmp_path)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    pd.testing.assert_frame_equal(a.topics, b.topics)
    # Parquet rows are numbered from 1 (no header)
    bad = records.iloc[:3].copy()
    bad.loc[bad.index[1], "channel"] = None
    res = import_records(write_records(bad.assign(channel=bad["channel"].astype(object)), tmp_path / "bad.parquet"),
                         db_path, max_reject_share=1)
    rej = pd.read_csv(res.rejects_file)
    assert rej["row"].tolist() == [2] and rej["reason"].iloc[0] == "channel: missing"
    # other column types: integer flags and ids, float scores, text times
    t0 = pd.Timestamp("2025-11-12 09:00")
    typed = pd.DataFrame({
        "contact_id": [1, 2, 3, 4], "channel": ["chat", "phone", "chat", "email"],
        "arrived_at": [t0] * 4,
        "answered_at": [t0 + pd.Timedelta(seconds=5), t0 - pd.Timedelta(seconds=5), pd.NaT, pd.NaT],
        "ended_at": ["2025-11-12T09:05:00", "2025-11-12T09:05:00", "", "soon"],
        "abandoned": [0, 0, 2, 0], "satisfaction": [4.0, 6.0, np.nan, np.nan], "vip": [True, False, None, False]})
    typed.to_parquet(tmp_path / "typed.parquet")
    res = import_records(tmp_path / "typed.parquet", tmp_path / "typed.duckdb", max_reject_share=1)
    rej = pd.read_csv(res.rejects_file)
    assert res.inserted == 1 and rej["row"].tolist() == [2, 3, 4]
    assert rej["reason"].tolist() == [
        "answered_at: before arrived_at; satisfaction: '6.0' is not a score 1-5",
        "abandoned: '2' is not a boolean (true/false, yes/no, 1/0, 是/否)",
        f"ended_at: 'soon' is not a time ({TIME_FORMS})"]


def test_failed_import_leaves_database_unchanged(records, tmp_path, monkeypatch):
    import scheduler.actuals.store as store

    db_path = tmp_path / "t.duckdb"
    import_records(write_records(records.iloc[:100], tmp_path / "a.csv"), db_path)

    class Boom:
        class datetime:
            @staticmethod
            def now():
                raise RuntimeError("disk full")

    monkeypatch.setattr(store, "dt", Boom)  # fails inside the transaction, after the inserts
    with pytest.raises(RuntimeError):
        import_records(write_records(records.iloc[50:300], tmp_path / "b.csv"), db_path)
    monkeypatch.undo()
    assert _count(db_path) == 100
    assert not list(tmp_path.glob(".rejects_*"))


def test_import_errors_are_one_line_input_errors(tmp_path):
    cases = []
    with pytest.raises(InputError) as exc:
        import_records(tmp_path / "nope.csv", tmp_path / "x.duckdb")
    cases.append((exc.value, "nope.csv", "PATH"))
    (tmp_path / "cols.csv").write_text("contact_id,channel,arrived_at,answered_at,abandoned\nA,chat,,,0\n")
    with pytest.raises(InputError) as exc:
        import_records(tmp_path / "cols.csv", tmp_path / "x.duckdb")
    cases.append((exc.value, "cols.csv", "ended_at"))
    (tmp_path / "twice.csv").write_text(HEADER.strip() + ",channel\n")
    with pytest.raises(InputError) as exc:
        import_records(tmp_path / "twice.csv", tmp_path / "x.duckdb")
    cases.append((exc.value, "twice.csv", "channel"))
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InputError) as exc:
        import_records(tmp_path / "empty.csv", tmp_path / "x.duckdb")
    cases.append((exc.value, "empty.csv", None))
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00garbage\x00\n")  # a UTF-16 byte-order mark, then junk
    with pytest.raises(InputError) as exc:
        import_records(tmp_path / "bin.csv", tmp_path / "x.duckdb")
    cases.append((exc.value, "bin.csv", "contact_id"))
    (tmp_path / "junk.csv").write_bytes(b"\x80\x81\xff\n")  # neither UTF-8 nor GB18030
    with pytest.raises(InputError) as exc:
        import_records(tmp_path / "junk.csv", tmp_path / "x.duckdb")
    assert "byte 0x80 at byte offset 0 is not valid UTF-8" in str(exc.value) and exc.value.row == 1
    cases.append((exc.value, "junk.csv", None))
    (tmp_path / "notdb.duckdb").write_text("hello")
    (tmp_path / "ok.csv").write_text(HEADER + BAD_ROWS[0][0] + "\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        import_records(tmp_path / "ok.csv", tmp_path / "notdb.duckdb")
    cases.append((exc.value, "notdb.duckdb", "--db"))
    with pytest.raises(InputError) as exc:
        build_report(tmp_path / "missing.duckdb", ("day", "2025-11-12"), SCENARIO)
    cases.append((exc.value, "missing.duckdb", "--db"))
    with pytest.raises(InputError) as exc:
        history_from_actuals(tmp_path / "missing.duckdb", tmp_path / "h.csv")
    cases.append((exc.value, "missing.duckdb", "--db"))
    for err, file, field in cases:
        text = str(err)
        assert "\n" not in text and file in text and err.file.endswith(file), text
        assert err.field == field, text
        if field:
            assert f"field '{field}'" in text
    assert str(cases[1][0]).endswith("missing column 'ended_at' (need contact_id, channel, arrived_at, "
                                     "answered_at, ended_at, abandoned[, satisfaction, topic, vip])")
    assert ":1, field 'ended_at'" in str(cases[1][0])


# ---------------------------------------------------------------------------------------------
# history fed back to the forecaster
# ---------------------------------------------------------------------------------------------
def test_history_round_trips_through_read_history(db, records, tmp_path):
    out = tmp_path / "hist.csv"
    frame = history_from_actuals(db, out, interval_min=60)
    hist = read_history(out)
    assert hist.interval_min == 60 and hist.channels == ["chat", "phone", "email"]
    assert hist.first_date == dt.date(2025, 10, 30) and hist.last_date == dt.date(2025, 12, 1)
    assert len(hist.frame) == 33 * 24 * 3 == len(frame)  # zero intervals written
    rec = records.assign(channel=records["channel"].astype(str),
                         interval_start=records["arrived_at"].dt.floor("60min"))
    counts = rec.groupby(["interval_start", "channel"]).size()
    got = hist.frame.set_index(["interval_start", "channel"])["contacts"]
    assert got.sum() == len(records)
    assert (got.reindex(counts.index) == counts).all() and (got.drop(counts.index) == 0).all()
    ans = rec[rec["answered_at"].notna()].assign(h=(rec["ended_at"] - rec["answered_at"]).dt.total_seconds())
    aht = ans.groupby(["interval_start", "channel"])["h"].mean().dropna()
    np.testing.assert_allclose(hist.frame.set_index(["interval_start", "channel"])["aht_s"].reindex(aht.index),
                               aht.round(1), atol=0.051)
    # 30-minute intervals, and merging into a base history replaces the covered days
    h30 = read_history(history_from_actuals(db, tmp_path / "h30.csv", interval_min=30) is not None
                       and tmp_path / "h30.csv")
    assert h30.interval_min == 30 and h30.frame["contacts"].sum() == len(records)
    base = tmp_path / "base.csv"
    base.write_text("interval_start,channel,contacts,aht_s\n2025-10-29T09:00,chat,7,300\n"
                    "2025-10-29T10:00,chat,0,\n2025-10-30T10:00,chat,99999,300\n", encoding="utf-8")
    merged = read_history(history_from_actuals(db, tmp_path / "m.csv", base_history=base) is not None
                          and tmp_path / "m.csv")
    assert merged.first_date == dt.date(2025, 10, 29)
    assert merged.frame["contacts"].sum() == len(records) + 7
    with pytest.raises(InputError) as exc:
        history_from_actuals(db, tmp_path / "x.csv", interval_min=7)
    assert exc.value.field == "--interval-min"


# ---------------------------------------------------------------------------------------------
# plan vs actual with a tiny handcrafted plan
# ---------------------------------------------------------------------------------------------
def _plan_db(tmp_path):
    rows = []
    k = 0

    def add(ch, at, n, handle_s):
        nonlocal k
        for i in range(n):
            k += 1
            arr = dt.datetime.fromisoformat(at) + dt.timedelta(minutes=i)
            ans, end = arr + dt.timedelta(seconds=10), arr + dt.timedelta(seconds=10 + handle_s)
            rows.append(f"P{k},{ch},{arr:%Y-%m-%dT%H:%M:%S},{ans:%Y-%m-%dT%H:%M:%S},{end:%Y-%m-%dT%H:%M:%S},0,,,0")

    add("chat", "2025-11-10T09:00", 8, 300)
    add("chat", "2025-11-10T10:00", 6, 300)
    add("chat", "2025-11-10T11:00", 3, 300)  # no forecast for 11:00: not compared
    add("phone", "2025-11-10T09:00", 3, 200)
    add("phone", "2025-11-10T10:00", 1, 200)
    path = tmp_path / "plan_records.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    db_path = tmp_path / "plan.duckdb"
    import_records(path, db_path)
    return db_path


def _plan_folder(folder):
    folder.mkdir(parents=True)
    (folder / "forecast.csv").write_text(
        "interval_start,channel,contacts,contacts_p10,contacts_p90,aht_s\n"
        "2025-11-10T09:00,chat,10,8,12,400\n2025-11-10T09:00,phone,2,1,3,300\n"
        "2025-11-10T10:00,chat,5,4,6,400\n2025-11-10T10:00,phone,0,0,1,300\n")
    (folder / "coverage.csv").write_text(
        "interval_start,channel,contacts,aht_s,required_agents,scheduled_agents,service_level,asa_s,occupancy,"
        "required_scheduled,scheduled_heads,open\n"
        "2025-11-10T08:00,chat,0,400,0,0,,,,0,0,False\n"
        "2025-11-10T09:00,chat,10,400,3,2.5,0.7,20,0.8,4,3,True\n"
        "2025-11-10T09:00,phone,2,300,1,1,0.9,5,0.5,2,1,True\n"
        "2025-11-10T10:00,chat,5,400,2,2,0.85,10,0.7,3,2,True\n"
        "2025-11-10T10:00,phone,0,300,1,0,0,0,0,2,0,True\n")
    return folder


def test_plan_vs_actual(tmp_path):
    db_path = _plan_db(tmp_path)
    plan = _plan_folder(tmp_path / "out" / "baseline" / "2025-W46")
    rep = build_report(db_path, ("week", "2025-W46"), SCENARIO, plans_root=tmp_path / "out")
    p = rep.plan_vs_actual.set_index("channel")
    assert p.index.tolist() == ["chat", "phone", "total"] and set(p["plan"]) == {str(plan)}
    assert p.loc["chat", "wape"] == pytest.approx(3 / 14) and p.loc["chat", "bias"] == pytest.approx(1 / 14)
    assert p.loc["phone", "wape"] == pytest.approx(0.5) and p.loc["phone", "bias"] == pytest.approx(-0.5)
    assert p.loc["total", "wape"] == pytest.approx(5 / 18) and p.loc["total", "bias"] == pytest.approx(-1 / 18)
    assert p["actual_contacts"].tolist() == [14, 4, 18] and p["intervals"].tolist() == [2, 2, 2]
    assert p.loc["chat", "forecast_aht_s"] == pytest.approx(400) and p.loc["chat", "actual_aht_s"] == pytest.approx(300)
    assert p.loc["phone", "actual_aht_s"] == pytest.approx(200)
    assert p["mean_required_agents"].tolist() == pytest.approx([2.5, 1.0, 3.5])
    assert p["mean_scheduled_agents"].tolist() == pytest.approx([2.25, 0.5, 2.75])
    assert p["understaffed_intervals"].tolist() == [1, 1, 2]
    out = write_report(rep, tmp_path / "rep")
    written = pd.read_csv(out / "plan_vs_actual.csv")
    assert written["wape"].round(4).tolist() == [round(3 / 14, 4), 0.5, round(5 / 18, 4)]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Plan vs actual" in page and "alt='Forecast vs actual arrivals' src='data:image/png;base64," in page

    # an explicit plan folder; a day inside the week; a broken plan file names file and field
    other = _plan_folder(tmp_path / "elsewhere")
    rep = build_report(db_path, ("day", "2025-11-10"), SCENARIO, plan_dir=other)
    assert rep.plan_vs_actual["plan"].iloc[0] == str(other)
    (other / "coverage.csv").write_text("interval_start,channel,required_agents\n2025-11-10T09:00,chat,1\n")
    with pytest.raises(InputError) as exc:
        build_report(db_path, ("day", "2025-11-10"), SCENARIO, plan_dir=other)
    assert exc.value.field == "scheduled_agents" and exc.value.file.endswith("coverage.csv")


# ---------------------------------------------------------------------------------------------
# the generator
# ---------------------------------------------------------------------------------------------
def test_generator_is_seeded_and_realistic(records):
    a = generate_records(5000, seed=3, start="2025-11-01", days=7)
    b = generate_records(5000, seed=3, start="2025-11-01", days=7)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 5000 and a["contact_id"].is_unique and a["arrived_at"].is_monotonic_increasing
    r = records
    mix = r["channel"].astype(str).value_counts(normalize=True)
    assert 0.78 < mix["chat"] < 0.92 and 0.05 < mix["phone"] < 0.15 and 0.02 < mix["email"] < 0.1
    resp = (r["answered_at"] - r["arrived_at"]).dt.total_seconds()
    sl = (~r["abandoned"] & (resp <= r["channel"].astype(str).map(THRESHOLD_S))).groupby(
        r["channel"].astype(str)).mean()
    assert ((sl > 0.7) & (sl < 0.97)).all(), sl
    assert 0.2 < r["satisfaction"].notna().mean() < 0.4 and 0.03 < r["vip"].mean() < 0.07
    assert r.loc[r["abandoned"], "answered_at"].isna().all()
    assert (r["ended_at"].dropna() >= r.loc[r["ended_at"].notna(), "arrived_at"]).all()
    # from a history frame: counts are reproduced exactly
    hist = pd.DataFrame({"interval_start": pd.to_datetime(["2025-11-12T09:00", "2025-11-12T10:00"] * 2),
                         "channel": ["chat", "chat", "phone", "phone"], "contacts": [3, 0, 2, 1.4]})
    g = generate_records(hist, seed=1, start=None)
    assert g["channel"].astype(str).value_counts().to_dict() == {"chat": 3, "phone": 3}


def test_generator_follows_a_given_channel_mix():
    g = generate_records(6000, seed=4, start="2025-11-01", days=7, channel_mix={"chat": 0.5, "phone": 0.5})
    mix = g["channel"].astype(str).value_counts(normalize=True)
    assert "email" not in mix.index and 0.45 < mix["chat"] < 0.55 and 0.45 < mix["phone"] < 0.55
    assert g["arrived_at"].min() >= pd.Timestamp("2025-11-01") and g["arrived_at"].max() < pd.Timestamp("2025-11-08")


def test_report_csvs_people_open_carry_a_bom_and_no_live_formulas(tmp_path):
    """Issue 14, cases 8 and 15: contact topics such as =HYPERLINK(...) went raw into topics.csv, and
    report.csv and topics.csv held Chinese without the BOM Excel needs."""
    from core.cells import unescape_text

    topics = ['=HYPERLINK("http://x","click")', "@SUM(1)", "+cmd|' /C calc'!A0", "退款 (refunds)"]
    lines = [f'C{i},chat,2025-11-12T10:00:{i:02d},2025-11-12T10:00:{i + 5:02d},2025-11-12T10:05:00,false,5,'
             f'"{t.replace(chr(34), chr(34) * 2)}",false\n' for i, t in enumerate(topics)]
    (tmp_path / "c.csv").write_text(HEADER + "".join(lines), encoding="utf-8")
    import_records(tmp_path / "c.csv", tmp_path / "a.duckdb")
    out = write_report(build_report(tmp_path / "a.duckdb", ("day", "2025-11-12"), SCENARIO, plans_root=tmp_path),
                       tmp_path / "report")
    for name in ("report.csv", "topics.csv"):
        assert (out / name).read_bytes().startswith(b"\xef\xbb\xbf"), name
    assert not (out / "by_hour.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # channel names only: for programs
    written = pd.read_csv(out / "topics.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert not [t for t in written["topic"] if t[:1] in "=+-@"]
    assert "'=HYPERLINK(\"http://x\",\"click\")" in written["topic"].tolist()
    assert set(unescape_text(written)["topic"]) == set(topics)
