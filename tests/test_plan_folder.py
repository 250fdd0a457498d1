"""The plan folder: written all or nothing, read back to what was written, errors naming file, row and field."""

import json
import os

import numpy as np
import pandas as pd
import pytest
from factories import plan_frames

from core.atomic import MARKER, atomic_file, atomic_folder, read_marker
from core.errors import InputError
from scheduler.plan_folder import (
    ASSIGNMENTS,
    COLUMNS,
    COVERAGE,
    FORECAST,
    PLAN_FILES,
    SHIFTS,
    SUMMARY,
    PlanFolder,
)


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_round_trip(tmp_path):
    frames = plan_frames()
    folder = PlanFolder(tmp_path / "plan")
    assert folder.write(**frames) == tmp_path / "plan"
    assert sorted(_snapshot(folder.path)) == sorted([*PLAN_FILES, MARKER])
    assert read_marker(folder.path)["command"] == "plan" and read_marker(folder.path)["files"] == sorted(PLAN_FILES)
    for name, cols in COLUMNS.items():  # published order first, extra columns after
        if name not in PLAN_FILES:
            continue  # the ledgers and requests_outcome.csv are written when given (tests/test_friendly.py)
        head = folder.file(name).read_text(encoding="utf-8-sig").splitlines()[0].split(",")
        assert head[: len(cols)] == [c for c in cols if c in head], name
    assert folder.file(SHIFTS).read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads the names
    assert not folder.file(COVERAGE).read_bytes().startswith(b"\xef\xbb\xbf")
    assert "2025-11-10T09:00," in folder.file(FORECAST).read_text()

    shifts = folder.shifts()
    want = frames["shifts"]
    for col in ("agent_id", "agent_name", "channels"):
        assert shifts[col].tolist() == want[col].tolist()
    assert shifts["date"].tolist() == want["date"].tolist()
    for col in ("shift_start", "shift_end", "lunch_start", "lunch_end"):
        pd.testing.assert_series_equal(shifts[col], want[col], check_names=False, check_dtype=False)
    assert shifts["paid_hours"].tolist() == [8.0, 4.0]

    cov = folder.coverage(numbers=("required_agents", "scheduled_agents"))
    assert cov["interval_start"].tolist() == frames["coverage"]["interval_start"].tolist()
    assert cov["scheduled_agents"].tolist() == [2.8, 1.4] and cov["open"].tolist() == [True, False]
    assert cov["service_level"].iloc[0] == 0.8123 and np.isnan(cov["service_level"].iloc[1])  # rounded on write
    assert folder.forecast(numbers=("contacts",))["contacts"].tolist() == [10.12, 4.0]
    assert folder.assignments()[["agent_id", "channel"]].values.tolist() == [["A001", "chat"], ["A002", "chat"]]
    summary = folder.summary()
    assert summary["week"] == "2025-W46" and summary["gap"] is None  # strict JSON: NaN is null
    assert folder.input_path("scenario") == "baseline.toml"


def test_a_failed_write_leaves_the_earlier_plan_untouched(tmp_path):
    folder = PlanFolder(tmp_path / "plan")
    folder.write(**plan_frames())
    before = _snapshot(folder.path)
    mode = os.stat(folder.path).st_mode

    def fail(tmp):
        (tmp / "simulation.csv").write_text("half")
        raise RuntimeError("disk full")

    changed = {**plan_frames(), "summary": {"week": "other"}}
    with pytest.raises(RuntimeError, match="disk full"):
        folder.write(**changed, extra=fail)
    assert _snapshot(folder.path) == before and os.stat(folder.path).st_mode == mode
    assert [p.name for p in tmp_path.iterdir()] == ["plan"]  # no temporary folder left beside it

    folder.write(**changed)  # a write that succeeds replaces the folder whole
    assert folder.summary() == {"week": "other"}


def test_a_failed_first_write_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        PlanFolder(tmp_path / "new" / "deep" / "plan").write(**plan_frames(), extra=_raise)
    assert list(tmp_path.iterdir()) == []  # not even the folders it created on the way


def _raise(_):
    raise RuntimeError("stop")


def test_atomic_file_keeps_the_old_file_on_failure(tmp_path):
    path = tmp_path / "roster_wide.csv"
    path.write_text("old")
    with pytest.raises(RuntimeError):
        atomic_file(path, lambda tmp: (tmp.write_text("new, half"), _raise(tmp)))
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["roster_wide.csv"]
    atomic_file(path, lambda tmp: tmp.write_text("new"))
    assert path.read_text() == "new"


def test_atomic_folder_is_team_readable(tmp_path):
    umask = os.umask(0o022)
    try:
        with atomic_folder(tmp_path / "out", "test") as tmp:
            (tmp / "a.csv").write_text("x")
    finally:
        os.umask(umask)
    assert os.stat(tmp_path / "out").st_mode & 0o777 == 0o755


def test_atomic_file_is_team_readable(tmp_path):
    umask = os.umask(0o022)
    try:
        atomic_file(tmp_path / "year_summary.csv", lambda tmp: tmp.write_text("x"))
    finally:
        os.umask(umask)
    assert os.stat(tmp_path / "year_summary.csv").st_mode & 0o777 == 0o644


def test_missing_folder_and_files_name_the_option(tmp_path):
    with pytest.raises(InputError) as exc:
        PlanFolder(tmp_path / "nope", "--previous").shifts()
    assert str(exc.value).endswith("nope, field '--previous': plan folder not found")
    (tmp_path / "empty").mkdir()
    for read, name in ((lambda f: f.shifts(), SHIFTS), (lambda f: f.coverage(), COVERAGE),
                       (lambda f: f.summary(), SUMMARY), (lambda f: f.assignments(), ASSIGNMENTS)):
        with pytest.raises(InputError, match=f"no {name}: not a plan folder") as exc:
            read(PlanFolder(tmp_path / "empty", "--published"))
        assert exc.value.file.endswith(name) and exc.value.field == "--published"
    empty = PlanFolder(tmp_path / "empty")
    assert empty.assignments(missing_ok=True) is None and empty.summary(missing_ok=True) == {}


@pytest.mark.parametrize("name,text,row,field,message", [
    (SHIFTS, "agent_id,agent_name,date,shift_start,shift_end,lunch_start,lunch_end,paid_hours\n"
             "A1,x,2025-11-10,2025-11-10T09:00,2025-11-10T18:00,,,8\n"
             "A2,y,2025-11-10,2025-11-10T09:00,2025-11-10 18h,,,8\n", 3, "shift_end", "is not a time"),
    (SHIFTS, "agent_id,agent_name,date,shift_start,shift_end,lunch_start,paid_hours\n", 1, "lunch_end",
     "missing column"),
    (COVERAGE, "interval_start,channel,required_agents,scheduled_agents\n2025-11-10T09:00,chat,3,two\n", 2,
     "scheduled_agents", "'two' is not a number"),
    (COVERAGE, "interval_start,channel,required_agents,scheduled_agents\n10/11/2025 9am,chat,3,2\n", 2,
     "interval_start", "is not a time"),
    (COVERAGE, "interval_start,channel,required_agents\n2025-11-10T09:00,chat,3\n", 1, "scheduled_agents",
     "missing column"),
])
def test_bad_files_name_file_row_and_field(tmp_path, name, text, row, field, message):
    (tmp_path / name).write_text(text, encoding="utf-8")
    folder = PlanFolder(tmp_path)
    with pytest.raises(InputError, match=message) as exc:
        folder.shifts() if name == SHIFTS else folder.coverage(numbers=("required_agents", "scheduled_agents"))
    assert (exc.value.file, exc.value.row, exc.value.field) == (str(tmp_path / name), row, field)


def test_bad_summary(tmp_path):
    (tmp_path / SUMMARY).write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        PlanFolder(tmp_path).summary()
    (tmp_path / SUMMARY).write_text(json.dumps({"inputs": {"agents": "a.csv"}}))
    with pytest.raises(InputError, match="names no scenario") as exc:
        PlanFolder(tmp_path).input_path("scenario")
    assert exc.value.field == "inputs.scenario"
