"""Vendor exports: the wide roster (CSV, Excel) and per-agent calendars read back to the same shifts."""

import datetime as dt
import json
import os
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.cells import needs_escape
from core.errors import InputError
from core.names import ExportFormat
from scheduler.ics_export import read_ics
from scheduler.vendor_export import (
    EXPORT_FILES,
    REST,
    export_plan,
    load_plan,
    parse_wide,
    plan_shift_rows,
    read_wide_csv,
    read_wide_xlsx,
    sheet_title,
    shift_cell,
    wide_frame,
)

GOLDEN = Path(__file__).parent / "golden" / "roster_wide.csv"
NOW = dt.datetime(2025, 11, 1, 8, 0, tzinfo=dt.UTC)

# A small handcrafted plan: Chinese names, a 6-day week, a shift ending at midnight, a night block on the
# main day, a part-timer without lunch, a 30-minute lunch, an agent with no team and a temp.
SHIFTS = [
    # agent_id, name, date, start, end, lunch_start, lunch_end, paid, channels
    ("A001", "陆海峰", "2025-11-10", "09:00", "18:00", "12:00", "13:00", 8.0, "chat"),
    ("A001", "陆海峰", "2025-11-11", "15:00", "24:00", "18:00", "19:00", 8.0, "chat|phone"),
    ("A001", "陆海峰", "2025-11-13", "09:00", "18:00", "13:00", "14:00", 8.0, "phone"),
    ("A002", "王晓燕", "2025-11-11", "00:00", "04:00", None, None, 4.0, "chat"),
    ("A002", "王晓燕", "2025-11-15", "08:00", "12:00", None, None, 4.0, "chat"),
    ("A003", "许娜", "2025-11-10", "08:00", "17:00", "11:00", "11:30", 8.5, "email"),
    ("A003", "许娜", "2025-11-11", "08:00", "17:00", "11:00", "12:00", 8.0, "email"),
    ("A003", "许娜", "2025-11-12", "08:00", "17:00", "11:00", "12:00", 8.0, "email"),
    ("A003", "许娜", "2025-11-14", "08:00", "17:00", "11:00", "12:00", 8.0, "email"),
    ("A003", "许娜", "2025-11-15", "08:00", "17:00", "11:00", "12:00", 8.0, "chat"),
    ("A003", "许娜", "2025-11-16", "08:00", "17:00", "11:00", "12:00", 8.0, "chat"),
    ("D11P001", "临时坐席 D11P001", "2025-11-11", "20:00", "24:00", None, None, 4.0, "chat"),
]
AGENTS = ("agent_id,name,skills,contract,hourly_cost,max_weekly_h,team,unavailable\n"
          "A001,陆海峰,chat|phone,full_time,38,,A组,\n"
          "A002,王晓燕,chat,part_time,30,24,B组,\n"
          "A003,许娜,chat|email,full_time,41,,,\n")


def _ts(date: str, hhmm: str | None) -> str:
    if hhmm is None:
        return ""
    d = dt.date.fromisoformat(date)
    if hhmm == "24:00":
        return f"{(d + dt.timedelta(days=1)).isoformat()}T00:00"
    return f"{date}T{hhmm}"


@pytest.fixture()
def plan_dir(tmp_path) -> Path:
    plan = tmp_path / "plan"
    plan.mkdir()
    rows = [{"agent_id": a, "agent_name": n, "date": d, "day_type": "weekday", "shift_start": _ts(d, s),
             "shift_end": _ts(d, e), "lunch_start": _ts(d, ls), "lunch_end": _ts(d, le), "paid_hours": p,
             "pay_multiplier": 1.0, "channels": ch, "promotion": "double11" if d == "2025-11-11" else "",
             "cost": 300.0} for a, n, d, s, e, ls, le, p, ch in SHIFTS]
    pd.DataFrame(rows).to_csv(plan / "shifts.csv", index=False, encoding="utf-8-sig")
    (tmp_path / "agents.csv").write_text(AGENTS, encoding="utf-8")
    summary = {"week": "2025-W46", "dates": ["2025-11-10", "2025-11-16"],
               "inputs": {"agents": str(tmp_path / "agents.csv"), "scenario": str(tmp_path / "missing.toml")}}
    (plan / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return plan


def test_wide_golden(plan_dir):
    path = export_plan(plan_dir, "wide")
    assert path == plan_dir / "export" / "roster_wide.csv"
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens the Chinese names as UTF-8
    if os.environ.get("UPDATE_GOLDEN"):  # UPDATE_GOLDEN=1 pytest tests/test_exports.py, then review the diff
        GOLDEN.write_text(raw.decode("utf-8-sig"), encoding="utf-8")
    assert raw.decode("utf-8-sig") == GOLDEN.read_text(encoding="utf-8")


def test_wide_cells(plan_dir):
    df = wide_frame(load_plan(plan_dir))
    assert list(df.columns) == ["agent_id", "agent_name", "team", "Mon 2025-11-10", "Tue 2025-11-11",
                                "Wed 2025-11-12", "Thu 2025-11-13", "Fri 2025-11-14", "Sat 2025-11-15",
                                "Sun 2025-11-16", "paid_hours"]
    a1 = df.set_index("agent_id").loc["A001"]
    assert a1["Mon 2025-11-10"] == "09:00-18:00 L12:00"
    assert a1["Tue 2025-11-11"] == "15:00-24:00 L18:00"
    assert a1["Wed 2025-11-12"] == REST
    assert a1["paid_hours"] == 24.0 and a1["team"] == "A组"
    a3 = df.set_index("agent_id").loc["A003"]
    assert a3["Mon 2025-11-10"] == "08:00-17:00 L11:00-11:30"  # a lunch of another length says its end
    assert df.set_index("agent_id").loc["A002", "Tue 2025-11-11"] == "00:00-04:00"


@pytest.mark.parametrize("fmt", ["wide", "xlsx"])
def test_wide_and_xlsx_round_trip(plan_dir, fmt, tmp_path):
    plan = load_plan(plan_dir)
    path = export_plan(plan_dir, fmt, tmp_path / "out")
    back = (read_wide_csv if fmt == "wide" else read_wide_xlsx)(path, plan.lunch_min)
    pd.testing.assert_frame_equal(back, plan_shift_rows(plan), check_dtype=False)


def test_xlsx_layout(plan_dir, tmp_path):
    from openpyxl import load_workbook

    wb = load_workbook(export_plan(plan_dir, "xlsx", tmp_path / "out"))
    assert wb.sheetnames == ["A组", "B组", "(no team)"]  # the temp's team is unknown here: no team
    ws = wb["A组"]
    assert ws.freeze_panes == "D2"
    assert [c.value for c in ws[1]][:4] == ["agent_id", "agent_name", "team", "Mon 2025-11-10"]
    assert ws.column_dimensions["D"].width >= 18
    assert ws["E2"].value == "15:00-24:00 L18:00"


def test_ics_round_trip_and_local_time(plan_dir, tmp_path):
    plan = load_plan(plan_dir)
    folder = export_plan(plan_dir, "ics", tmp_path / "out", now=NOW)
    files = sorted(folder.glob("*.ics"))
    assert [f.stem for f in files] == ["A001", "A002", "A003", "D11P001"]
    back = pd.concat([read_ics(f) for f in files]).sort_values(["agent_id", "shift_start"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(back, plan_shift_rows(plan), check_dtype=False)
    text = (folder / "A001.ics").read_text(encoding="utf-8")
    assert "DTSTART;TZID=Asia/Shanghai:20251110T090000" in text
    assert "DTEND;TZID=Asia/Shanghai:20251112T000000" in text  # 15:00-24:00 ends at midnight
    assert "BEGIN:VTIMEZONE" in text and "TZID:Asia/Shanghai" in text
    assert "Lunch 12:00-13:00" in text and text.count("BEGIN:VEVENT") == 3


def test_bad_cell_names_row_and_column():
    df = pd.DataFrame({"agent_id": ["A1", "A2"], "Mon 2025-11-10": ["09:00-18:00", "9am-6pm"]})
    with pytest.raises(InputError, match=r"x.csv:3, field 'Mon 2025-11-10': '9am-6pm' is not a shift"):
        parse_wide(df, source="x.csv")


def test_not_a_plan_folder(tmp_path):
    with pytest.raises(InputError, match="no shifts.csv"):
        export_plan(tmp_path, "wide")
    with pytest.raises(InputError, match="plan folder not found"):
        export_plan(tmp_path / "nope", "wide")


def test_unknown_format(plan_dir):
    with pytest.raises(InputError, match="allowed: wide, xlsx, ics"):
        export_plan(plan_dir, "pdf")


def test_shift_cell_midnight():
    rec = {"date": dt.date(2025, 11, 10), "shift_start": pd.Timestamp("2025-11-10T20:00"),
           "shift_end": pd.Timestamp("2025-11-11T00:00"), "lunch_start": pd.NaT, "lunch_end": pd.NaT}
    assert shift_cell(rec, 60) == "20:00-24:00"


# -- issue 14, case 8: formula injection -------------------------------------------------------------------------
EVIL = {"A001": ('=HYPERLINK("http://x","click")', "@SUM(1)"), "+cmd|' /C calc'!A0": ("-2+3", "=1+1"),
        "A003": ("'=already quoted", "组")}


@pytest.fixture()
def evil_plan(tmp_path) -> Path:
    """A plan written by the planner's own writer whose agent ids, names and teams look like formulas."""
    from scheduler.plan_folder import PlanFolder

    rows = []
    for i, (aid, (name, _)) in enumerate(EVIL.items()):
        start = pd.Timestamp("2025-11-10T09:00") + pd.Timedelta(days=i)
        rows.append({"agent_id": aid, "agent_name": name, "date": start.date(), "day_type": "weekday",
                     "shift_start": start, "shift_end": start + pd.Timedelta(hours=9),
                     "lunch_start": start + pd.Timedelta(hours=3), "lunch_end": start + pd.Timedelta(hours=4),
                     "paid_hours": 8.0, "pay_multiplier": 1.0, "channels": "chat", "promotion": "", "cost": -3.0})
    pool = "agent_id,name,skills,contract,hourly_cost,max_weekly_h,team,unavailable\n" + "".join(
        ",".join(_csv_quote(v) for v in (aid, name, "chat", "full_time", "38", "", team, "")) + "\n"
        for aid, (name, team) in EVIL.items())
    (tmp_path / "agents.csv").write_text(pool, encoding="utf-8")
    empty = pd.DataFrame()
    folder = PlanFolder(tmp_path / "plan")
    folder.write(forecast=empty, requirements=empty, shifts=pd.DataFrame(rows), coverage=empty, assignments=empty,
                 shortfall=empty, summary={"week": "2025-W46", "dates": ["2025-11-10", "2025-11-16"],
                                           "inputs": {"agents": str(tmp_path / "agents.csv")}})
    return folder.path


def _csv_quote(v: str) -> str:
    return '"' + v.replace('"', '""') + '"'


def test_formula_names_reach_the_csvs_quoted_and_come_back_exact(evil_plan, tmp_path):
    import csv

    from scheduler.plan_folder import PlanFolder

    with open(evil_plan / "shifts.csv", encoding="utf-8-sig", newline="") as f:
        shifts = list(csv.DictReader(f))
    assert [r["agent_name"] for r in shifts] == ["'" + n if n[0] in "=-@" else "''=already quoted"
                                                 for n, _ in EVIL.values()]
    assert shifts[1]["agent_id"] == "'+cmd|' /C calc'!A0"
    assert shifts[0]["cost"] == "-3.0"  # a negative number in a numeric column is not quoted
    back = PlanFolder(evil_plan).shifts()  # what --previous and --published read
    assert back["agent_id"].tolist() == list(EVIL) and back["agent_name"].tolist() == [n for n, _ in EVIL.values()]

    wide = export_plan(evil_plan, "wide", tmp_path / "out")
    with open(wide, encoding="utf-8-sig", newline="") as f:
        cells = [c for row in csv.reader(f) for c in row]
    for aid, (name, team) in EVIL.items():
        for text in (aid, name, team):
            assert ("'" + text if needs_escape(text) else text) in cells
    assert not [c for c in cells if c[:1] in "=+-@\t\r" and c != "-"]
    plan = load_plan(evil_plan)
    pd.testing.assert_frame_equal(read_wide_csv(wide, plan.lunch_min), plan_shift_rows(plan), check_dtype=False)


def test_formula_names_reach_the_xlsx_as_string_cells(evil_plan, tmp_path):
    from openpyxl import load_workbook

    path = export_plan(evil_plan, "xlsx", tmp_path / "out")
    wb = load_workbook(path)
    texts = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", cell.coordinate  # never a formula cell
                    texts[cell.value] = cell
    for aid, (name, _team) in EVIL.items():
        for text in (aid, name):
            assert text in texts  # the text itself, as a string
    assert texts['=HYPERLINK("http://x","click")'].quotePrefix  # editing it in Excel keeps it text
    plan = load_plan(evil_plan)
    pd.testing.assert_frame_equal(read_wide_xlsx(path, plan.lunch_min), plan_shift_rows(plan), check_dtype=False)
    import zipfile

    with zipfile.ZipFile(path) as z:
        assert not any("<f>" in z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))


# -- text that breaks a calendar or a workbook: a control character in a plan folder edited by hand -----------
def _edit_csv(path: Path, column: str, rows: dict[str, str], key: str = "agent_id") -> None:
    """Set ``column`` of the rows whose ``key`` is one of ``rows``' keys, as a person editing the file would."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    for k, value in rows.items():
        table.loc[table[key] == k, column] = value
    table.to_csv(path, index=False, encoding="utf-8-sig")


def _export(plan_dir: Path, fmt: str, out: Path):
    from typer.testing import CliRunner

    from scheduler.cli import app

    return CliRunner().invoke(app, ["export", "--plan", str(plan_dir), "--format", fmt, "--out", str(out)])


@pytest.mark.parametrize("fmt,name,what,shown", [
    ("ics", "line1\nline2", "line break", "line1\\nline2"), ("xlsx", "bell\x07name", "U+0007", "bell\\x07name"),
    ("xlsx", "nul\x00x", "NUL", "nul\\x00x"), ("wide", "tab\tx", "tab", "tab\\tx"),
])
def test_a_name_with_a_control_character_is_one_line_and_writes_nothing(plan_dir, tmp_path, fmt, name, what, shown):
    """icalendar asserted on the line break and openpyxl raised IllegalCharacterError on the others."""
    _edit_csv(plan_dir / "shifts.csv", "agent_name", {"A002": name})  # lines 5 and 6
    result = _export(plan_dir, fmt, tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        f"error: {plan_dir / 'shifts.csv'}:5, field 'agent_name': contains a control character ({what}) in "
        f"'{shown}'; ids, names and teams must be printable text on one line"]
    assert "Traceback" not in result.output
    assert not (tmp_path / "out" / EXPORT_FILES[ExportFormat(fmt)]).exists()


def test_a_team_with_a_control_character_in_hires_csv_is_one_line(plan_dir, tmp_path):
    (plan_dir / "hires.csv").write_text("agent_id,team\nD11P001,招聘\x07\n", encoding="utf-8-sig")
    result = _export(plan_dir, "xlsx", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {plan_dir / 'hires.csv'}:2, field 'team': contains a control "
                                    "character (U+0007) in '招聘\\x07'")
    assert not (tmp_path / "out" / "roster_wide.xlsx").exists()


def test_names_read_back_are_stripped(plan_dir):
    _edit_csv(plan_dir / "shifts.csv", "agent_name", {"A002": " 王晓燕\t"})
    assert set(load_plan(plan_dir).shifts["agent_name"]) == {"陆海峰", "王晓燕", "许娜", "临时坐席 D11P001"}


# -- sheet names: what Excel accepts, one per team -------------------------------------------------------------
def excel_accepts(title: str) -> bool:
    """Excel's rules for a sheet name, written out independently of ``sheet_title``."""
    return (1 <= len(title) <= 31 and not set(title) & set("[]:*?/\\") and title[0] != "'" and title[-1] != "'"
            and title.casefold() != "history")


@pytest.mark.parametrize("team,title", [
    ("A组", "A组"), ("", "(no team)"), ("'quoted'", "quoted"), ("''", "(no team)"), ("History", "History (team)"),
    ("HISTORY", "HISTORY (team)"), ("'History'", "History (team)"), ("a/b:c*?[x]\\", "a_b_c___x__"),
    ("T" * 40 + "1", "T" * 31), ("T" * 30 + "'x", "T" * 30), ("x" * 30 + " yz", "x" * 30),
])
def test_sheet_title_is_the_team_as_far_as_excel_allows(team, title):
    assert sheet_title(team, set()) == title and excel_accepts(title)


def test_sheet_titles_stay_unique_after_cutting_and_casefolding():
    taken: set[str] = set()
    titles = [sheet_title(t, taken) for t in ["T" * 40 + "1", "T" * 40 + "2", "t" * 31, "History", "history (team)",
                                              "'quoted'", "quoted", "", "(no team)"]]
    assert titles == ["T" * 31, "T" * 27 + " (2)", "t" * 27 + " (3)", "History (team)", "history (team) (2)",
                      "quoted", "quoted (2)", "(no team)", "(no team) (2)"]


TEAM = (st.text(alphabet=st.sampled_from(list("'[]:*?/\\ Hhistory组T")), max_size=40)
        | st.sampled_from(["History", "'HISTORY'", "history (team)", "(no team)"])
        | st.text(max_size=40).map(lambda t: "".join(c for c in t if c.isprintable())))  # the pool's: no controls


@given(st.lists(TEAM, max_size=12))
@settings(max_examples=100, deadline=None)
def test_any_teams_get_names_excel_accepts_and_no_two_alike(teams):
    taken: set[str] = set()
    titles = [sheet_title(t, taken) for t in teams]
    assert all(excel_accepts(t) for t in titles), titles
    assert len({t.casefold() for t in titles}) == len(titles)


def test_teams_excel_refuses_as_sheet_names_read_back(plan_dir, tmp_path):
    from openpyxl import load_workbook

    teams = {"A001": "'quoted'", "A002": "History", "A003": "a/b:c*?[x]"}
    pool = pd.read_csv(plan_dir.parent / "agents.csv", dtype=str, keep_default_na=False)
    pool["team"] = pool["agent_id"].map(teams)
    pool.to_csv(plan_dir.parent / "agents.csv", index=False)
    (plan_dir / "hires.csv").write_text("agent_id,team\nD11P001," + "T" * 40 + "\n", encoding="utf-8-sig")
    path = export_plan(plan_dir, "xlsx", tmp_path / "out")
    wb = load_workbook(path)
    assert wb.sheetnames == ["quoted", "History (team)", "T" * 31, "a_b_c___x_"]  # by team: ' H T a
    for ws in wb.worksheets:
        assert excel_accepts(ws.title)
        rows = list(ws.iter_rows(min_row=2, values_only=True))
        assert len(rows) == 1 and sheet_title(rows[0][2], set()) == ws.title  # the team's own sheet
    plan = load_plan(plan_dir)
    pd.testing.assert_frame_equal(read_wide_xlsx(path, plan.lunch_min), plan_shift_rows(plan), check_dtype=False)


def test_an_agent_pool_without_any_of_the_plans_agents_is_refused(plan_dir, tmp_path):
    """--agents naming another shop's pool wrote every agent without a team (one '(no team)' sheet, blank team
    cells, calendars without it), exit 0: now one line naming the file, and nothing written."""
    from typer.testing import CliRunner

    from scheduler.cli import app

    other = tmp_path / "other.csv"
    other.write_text("agent_id,name,skills,contract,hourly_cost,team\nB001,客服1,chat,full_time,36,1组\n",
                     encoding="utf-8")
    result = CliRunner().invoke(app, ["export", "--plan", str(plan_dir), "--format", "wide", "--agents", str(other),
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {other}, field '--agents': holds none of the plan's agents (A001, ")
    assert not (tmp_path / "out").exists()
    ours = CliRunner().invoke(app, ["export", "--plan", str(plan_dir), "--format", "wide", "--agents",
                                    str(tmp_path / "agents.csv"), "--out", str(tmp_path / "ours")])
    assert ours.exit_code == 0, ours.output
