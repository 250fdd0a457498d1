import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from forecasts.history import read_history

GOOD = """interval_start,channel,contacts,aht_s
2025-03-03T09:00,chat,120,400
2025-03-03T09:00,phone,30,260
2025-03-03T10:00,chat,140,410
2025-03-05T09:00,chat,100,
"""


def write(tmp_path, text, name="h.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_reads_and_infers_interval(tmp_path):
    h = read_history(write(tmp_path, GOOD))
    assert h.interval_min == 60
    assert h.channels == ["chat", "phone"]
    assert len(h.frame) == 4
    assert np.isnan(h.frame["aht_s"].iloc[-1])


def test_closed_days_are_not_errors(tmp_path):
    """2025-03-04 has no rows: a closed day, with zero contacts and observed=False."""
    h = read_history(write(tmp_path, GOOD))
    import datetime as dt
    m, observed = h.matrix("chat", dt.date(2025, 3, 3), dt.date(2025, 3, 5))
    assert observed.tolist() == [True, False, True]
    assert m[1].sum() == 0 and m[0, 9] == 120


def test_aht_is_optional(tmp_path):
    h = read_history(write(tmp_path, "interval_start,channel,contacts\n2025-03-03T09:00,chat,1\n"))
    assert h.frame["aht_s"].isna().all()


HEAD = "interval_start,channel,contacts\n2025-03-03T09:00,chat,1\n"  # a header and one good row


@pytest.mark.parametrize("text,row,field,what", [
    ("interval_start,channel,contacts\n2025-03-03T09:00,chat,-3\n", 2, "contacts", "negative"),
    (HEAD + "2025-03-03T10:00,fax,1\n", 3, "channel", "unknown channel 'fax'"),
    ("interval_start,channel,contacts\n2025-03-03T09:00,chat,abc\n", 2, "contacts", "not a number"),
    (HEAD + "03/03/2025 9am,chat,1\n", 3, "interval_start", "not a time"),
    (HEAD + "2025-03-03T09:00,chat,2\n", 3, "interval_start", "duplicate"),
    ("interval_start,channel,contacts,aht_s\n2025-03-03T09:00,chat,1,0\n", 2, "aht_s", "positive"),
    ("interval_start,channel\n2025-03-03T09:00,chat\n", 1, "contacts", "missing column"),
    (HEAD + "2025-03-03T09:02,chat,1\n", 3, "interval_start", "at least 5 minutes"),
    (HEAD + "2025-03-03T10:00,chat,1e300\n", 3, "contacts", "1e300 contacts in one interval is not a count"),
    (HEAD + "2025-03-03T10:00,chat,1e16\n", 3, "contacts", "1e16 contacts in one interval is not a count (at most"),
])
def test_bad_input_names_file_row_field(tmp_path, text, row, field, what):
    p = write(tmp_path, text)
    with pytest.raises(InputError) as err:
        read_history(p)
    msg = str(err.value)
    assert f"h.csv:{row}" in msg and f"field '{field}'" in msg and what in msg
    assert "\n" not in msg


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_history(tmp_path / "nope.csv")


def test_five_minute_history_aggregates_to_hourly(tmp_path):
    rows = ["interval_start,channel,contacts,aht_s"]
    for m in range(0, 60, 5):
        rows.append(f"2025-03-03T09:{m:02d},phone,{m // 5 + 1},{200 + m}")
    h = read_history(write(tmp_path, "\n".join(rows) + "\n"))
    assert h.interval_min == 5
    hourly = h.aggregate(60).frame
    assert len(hourly) == 1 and hourly["contacts"].iloc[0] == sum(range(1, 13))
    w = np.arange(1, 13)
    assert hourly["aht_s"].iloc[0] == pytest.approx(np.sum(w * (200 + 5 * (w - 1))) / w.sum())


def test_real_bank_calls_import(tmp_path, shared_file):
    """The US bank call-centre data (5-minute, weekdays only) converts and imports. Its ``Z`` labels
    local clock times (../shared/data/README.md), so converting it into our schema drops the ``Z``;
    kept, it means UTC and the times move to Asia/Shanghai (+8 h)."""
    raw = pd.read_csv(shared_file("us_bank_calls_2003_5min.csv"))
    p = tmp_path / "bank.csv"
    local = raw["DateTime"].str.removesuffix("Z")
    pd.DataFrame({"interval_start": local, "channel": "phone", "contacts": raw["Calls"]}).to_csv(p, index=False)
    h = read_history(p)
    assert h.interval_min == 5
    assert h.frame["contacts"].sum() == raw["Calls"].sum()
    days = h.frame["interval_start"].dt.date.nunique()
    assert days == 164
    assert h.frame["interval_start"].iloc[0] == pd.Timestamp("2003-03-03 07:00")

    pd.DataFrame({"interval_start": raw["DateTime"], "channel": "phone", "contacts": raw["Calls"]}).to_csv(
        p, index=False)
    utc = read_history(p).frame["interval_start"]
    assert utc.iloc[0] == pd.Timestamp("2003-03-03 15:00")
    assert (utc.to_numpy() - h.frame["interval_start"].to_numpy() == np.timedelta64(8, "h")).all()


# ---------------------------------------------------------------------------------------------
# issue 14: files vendors export (cases 9 and 12)
# ---------------------------------------------------------------------------------------------
def test_history_with_mixed_utc_offsets_across_dst(tmp_path):
    """Issue 14, case 9: a history exported in New York time across the DST change of 2025-11-02
    (the clock hour 01:00 comes twice, -04:00 then -05:00) was a traceback. Every time is now
    converted to Asia/Shanghai: no collision, one regular hourly series."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    ny = ZoneInfo("America/New_York")
    start = dt.datetime(2025, 11, 1, 22, tzinfo=dt.UTC)  # 18:00 in New York, still -04:00
    rows = ["interval_start,channel,contacts"]
    for h in range(30):
        t = (start + dt.timedelta(hours=h)).astimezone(ny)
        rows.append(f"{t.isoformat(timespec='minutes')},phone,{h}")
    text = "\n".join(rows) + "\n"
    assert "2025-11-02T01:00-04:00" in text and "2025-11-02T01:00-05:00" in text
    h = read_history(write(tmp_path, text))
    ts = h.frame["interval_start"]
    assert h.interval_min == 60 and len(ts) == 30 and ts.is_unique
    assert ts.iloc[0] == pd.Timestamp("2025-11-02 06:00")  # 22:00 UTC = 06:00 in Shanghai
    assert (ts.diff().dropna() == pd.Timedelta(hours=1)).all()
    assert h.frame["contacts"].tolist() == list(range(30))


def test_vendor_history_gbk_excel_dates_offsets_and_aliases(tmp_path):
    """Issue 14, case 12, for the history: a GBK file with Excel-style dates, ``+08:00`` and ``Z``
    times and Chinese channel names reads to the same history as the plain file."""
    plain = read_history(write(tmp_path, GOOD, "plain.csv"))
    vendor = ("interval_start,channel,contacts,aht_s\n"
              "2025/3/3 9:00,在线,120,400\n"
              "2025-03-03T09:00:00+08:00,电话,30,260\n"
              "2025-03-03T02:00:00Z,聊天,140,410\n"
              "45721.375,Chat,100,\n")  # the Excel serial of 2025-03-05 09:00
    p = tmp_path / "vendor.csv"
    p.write_bytes(vendor.encode("gbk"))
    got = read_history(p)
    pd.testing.assert_frame_equal(got.frame, plain.frame)
    assert got.interval_min == plain.interval_min


def test_chinese_headers_and_a_split_date_and_time_range_read_as_the_plain_file(tmp_path):
    """A vendor export as it comes out of a Chinese system: 日期 and 时段 (a range) apart, 渠道, 咨询量 and
    平均处理时长（秒） (a full-width bracket), GBK: the same history as the plain file."""
    plain = read_history(write(tmp_path, GOOD, "plain.csv"))
    vendor = ("日期,时段,渠道,咨询量,平均处理时长（秒）\n"
              "2025/3/3,09:00-10:00,在线,120,400\n"
              "2025/3/3,9:00~10:00,电话,30,260\n"
              "2025-03-03,10:00 - 11:00,在线,140,410\n"
              "2025年3月5日,09:00,Chat,100,\n")
    p = tmp_path / "vendor.csv"
    p.write_bytes(vendor.encode("gbk"))
    got = read_history(p)
    pd.testing.assert_frame_equal(got.frame, plain.frame)


def test_a_workbook_with_a_date_cell_beside_a_time_range_reads_as_the_plain_file(tmp_path):
    """The same export saved from Excel: 日期 is a date cell, which reads as '2025-03-03 00:00:00'; joined
    with 时段 it was '2025-03-03 00:00:00 09:00', refused as not a time on the first row."""
    import datetime as dt

    from openpyxl import Workbook
    plain = read_history(write(tmp_path, GOOD, "plain.csv"))
    wb = Workbook()
    ws = wb.active
    ws.append(["日期", "时段", "渠道", "咨询量", "平均处理时长（秒）"])
    rows = [(3, "09:00-10:00", "在线", 120, 400), (3, "09:00-10:00", "电话", 30, 260),
            (3, "10:00-11:00", "在线", 140, 410), (5, "09:00-10:00", "在线", 100, None)]
    for day, span, channel, contacts, aht in rows:
        ws.append([dt.datetime(2025, 3, day), span, channel, contacts, aht])
    p = tmp_path / "vendor.xlsx"
    wb.save(p)
    got = read_history(p)
    pd.testing.assert_frame_equal(got.frame, plain.frame)


def test_an_error_names_the_column_by_the_files_own_header(tmp_path):
    p = tmp_path / "vendor.csv"
    p.write_bytes("时段,渠道,咨询量\n2025-03-03 09:00,在线,12\n2025-03-03 10:00,在线,-3\n".encode("gbk"))
    with pytest.raises(InputError) as err:
        read_history(p)
    assert str(err.value) == f"{p}:3, field '咨询量': negative count -3"


def test_counts_with_thousands_separators_and_handle_times_as_a_clock_read_as_numbers(tmp_path):
    """Excel writes 1,234 (quoted in a CSV), a call-centre system 0:06:40 for 400 s, a Chinese IME １２０."""
    plain = read_history(write(tmp_path, GOOD.replace("120,400", "1234,400"), "plain.csv"))
    vendor = ("interval_start,channel,contacts,aht_s\n"
              '2025-03-03T09:00,chat,"1,234",0:06:40\n'
              "2025-03-03T09:00,phone,３０,04:20\n"
              "2025-03-03T10:00,chat,140,410\n"
              "2025-03-05T09:00,chat, 100 ,\n")
    got = read_history(write(tmp_path, vendor, "vendor.csv"))
    pd.testing.assert_frame_equal(got.frame, plain.frame)
    for cell, field in (('"1,5"', "contacts"), ("12:3", "contacts")):
        with pytest.raises(InputError, match=f"field '{field}'"):  # a decimal comma, a clock as a count
            read_history(write(tmp_path, f"interval_start,channel,contacts\n2025-03-03T09:00,chat,{cell}\n"))


def test_two_headers_for_one_column_are_refused_naming_both(tmp_path):
    p = write(tmp_path, "interval_start,时间,channel,contacts\n2025-03-03T09:00,2025-03-03T09:00,chat,1\n")
    with pytest.raises(InputError) as err:
        read_history(p)
    assert str(err.value) == (f"{p}:1, field '时间': columns 'interval_start' and '时间' are both 'interval_start': "
                              "keep one")


def test_history_in_neither_encoding_names_the_byte(tmp_path):
    """Latin-1 is neither UTF-8 nor GB18030: one line naming the line and byte offset of the first bad byte."""
    p = tmp_path / "h.csv"
    data = b"interval_start,channel,contacts\n2025-03-03T09:00,chat,1\n2025-03-03T10:00,caf\xe9,1\n"
    p.write_bytes(data)
    with pytest.raises(InputError) as err:
        read_history(p)
    offset = data.index(b"\xe9")
    assert "h.csv:3:" in str(err.value) and f"byte 0xE9 at byte offset {offset}" in str(err.value)


# --- a cell far out of line with its channel -----------------------------------------------------------

def weeks_of_rows(days: int = 35, spike: tuple[str, str] | None = None) -> str:
    """Hourly chat and phone rows (chat 100-199, phone 10-19) for ``days`` days from Mon 2025-03-03;
    ``spike`` = (interval_start, contacts) replaces that chat cell."""
    lines = ["interval_start,channel,contacts"]
    for i, ts in enumerate(pd.date_range("2025-03-03", periods=days * 24, freq="h")):
        stamp = f"{ts:%Y-%m-%dT%H:%M}"
        chat = spike[1] if spike and stamp == spike[0] else str(100 + i % 100)
        lines += [f"{stamp},chat,{chat}", f"{stamp},phone,{10 + i % 10}"]
    return "\n".join(lines) + "\n"


def test_the_largest_count_a_double_holds_exactly_is_read(tmp_path):
    h = read_history(write(tmp_path, HEAD + f"2025-03-03T10:00,chat,{2**53}\n"))
    assert h.frame["contacts"].max() == 2.0**53


def test_a_cell_a_thousand_times_its_channels_busy_intervals_is_flagged_with_its_row(tmp_path):
    """1e6 chats in one hour of a channel that has at most 199 is flagged (row and field), kept as read,
    and fitted as the same hour of the weeks before it; a busy hour of 199 is not flagged."""
    text = weeks_of_rows(spike=("2025-03-24T14:00", "1e6"))
    p = write(tmp_path, text)
    h = read_history(p)
    row = text.splitlines().index("2025-03-24T14:00,chat,1e6") + 1
    assert [(o.row, o.channel, o.contacts) for o in h.outliers] == [(row, "chat", 1e6)]
    assert h.frame["contacts"].max() == 1e6  # the history itself is not altered
    fitted, notes = h.screened()
    cell = fitted.frame[(fitted.frame["interval_start"] == pd.Timestamp("2025-03-24T14:00"))
                        & (fitted.frame["channel"] == "chat")]["contacts"]
    before = h.frame[(h.frame["channel"] == "chat") & h.frame["interval_start"].isin(
        pd.Timestamp("2025-03-24T14:00") - pd.to_timedelta([7, 14, 21], unit="D"))]["contacts"]
    assert cell.tolist() == [before.median()]
    assert fitted.frame["contacts"].max() < 200
    assert len(notes) == 1 and f"{p}:{row}, field 'contacts': chat 2025-03-24T14:00 has 1e+06 contacts" in notes[0]
    assert "\n" not in notes[0]
    assert h.before(pd.Timestamp("2025-03-24").date()).outliers == ()
    assert read_history(write(tmp_path, weeks_of_rows(), "clean.csv")).outliers == ()


def test_a_first_row_longer_than_the_header_is_refused_not_shifted(tmp_path):
    """pandas took the first column of such a file for an index and shifted every column by one: the time
    was read as the channel ('chat' is not a time), or, where the shifted cells parsed, silently wrong."""
    p = write(tmp_path, "interval_start,channel,contacts\n2025-03-03T09:00,chat,12,5\n2025-03-03T10:00,chat,13,5\n")
    with pytest.raises(InputError) as err:
        read_history(p)
    assert str(err.value) == f"{p}:2: 4 cells for the header's 3 columns"


def _half_hours(days: int, extra: str = "") -> str:
    rows = [f"2025-03-{3 + d:02d}T{m // 60:02d}:{m % 60:02d},chat,10" for d in range(days) for m in range(0, 1440, 30)]
    return "interval_start,channel,contacts\n" + "\n".join(rows) + "\n" + extra


def test_one_row_off_the_grid_of_all_the_others_is_refused_with_its_row(tmp_path):
    """A 10:10 among half hours made the whole history a 10-minute one (gcd of its starts), two thirds of
    its intervals read as closed, without a word."""
    with pytest.raises(InputError) as err:
        read_history(write(tmp_path, _half_hours(7, "2025-03-10T10:10,chat,4\n")))
    text = str(err.value)
    assert f"{tmp_path / 'h.csv'}:{7 * 48 + 2}, field 'interval_start'" in text
    assert "10:10 is off the 30-minute intervals of the other rows (1 row(s) are)" in text


def test_a_history_that_turns_finer_from_a_date_on_is_read_at_the_finer_interval(tmp_path):
    quarter = [f"2025-03-10T{m // 60:02d}:{m % 60:02d},chat,5" for m in range(0, 1440, 15)]
    assert read_history(write(tmp_path, _half_hours(7, "\n".join(quarter) + "\n"))).interval_min == 15
    assert read_history(write(tmp_path, _half_hours(7))).interval_min == 30
