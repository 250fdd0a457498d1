"""Calendar exports: one file per agent whatever the ids, stable UIDs, updates and cancellations against the
calendars published before (issue 14, cases 5 and 15)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from icalendar import Calendar
from typer.testing import CliRunner

from core.errors import InputError
from scheduler.cli import app
from scheduler.ics_export import event_uid, ics_file_names, read_ics, uid_agent
from scheduler.plan_folder import PlanFolder
from scheduler.vendor_export import export_plan

NOW = dt.datetime(2025, 11, 1, 8, 0, tzinfo=dt.UTC)


def plan(folder: Path, shifts: list[tuple[str, str, str, str]]) -> Path:
    """A plan folder, written by the planner's writer, with shifts (agent_id, date, start, end) and lunches."""
    rows = []
    for aid, day, start, end in shifts:
        s, e = pd.Timestamp(f"{day}T{start}"), pd.Timestamp(f"{day}T{end}")
        rows.append({"agent_id": aid, "agent_name": f"坐席 {aid}", "date": s.date(), "day_type": "weekday",
                     "shift_start": s, "shift_end": e, "lunch_start": s + pd.Timedelta(hours=3),
                     "lunch_end": s + pd.Timedelta(hours=4), "paid_hours": 8.0, "pay_multiplier": 1.0,
                     "channels": "chat", "promotion": "", "cost": 304.0})
    empty = pd.DataFrame()
    return PlanFolder(folder).write(forecast=empty, requirements=empty, shifts=pd.DataFrame(rows), coverage=empty,
                                    assignments=empty, shortfall=empty,
                                    summary={"week": "2025-W46", "dates": ["2025-11-10", "2025-11-16"]})


def events(path: Path) -> dict[str, dict]:
    cal = Calendar.from_ical(path.read_bytes())
    return {str(ev["uid"]): {"sequence": int(ev.get("sequence", 0)), "status": str(ev.get("status", "")),
                             "start": ev.decoded("dtstart").strftime("%Y-%m-%d %H:%M"), "method": str(cal["method"])}
            for ev in cal.walk("VEVENT")}


def index(folder: Path) -> pd.DataFrame:
    raw = (folder / "index.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # agent names: Excel needs the BOM
    return pd.read_csv(folder / "index.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")


WEEK = [("A001", "2025-11-10", "09:00", "18:00"), ("A001", "2025-11-11", "09:00", "18:00"),
        ("A002", "2025-11-10", "12:00", "21:00"), ("A002", "2025-11-12", "12:00", "21:00")]


def test_colliding_ids_get_their_own_files(tmp_path):
    """Issue 14, case 5: agent ids a/b and a_b both became a_b.ics, and one agent got no calendar."""
    ids = ["a/b", "a_b", "A_B", "../x", "CON", "陆海峰", ".hidden"]
    folder = export_plan(plan(tmp_path / "p", [(a, "2025-11-10", "09:00", "18:00") for a in ids]), "ics", now=NOW)
    table = index(folder)
    assert sorted(table["agent_id"]) == sorted(ids)
    files = dict(zip(table["agent_id"], table["file"]))
    assert len({f.casefold() for f in files.values()}) == len(ids)  # distinct, even on a case-blind disk
    assert files["陆海峰"] == "陆海峰.ics"  # a safe id is its own name...
    assert files["a_b"].startswith("a_b-") and files["A_B"].startswith("A_B-")  # ...unless only case tells it apart
    assert files["a/b"].startswith("a_b-") and files["../x"].startswith("x-") and files["CON"] != "CON.ics"
    for aid, name in files.items():
        assert (folder / name).parent == folder  # nothing outside the folder
        assert [uid_agent(uid) for uid in events(folder / name)] == [aid]
    assert ics_file_names(["a_b", "a/b"])["a_b"] == "a_b.ics"
    assert ics_file_names(["a_b", "a/b"]) | {"z": "z.ics"} == ics_file_names(["a/b", "a_b", "z"])


def test_uids_are_stable_and_a_re_export_changes_nothing(tmp_path):
    p = plan(tmp_path / "p", WEEK)
    first = {f.name: events(f) for f in export_plan(p, "ics", now=NOW).glob("*.ics")}
    assert set(first["A001.ics"]) == {event_uid("A001", dt.date(2025, 11, d)) for d in (10, 11)}
    assert all(e["sequence"] == 0 and e["method"] == "PUBLISH" for f in first.values() for e in f.values())
    folder = export_plan(p, "ics", now=NOW)
    assert {f.name: events(f) for f in folder.glob("*.ics")} == first
    assert not (folder / "cancelled").exists() and index(folder)["cancelled_file"].tolist() == ["", ""]


def test_a_re_plan_updates_moved_shifts_and_cancels_removed_ones(tmp_path):
    """Issue 14, case 15: UIDs were built from the start time, so a moved shift got a new UID and the old
    event was never cancelled. The re-plan goes into the same plan folder, which keeps its export/."""
    p = plan(tmp_path / "p", WEEK)
    export_plan(p, "ics", now=NOW)
    plan(p, [("A001", "2025-11-10", "11:00", "20:00"),   # moved
             ("A001", "2025-11-11", "09:00", "18:00"),   # the same
             ("A002", "2025-11-12", "12:00", "21:00"),   # the same; A002's 11-10 removed
             ("A003", "2025-11-13", "09:00", "18:00")])  # a new agent
    res = CliRunner().invoke(app, ["export", "--plan", str(p), "--format", "ics"])
    assert res.exit_code == 0 and "cancellations for 1 agent(s)" in res.output
    folder = p / "export" / "ics"
    a1 = events(folder / "A001.ics")
    assert a1[event_uid("A001", dt.date(2025, 11, 10))] == {"sequence": 1, "status": "CONFIRMED",
                                                            "start": "2025-11-10 11:00", "method": "PUBLISH"}
    assert a1[event_uid("A001", dt.date(2025, 11, 11))]["sequence"] == 0
    assert [e["sequence"] for e in events(folder / "A003.ics").values()] == [0]
    gone = events(folder / "cancelled" / "A002.ics")
    assert gone == {event_uid("A002", dt.date(2025, 11, 10)): {"sequence": 1, "status": "CANCELLED",
                                                               "start": "2025-11-10 12:00", "method": "CANCEL"}}
    assert list(events(folder / "A002.ics")) == [event_uid("A002", dt.date(2025, 11, 12))]
    assert index(folder).set_index("agent_id").loc["A002", "cancelled_file"] == "cancelled/A002.ics"

    plan(p, WEEK)  # the removed shift comes back: newer than its cancellation
    folder = export_plan(p, "ics", now=NOW)
    assert events(folder / "A002.ics")[event_uid("A002", dt.date(2025, 11, 10))]["sequence"] == 2
    assert events(folder / "A001.ics")[event_uid("A001", dt.date(2025, 11, 10))]["sequence"] == 2
    assert not (folder / "cancelled" / "A002.ics").exists()


def test_published_names_the_earlier_export_and_an_agent_dropped_keeps_an_empty_calendar(tmp_path):
    published = plan(tmp_path / "w46", WEEK)
    export_plan(published, "ics", now=NOW)
    replan = plan(tmp_path / "w46-v2", WEEK[:2])  # A002 no longer works this week
    folder = export_plan(replan, "ics", now=NOW, published=published)
    assert events(folder / "A002.ics") == {}  # a subscribed calendar empties
    assert {e["status"] for e in events(folder / "cancelled" / "A002.ics").values()} == {"CANCELLED"}
    assert len(events(folder / "cancelled" / "A002.ics")) == 2
    with pytest.raises(InputError, match="field '--published': no calendar export found"):
        export_plan(replan, "ics", now=NOW, published=tmp_path / "nowhere")
    with pytest.raises(InputError, match="--format ics only"):
        export_plan(replan, "wide", published=published)


def test_a_name_edited_into_the_published_index_with_a_line_break_is_one_line(tmp_path):
    """The name of an agent dropped from the re-plan comes from the published index.csv: a line break
    there made icalendar assert (a calendar's name is one line)."""
    published = plan(tmp_path / "w46", WEEK)
    folder = export_plan(published, "ics", now=NOW)
    table = index(folder)
    table.loc[table["agent_id"] == "A002", "agent_name"] = "坐席\nA002"
    table.to_csv(folder / "index.csv", index=False, encoding="utf-8-sig")
    replan = plan(tmp_path / "w46-v2", WEEK[:2])  # A002 no longer works this week
    res = CliRunner().invoke(app, ["export", "--plan", str(replan), "--format", "ics", "--published", str(published)])
    assert res.exit_code == 2, res.output
    assert res.stderr.splitlines() == [f"error: {folder / 'index.csv'}:3, field 'agent_name': contains a control "
                                       "character (line break) in '坐席\\nA002'; ids, names and teams must be "
                                       "printable text on one line"]
    assert not (replan / "export" / "ics").exists()


def test_events_of_an_export_before_stable_uids_are_cancelled(tmp_path):
    p = plan(tmp_path / "p", WEEK[:1])
    old = tmp_path / "old_ics"
    old.mkdir()
    (old / "A001.ics").write_bytes(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//cs-schedule//roster export//EN\r\n"
                                   b"METHOD:PUBLISH\r\nBEGIN:VEVENT\r\nUID:20251110T0900-A001@cs-schedule\r\n"
                                   b"DTSTAMP:20251101T080000Z\r\nDTSTART:20251110T010000Z\r\n"
                                   b"DTEND:20251110T100000Z\r\nSUMMARY:Shift 09:00-18:00\r\nEND:VEVENT\r\n"
                                   b"END:VCALENDAR\r\n")
    folder = export_plan(p, "ics", now=NOW, published=old)
    assert list(events(folder / "cancelled" / "A001.ics")) == ["20251110T0900-A001@cs-schedule"]
    assert list(events(folder / "A001.ics")) == [event_uid("A001", dt.date(2025, 11, 10))]


def test_the_calendars_read_back_to_the_shifts(tmp_path):
    p = plan(tmp_path / "p", WEEK)
    folder = export_plan(p, "ics", now=NOW)
    back = pd.concat([read_ics(f) for f in sorted(folder.glob("*.ics"))], ignore_index=True)
    shifts = PlanFolder(p).shifts()
    assert back["agent_id"].tolist() == shifts["agent_id"].tolist()
    assert back["shift_start"].tolist() == shifts["shift_start"].tolist()
