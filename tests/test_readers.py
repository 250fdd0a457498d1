"""The shared reader of user files (core/): encodings, delimiters, date-times, booleans, channel names."""

from __future__ import annotations

import datetime as dt
import gzip
import io
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.csvio import read_text_csv, sniff_csv
from core.encoding import detect, detect_file, utf8_copy
from core.errors import InputError
from core.names import CHANNEL_ALIASES, CHANNELS, channel_key
from core.values import FALSE_WORDS, LOCAL_TZ, TRUE_WORDS, boolean_sql, channel_sql, parse_timestamps

SHANGHAI = ZoneInfo(LOCAL_TZ)
TEXT = "agent_id,name,skills,topic\nA1,张伟,chat,退款 (refunds)\nA2,李娜,电话,发票问题\nA3,王芳,email,€ 𠀀\n"


# ---------------------------------------------------------------------------------------------
# encodings
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("codec,label", [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8"), ("gb18030", "GB18030/GBK"),
                                         ("utf-16", "UTF-16")])
def test_every_accepted_encoding_reads_to_the_same_frame(tmp_path, codec, label):
    want = pd.read_csv(io.StringIO(TEXT), dtype=str)
    p = tmp_path / f"{codec}.csv"
    p.write_bytes(TEXT.encode(codec))
    assert detect(p.read_bytes()).label == label
    got = read_text_csv(p, ("agent_id", "name"), what="agent pool file")
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert sniff_csv(p, what="x").header == ["agent_id", "name", "skills", "topic"]


def test_gbk_without_the_gb18030_only_characters(tmp_path):
    """Excel on Chinese Windows writes GBK (cp936); GB18030 is a superset, so it reads the same text."""
    text = TEXT.replace("€ 𠀀", "普通")
    p = tmp_path / "gbk.csv.gz"
    p.write_bytes(gzip.compress(text.encode("gbk")))
    assert read_text_csv(p, ("name",), what="x")["topic"].tolist() == ["退款 (refunds)", "发票问题", "普通"]


def test_short_gbk_samples_are_gb18030_where_a_statistical_detector_guesses_wrong():
    for text in ("agent_id,name,skills\nA1,张伟,chat\n", "date,name,kind\n2025-10-01,国庆节,holiday\n",
                 "a,b\n在线,退款\n"):
        assert detect(text.encode("gbk")).codec == "gb18030"
        assert detect(text.encode("utf-8")).codec == "utf-8"


@pytest.mark.parametrize("data,label,offset,line", [
    (b"a,b\n1,caf\xe9\n", "UTF-8", 9, 2),  # Latin-1: neither
    (b"a,b\n1,\x80\x80\n", "UTF-8", 6, 2),
    ("a,b\n1,中文\n".encode() + b"2,\xff\n", "UTF-8", 15, 3),  # UTF-8 with one damaged byte: not GB18030 mojibake
    ("a,b\n1,退款问题\n".encode("gbk") + b"2,\xff\n", "GB18030/GBK", 17, 3),  # GBK with one damaged byte
])
def test_a_file_in_neither_encoding_names_byte_offset_and_line(tmp_path, data, label, offset, line):
    p = tmp_path / "bad.csv"
    p.write_bytes(data)
    enc = detect(data)
    assert (enc.label, enc.bad_offset, enc.bad_line) == (label, offset, line)
    assert detect_file(p) == enc
    with pytest.raises(InputError) as err:
        read_text_csv(p, ("a",), what="x")
    msg = str(err.value)
    assert f"bad.csv:{line}:" in msg and f"byte offset {offset}" in msg and f"not valid {label}" in msg
    assert "\n" not in msg


def test_detect_file_reads_large_files_in_pieces(tmp_path, monkeypatch):
    import core.encoding as encoding

    monkeypatch.setattr(encoding, "CHUNK_BYTES", 64)  # many pieces, cut inside characters
    rows = "".join(f"{i},退款问题{i}\n" for i in range(200))
    p = tmp_path / "big.csv"
    p.write_bytes(("a,b\n" + rows).encode("gb18030") + b"201,\xff\n")
    enc = detect_file(p)
    assert enc.codec == "gb18030" and enc.bad_line == 202 and enc.bad_offset == p.stat().st_size - 2
    with utf8_copy(p, enc) as copy:
        lines = copy.read_bytes().split(b"\n")
        assert lines[1].decode() == "0,退款问题0" and lines[201] == b"201,\xff"  # the bad byte stays bad
    assert not copy.exists()


def test_delimiters_and_empty_files(tmp_path):
    for sep in (",", "\t", ";"):
        p = tmp_path / "d.csv"
        p.write_text(f"a{sep}b\n1{sep}x,y\n" if sep != "," else "a,b\n1,xy\n", encoding="utf-8")
        assert read_text_csv(p, ("a", "b"), what="x").columns.tolist() == ["a", "b"]
    (tmp_path / "e.csv").write_bytes(b"")
    with pytest.raises(InputError, match="no header"):
        sniff_csv(tmp_path / "e.csv", what="x")


# ---------------------------------------------------------------------------------------------
# Excel workbooks
# ---------------------------------------------------------------------------------------------
def test_an_agent_pool_with_chinese_headers_and_values_reads_as_the_plain_one(tmp_path):
    """工号, 姓名, 技能 (在线、电话), 用工类型 (全职/兼职), 时薪（元）: what a Chinese HR export calls the columns."""
    from scheduler.agents import load_agents

    plain = tmp_path / "plain.csv"
    plain.write_text("agent_id,name,skills,contract,hourly_cost,team,unavailable\n"
                     "A1,张伟,chat|phone,full_time,38.5,A组,2025-11-12\nA2,李娜,email,part_time,40,,\n",
                     encoding="utf-8")
    vendor = tmp_path / "vendor.csv"
    vendor.write_bytes("工号,姓名,技能,用工类型,时薪（元）,班组,请假日期\n"
                       "A1,张伟,在线、电话,全职,３８.５,A组,2025/11/12\nA2,李娜,邮件,兼职,40,,\n".encode("gbk"))
    english = tmp_path / "english.csv"  # headers as a person types them
    english.write_text("Agent ID,Name,Skills,Contract,Hourly Cost,Team,Unavailable\n"
                       "A1,张伟,Chat/Phone,Full_Time,38.5,A组,2025-11-12\nA2,李娜,Email,part_time,40,,\n",
                       encoding="utf-8")
    assert load_agents(vendor) == load_agents(plain) == load_agents(english)


def test_a_workbook_reads_as_its_first_sheet_in_text_cells(tmp_path):
    """A vendor's .xlsx (even named .csv): date cells, numbers and Chinese text read as the text cells a
    CSV gives, so every reader takes it; an .xls or a broken workbook is one line naming the file."""
    from scheduler.agents import load_agents

    pool = pd.DataFrame({"agent_id": ["A1", "A2"], "name": ["张伟", "李娜"],
                         "skills": ["chat|电话", "email"], "contract": "full_time", "hourly_cost": [38.5, 40],
                         "unavailable": [pd.Timestamp("2025-11-12"), "2025/11/13;2025年11月14日"]})
    book = tmp_path / "pool.csv"  # recognised by its bytes, not its name
    with pd.ExcelWriter(book, engine="openpyxl") as xl:
        pool.to_excel(xl, sheet_name="坐席", index=False)
        pool.head(0).to_excel(xl, sheet_name="other", index=False)
    raw = read_text_csv(book, ("agent_id",), what="agent pool file")
    assert raw["hourly_cost"].tolist() == ["38.5", "40"] and raw["name"].tolist()[0] == "张伟"
    a1, a2 = load_agents(book)
    assert a1.skills == ("chat", "phone") and a1.unavailable == {dt.date(2025, 11, 12)}
    assert a2.name == "李娜" and a2.unavailable == {dt.date(2025, 11, 13), dt.date(2025, 11, 14)}
    with pytest.raises(InputError, match="save the records file's sheet as CSV"):
        sniff_csv(book, what="records file")
    old = tmp_path / "pool.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0" + bytes(100))
    with pytest.raises(InputError, match=r"pool.xls: an Excel 97-2003 workbook \(.xls\): save it as .xlsx or as CSV"):
        read_text_csv(old, ("agent_id",), what="agent pool file")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(book.read_bytes()[:300])
    with pytest.raises(InputError, match="broken.xlsx: not a readable Excel workbook"):
        read_text_csv(broken, ("agent_id",), what="agent pool file")


# ---------------------------------------------------------------------------------------------
# date-times
# ---------------------------------------------------------------------------------------------
def parse(values: list) -> list:
    return parse_timestamps(pd.Series(values, dtype=object)).tolist()


def test_vendor_time_forms():
    t = pd.Timestamp("2025-11-01 21:05")
    assert parse(["2025/11/1 21:05", "2025-11-01 21:05:00", "2025-11-01T21:05", "2025-11-01T21:05:00+08:00",
                  "2025-11-01T13:05:00Z", "2025-11-01 13:05:00 UTC", "2025-11-01T08:05-05:00", "2025.11.01 21:05",
                  "2025-11-01 21:05:00 +0800", "45962.878472", "  2025-11-01T21:05:00  ", "2025年11月1日 21:05",
                  "2025年11月01日21:05:00", "2025年11月1日 13:05 UTC"]) == [t] * 14
    assert parse(["2025-11-01T21:05:00,25"]) == [t + pd.Timedelta(milliseconds=250)]
    assert parse(["2025-11-12 24:00"]) == [pd.Timestamp("2025-11-13")]


@pytest.mark.parametrize("text", ["11/1/2025 21:05", "1/11/2025 21:05", "2025-11-01", "2025-11-12T25:00",
                                  "2025年11月1日", "2025年2月30日 10:00", "2025年11月1 21:05", "11月1日 21:05",
                                  "2025-02-30 10:00", "2025/11-01 21:05", "2025", "1762002300", "", "soon",
                                  "2025-11-01T21:05+25:00", "0999-01-01 00:00", "infinity"])
def test_refused_time_forms(text):
    """Ambiguous (day or month first), date-only, impossible, mixed separators, bare years or epoch
    seconds, DuckDB's special words: not a time."""
    assert pd.isna(parse([text])[0])


def test_offsets_drop_keeps_the_clock_time():
    s = pd.Series(["2003-03-03T07:00:00Z", "2003-03-03T07:05:00+05:00", "2003-03-03 07:10"])
    assert parse_timestamps(s, offsets="drop").tolist() == [pd.Timestamp("2003-03-03 07:00"),
                                                            pd.Timestamp("2003-03-03 07:05"),
                                                            pd.Timestamp("2003-03-03 07:10")]


def test_index_and_order_are_kept():
    s = pd.Series(["2025-11-01T21:05"] * 3 + ["x"] + [f"2025-11-01T{h:02d}:00" for h in range(24)],
                  index=range(100, 128))
    out = parse_timestamps(s)
    assert out.index.tolist() == list(range(100, 128)) and pd.isna(out[103])
    assert out.loc[104:].dt.hour.tolist() == list(range(24))


aware = st.datetimes(min_value=dt.datetime(1992, 1, 1), max_value=dt.datetime(2090, 12, 31),
                     timezones=st.one_of(st.timezones(), st.builds(
                         lambda m: dt.timezone(dt.timedelta(minutes=m)), st.integers(-14 * 60, 14 * 60))))


def _render_aware(d: dt.datetime, style: int) -> str:
    d = d.replace(microsecond=0)
    if style == 0:
        return d.isoformat()
    if style == 1:
        return d.isoformat(sep=" ").replace("+00:00", "Z")
    off = d.strftime("%z")  # +0800
    return f"{d:%Y/%m/%d %H:%M:%S} {off}"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(aware, st.integers(0, 2)), min_size=1, max_size=30))
def test_any_offset_converts_to_shanghai_local_time(items):
    """Property: a time with any offset (fixed, or a zone's with its DST) is the same instant in
    Asia/Shanghai local time, whatever the form it is written in."""
    texts = [_render_aware(d, style) for d, style in items]
    want = [pd.Timestamp(d.replace(microsecond=0).astimezone(SHANGHAI).replace(tzinfo=None)) for d, _ in items]
    assert parse(texts) == want


naive = st.datetimes(min_value=dt.datetime(1928, 1, 1), max_value=dt.datetime(2170, 12, 31))


def _render_naive(d: dt.datetime, style: int) -> str:
    if style == 0:
        return d.isoformat(timespec="seconds")
    if style == 1:
        return f"{d.year}/{d.month}/{d.day} {d.hour}:{d.minute:02d}:{d.second:02d}"
    if style == 2:
        return f"{d:%Y.%m.%d %H:%M:%S}"
    if style == 3:
        return f"{d.year}年{d.month}月{d.day}日 {d.hour}:{d.minute:02d}:{d.second:02d}"
    return repr((d - dt.datetime(1899, 12, 30)).total_seconds() / 86400)  # an Excel serial


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(naive, st.integers(0, 4)), min_size=1, max_size=30))
def test_local_times_round_trip_in_every_form(items):
    """Property: a local time written in any accepted form (an Excel serial too) reads back to the second."""
    items = [(d.replace(microsecond=0), style) for d, style in items]
    assert parse([_render_naive(d, s) for d, s in items]) == [pd.Timestamp(d) for d, _ in items]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=30), min_size=1, max_size=20))
def test_any_text_is_a_time_or_nat_never_an_error(texts):
    out = parse(texts)
    assert len(out) == len(texts)
    assert all(pd.isna(t) or isinstance(t, pd.Timestamp) for t in out)


# ---------------------------------------------------------------------------------------------
# booleans and channel names
# ---------------------------------------------------------------------------------------------
def _sql_values(expr: str, values: list[str]) -> list:
    con = duckdb.connect()
    con.register("cells", pd.DataFrame({"v": pd.Series(values, dtype=object)}))
    return [r[0] for r in con.execute(f"SELECT {expr} FROM cells").fetchall()]


def test_boolean_words_any_case():
    words = list(TRUE_WORDS) + [w.upper() for w in TRUE_WORDS] + [" Yes ", "是"]
    assert _sql_values(boolean_sql("v"), words) == [True] * len(words)
    words = list(FALSE_WORDS) + [w.title() for w in FALSE_WORDS] + ["", "  ", "否"]
    assert _sql_values(boolean_sql("v"), words) == [False] * len(words)
    assert _sql_values(boolean_sql("v"), ["maybe", "2", "真"]) == [None] * 3


def test_channel_names_any_case_and_aliases_agree_in_python_and_sql():
    names = ["chat", " Chat ", "PHONE", "Email", "fax"] + list(CHANNEL_ALIASES) + [" 电话 "]
    py = [channel_key(n) for n in names]
    assert py[:5] == ["chat", "chat", "phone", "email", "fax"] and py[-1] == "phone"
    assert all(channel_key(a) in CHANNELS for a in CHANNEL_ALIASES)
    assert _sql_values(channel_sql("v"), names) == py


@pytest.mark.parametrize("text,day", [("2025-11-01", dt.date(2025, 11, 1)), ("2025/11/1", dt.date(2025, 11, 1)),
                                      ("2025.11.01", dt.date(2025, 11, 1)), (" 2025年11月1日 ", dt.date(2025, 11, 1)),
                                      ("2025-11-01 00:00:00", dt.date(2025, 11, 1)), ("2025-02-30", None),
                                      ("2025/11-01", None), ("11/1/2025", None), ("2025-11-01 09:00", None),
                                      ("20251101", None), ("", None), ("2025年11月", None)])
def test_dates_year_first_in_any_separator_or_an_excel_date_cell(text, day):
    """Leave days, requests and calendars: year first (never day or month first, which is ambiguous);
    a date with a time is a date only at 00:00, as an Excel date cell reads."""
    from core.values import parse_date

    assert parse_date(text) == day
