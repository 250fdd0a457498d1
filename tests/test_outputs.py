"""Output folders: written only where nothing of the user's is lost (issue 14, cases 2, 3 and 7).

- a command writes into a new or empty folder or an earlier output of its own (its marker file), else
  refuses in one line (exit 2, nothing written) unless --force, which keeps every other file;
- a file never becomes a folder;
- a scenario name never becomes a path;
- a run killed during the final renames loses nothing, and the next run cleans up after it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.atomic import (
    MARKER,
    atomic_file,
    atomic_folder,
    check_output_folder,
    read_marker,
    recover_stale,
)
from core.errors import InputError
from core.names import folder_name
from scheduler.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every file (bytes) and folder (None) under ``folder``, by relative path."""
    out = {}
    for p in sorted(folder.rglob("*")):
        out[p.relative_to(folder).as_posix()] = None if p.is_dir() else p.read_bytes()
    return out


def user_folder(path: Path) -> Path:
    """A folder of the user's own files, as a working directory is."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "notes.txt").write_text("mine\n")
    (path / "summary.json").write_text('{"mine": true}\n')  # a name the plan writes, too
    (path / "data").mkdir(exist_ok=True)
    (path / "data" / "contacts.csv").write_text("contact_id\n1\n")
    return path


def write(final: Path, files: dict[str, str], command: str = "cmd", **kwargs) -> None:
    with atomic_folder(final, command, known=kwargs.pop("known", ()), log=lambda _: None, **kwargs) as tmp:
        for name, text in files.items():
            (tmp / name).write_text(text)


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# -- the rules ------------------------------------------------------------------------------------------------
def test_new_and_empty_folders_get_the_output_and_its_marker(tmp_path):
    write(tmp_path / "a" / "b", {"x.csv": "1"})
    (tmp_path / "empty").mkdir()
    write(tmp_path / "empty", {"x.csv": "2"})
    for folder in (tmp_path / "a" / "b", tmp_path / "empty"):
        marker = read_marker(folder)
        assert marker["command"] == "cmd" and marker["files"] == ["x.csv"] and marker["version"]
        assert sorted(os.listdir(folder)) == [MARKER, "x.csv"]


def test_an_earlier_output_is_replaced_but_what_the_user_added_is_kept(tmp_path):
    final = tmp_path / "out"
    write(final, {"x.csv": "old", "stale.csv": "old"})
    (final / "notes.txt").write_text("mine")
    (final / "export").mkdir()
    (final / "export" / "roster_wide.csv").write_text("sent to the vendor")
    notes = []
    with atomic_folder(final, "cmd", log=notes.append) as tmp:
        (tmp / "x.csv").write_text("new")
    assert notes == [f"{final}: kept export, notes.txt from the earlier output; anything made from the earlier cmd "
                     "(an export, an edited roster) is not updated: make it again"]
    assert (final / "x.csv").read_text() == "new"
    assert not (final / "stale.csv").exists()  # the earlier output's own file, no longer written
    assert (final / "notes.txt").read_text() == "mine"
    assert (final / "export" / "roster_wide.csv").read_text() == "sent to the vendor"
    assert read_marker(final)["files"] == ["x.csv"]  # the user's entries are never listed as ours
    assert sorted(os.listdir(tmp_path)) == ["out"]  # no temporary left


@pytest.mark.parametrize("marker", [None, {"command": "other", "files": ["y.csv"]}])
def test_a_folder_that_is_not_our_earlier_output_is_refused_untouched(tmp_path, marker):
    final = user_folder(tmp_path / "out")
    if marker:
        (final / MARKER).write_text(json.dumps(marker))
    before = tree(tmp_path)
    with pytest.raises(InputError) as err:
        write(final, {"summary.json": "ours"})
    assert "--out" in str(err.value) and "--force" in str(err.value) and "\n" not in str(err.value)
    assert ("schedule other" in str(err.value)) == bool(marker)
    assert tree(tmp_path) == before


def test_force_writes_into_a_foreign_folder_keeping_everything_else(tmp_path):
    final = user_folder(tmp_path / "out")
    write(final, {"summary.json": "ours", "x.csv": "1"}, force=True)
    assert (final / "summary.json").read_text() == "ours"  # the same name: replaced, as --force says
    assert (final / "notes.txt").read_text() == "mine\n" and (final / "data" / "contacts.csv").exists()
    assert read_marker(final)["files"] == ["summary.json", "x.csv"]
    write(final, {"x.csv": "2"})  # now our earlier output: replaced without --force, the user's files stay
    assert (final / "notes.txt").exists() and not (final / "summary.json").exists()


def test_a_file_never_becomes_a_folder(tmp_path):
    afile = tmp_path / "afile.txt"
    afile.write_text("keep me")
    for target, force in ((afile, False), (afile, True), (afile / "sub", True)):
        with pytest.raises(InputError, match="file, not a folder"):
            write(target, {"x.csv": "1"}, force=force)
    assert tree(tmp_path) == {"afile.txt": b"keep me"}


def test_an_output_written_before_markers_is_recognised_by_its_names(tmp_path):
    final = tmp_path / "out"
    final.mkdir()
    (final / "forecast.csv").write_text("old")
    write(final, {"forecast.csv": "new"}, known=["forecast.csv"])
    assert (final / "forecast.csv").read_text() == "new"
    (final / "forecast.csv").unlink()
    (final / MARKER).unlink()
    (final / "notes.txt").write_text("mine")
    with pytest.raises(InputError):  # another name in it: not recognisably ours
        write(final, {"forecast.csv": "new"}, known=["forecast.csv"])


def test_a_user_file_by_a_name_the_command_writes_is_not_replaced_without_force(tmp_path):
    final = tmp_path / "out"
    write(final, {"x.csv": "1"}, known=["x.csv", "simulation.csv"])
    (final / "simulation.csv").write_text("mine")
    with pytest.raises(InputError, match="simulation.csv"):
        write(final, {"x.csv": "2", "simulation.csv": "ours"}, known=["x.csv", "simulation.csv"])
    assert (final / "simulation.csv").read_text() == "mine" and (final / "x.csv").read_text() == "1"


def test_a_failed_write_changes_nothing(tmp_path):
    final = tmp_path / "out"
    write(final, {"x.csv": "1"})
    (final / "notes.txt").write_text("mine")
    before = tree(tmp_path)
    with pytest.raises(RuntimeError), atomic_folder(final, "cmd") as tmp:
        (tmp / "x.csv").write_text("half")
        raise RuntimeError("disk full")
    assert tree(tmp_path) == before


def test_the_working_directory_can_be_the_output(tmp_path, monkeypatch):
    final = tmp_path / "out"
    write(final, {"x.csv": "1", "old.csv": "1"})
    (final / "notes.txt").write_text("mine")
    monkeypatch.chdir(final)
    write(Path("."), {"x.csv": "2"})
    assert Path.cwd() == final and Path("x.csv").read_text() == "2" and Path("notes.txt").exists()
    assert not Path("old.csv").exists() and sorted(os.listdir(tmp_path)) == ["out"]


def test_files_are_mode_0644(tmp_path):
    umask = os.umask(0o022)
    try:
        atomic_file(tmp_path / "roster_wide.csv", lambda p: p.write_text("x"))
        write(tmp_path / "out", {"x.csv": "1"})
    finally:
        os.umask(umask)
    assert (tmp_path / "roster_wide.csv").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "out" / MARKER).stat().st_mode & 0o777 == 0o644


# -- after a kill -9 ----------------------------------------------------------------------------------------------
def test_recovery_restores_the_earlier_output_when_the_new_one_never_got_in(tmp_path):
    """A run killed between its two renames: the earlier output sits in .out.schedule-old-PID, the new one
    (holding some of the user's entries it was carrying) in .out.schedule-new-PID-x."""
    final, pid = tmp_path / "out", dead_pid()
    old = tmp_path / f".out.schedule-old-{pid}"
    new = tmp_path / f".out.schedule-new-{pid}-abc"
    write(old, {"x.csv": "earlier"})
    (old / "notes.txt").write_text("mine")
    new.mkdir()
    (new / "x.csv").write_text("new")
    (new / "data").mkdir()
    (new / "data" / "contacts.csv").write_text("mine too")
    (new / MARKER).write_text(json.dumps({"command": "cmd", "files": ["x.csv"], "pid": pid,
                                          "carried": ["notes.txt", "data"]}))
    notes = []
    recover_stale(final, notes.append)
    assert (final / "x.csv").read_text() == "earlier"
    assert (final / "notes.txt").read_text() == "mine" and (final / "data" / "contacts.csv").read_text() == "mine too"
    assert sorted(os.listdir(tmp_path)) == ["out"] and len(notes) == 2 and "restored" in notes[0]


def test_recovery_removes_our_leftovers_after_a_completed_swap(tmp_path):
    final, pid = tmp_path / "out", dead_pid()
    write(final, {"x.csv": "new"})
    write(tmp_path / f".out.schedule-old-{pid}", {"x.csv": "earlier"})
    half = tmp_path / f".out.schedule-new-{pid}-xyz"
    half.mkdir()
    (half / MARKER).write_text(json.dumps({"command": "cmd", "files": [], "pid": pid}))
    (half / "x.csv").write_text("half")
    (tmp_path / f".roster_wide.csv.schedule-new-{pid}-q1").write_text("half a file")
    recover_stale(final, lambda _: None)
    recover_stale(tmp_path / "roster_wide.csv", lambda _: None)
    assert sorted(os.listdir(tmp_path)) == ["out"] and (final / "x.csv").read_text() == "new"


def test_recovery_leaves_live_runs_and_folders_not_provably_ours_alone(tmp_path):
    final = tmp_path / "out"
    live = tmp_path / f".out.schedule-new-{os.getppid()}-abc"  # a running process (our parent)
    live.mkdir()
    (live / MARKER).write_text(json.dumps({"command": "cmd", "files": []}))
    lookalike = tmp_path / f".out.schedule-new-{dead_pid()}-abc"  # no marker: perhaps the user's
    lookalike.mkdir()
    (lookalike / "precious.txt").write_text("mine")
    before = tree(tmp_path)
    recover_stale(final, lambda _: None)
    assert tree(tmp_path) == before


def test_an_earlier_versions_leftover_is_put_back_or_named_never_deleted(tmp_path):
    """Before markers, a kill -9 between the renames left the whole earlier folder as .NAME.old.PID."""
    final = tmp_path / "out"
    legacy = user_folder(tmp_path / f".out.old.{dead_pid()}")
    snapshot = tree(legacy)
    notes = []
    recover_stale(final, notes.append)
    assert tree(final) == snapshot and not legacy.exists() and "restored" in notes[0]
    legacy = user_folder(tmp_path / f".out.old.{dead_pid()}")
    recover_stale(final, notes.append)
    assert tree(legacy) == snapshot and "check it" in notes[1]


KILL_SCRIPT = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, sys.argv[1])
    import core.atomic as atomic
    from pathlib import Path

    calls, kill_at, real_replace = [0], int(sys.argv[3]), os.replace
    def replace(src, dst):
        calls[0] += 1
        if calls[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        real_replace(src, dst)
    final = Path(sys.argv[2])
    with atomic.atomic_folder(final, "cmd") as tmp:
        (tmp / "x.csv").write_text("new")
        atomic.os.replace = replace  # from here on: the swap's renames
""")


@pytest.mark.parametrize("kill_at", [1, 2, 3, 4, 5, 6])
def test_kill_9_during_the_final_renames_loses_nothing(tmp_path, kill_at):
    """kill -9 at each rename of the swap (the earlier output away, the user's entries across, the new
    output in, the marker): afterwards the target holds the earlier or the new output, with every file of
    the user's, and the next write leaves no temporary behind."""
    final = tmp_path / "out"
    write(final, {"x.csv": "earlier"})
    (final / "notes.txt").write_text("mine")
    (final / "data").mkdir()
    (final / "data" / "contacts.csv").write_text("mine too")
    proc = subprocess.run([sys.executable, "-c", KILL_SCRIPT, str(ROOT), str(final), str(kill_at)])
    assert proc.returncode in (-signal.SIGKILL, 0)
    recover_stale(final, lambda _: None)
    assert (final / "x.csv").read_text() in ("earlier", "new")
    assert (final / "notes.txt").read_text() == "mine" and (final / "data" / "contacts.csv").read_text() == "mine too"
    write(final, {"x.csv": "next"})
    assert sorted(os.listdir(tmp_path)) == ["out"]
    assert sorted(os.listdir(final)) == [MARKER, "data", "notes.txt", "x.csv"]


KILL_BEFORE_THE_MARKER = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, sys.argv[1])
    import core.atomic as atomic
    from pathlib import Path

    def replace(src, dst):  # the first rename of the run: the new folder's marker, atomic_file's
        os.kill(os.getpid(), signal.SIGKILL)
    atomic.os.replace = replace
    with atomic.atomic_folder(Path(sys.argv[2]), "cmd") as tmp:
        (tmp / "x.csv").write_text("new")
""")


@pytest.mark.parametrize("earlier", [True, False])
def test_a_run_killed_at_its_first_rename_leaves_nothing_after_the_next_run(tmp_path, earlier):
    """kill -9 at the very first rename, the marker's inside the new folder (the audit: `schedule forecast
    --out kk` killed there left .kk.schedule-new-PID-x holding only ..schedule-output.json.schedule-new-PID-y,
    which two later runs to kk kept): the next write to the same target removes it, and keeps the user's
    files."""
    final = tmp_path / "out"
    if earlier:
        write(final, {"x.csv": "earlier"})
        (final / "notes.txt").write_text("mine")
    proc = subprocess.Popen([sys.executable, "-c", KILL_BEFORE_THE_MARKER, str(ROOT), str(final)])
    assert proc.wait() == -signal.SIGKILL
    left = [p.name for p in tmp_path.iterdir() if p.name != "out"]
    assert len(left) == 1 and left[0].startswith(f".out.schedule-new-{proc.pid}-")  # the audit's leftover
    inside = os.listdir(tmp_path / left[0])
    assert len(inside) == 1 and inside[0].startswith(f".{MARKER}.schedule-new-{proc.pid}-")
    write(final, {"x.csv": "next"})
    assert sorted(os.listdir(tmp_path)) == ["out"]
    assert (final / "x.csv").read_text() == "next"
    assert not earlier or (final / "notes.txt").read_text() == "mine"


def test_a_folder_holding_another_processs_marker_temporary_is_left_alone(tmp_path):
    """Only a dead run's own marker temporary makes its folder provably ours: a live run's folder (our
    parent's pid: it may be writing its marker right now), one of another process, or anything beside it
    may be someone's, and stays."""
    dead, other, live = dead_pid(), dead_pid(), os.getppid()
    for pid, entries in ((dead, [f".{MARKER}.schedule-new-{other}-q"]),
                         (other, [f".{MARKER}.schedule-new-{other}-q", "precious.txt"]),
                         (live, [f".{MARKER}.schedule-new-{live}-q"])):
        folder = tmp_path / f".out.schedule-new-{pid}-abc"
        folder.mkdir()
        for name in entries:
            (folder / name).write_text("?")
    before = tree(tmp_path)
    recover_stale(tmp_path / "out", lambda _: None)
    assert tree(tmp_path) == before


# -- the commands --------------------------------------------------------------------------------------------------
def _invoke(args: list[str]):
    return runner.invoke(app, args)


COMMANDS = {
    "plan": ["plan", "--week", "2025-11"],
    "forecast": ["forecast", "--week", "2025-11"],
    "backtest": ["backtest", "--history", str(ROOT / "forecasts" / "data" / "history.csv.gz"), "--folds", "1"],
    "compare": ["compare", str(ROOT / "scenarios" / "baseline.toml"), "--week", "2025-11"],
    "sweep": ["sweep", "--week", "2025-11", "--grid", "shrinkage=0.3"],
    "report": ["report", "--month", "2025-11", "--db", "missing.duckdb"],
    "export": ["export", "--plan", "no_plan_here", "--format", "wide"],
    "export-ics": ["export", "--plan", "no_plan_here", "--format", "ics"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_out_dot_never_wipes_the_working_directory(command, tmp_path, monkeypatch):
    """Issue 14, case 2: `schedule plan --week 2025-11 --out .` replaced the working directory whole."""
    work = user_folder(tmp_path / "work")
    monkeypatch.chdir(work)
    before = tree(tmp_path)
    res = _invoke([*COMMANDS[command], "--out", "."])
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert lines[-1].startswith("error: ") and "--out" in lines[-1] and "--force" in lines[-1]
    assert "Traceback" not in res.output
    assert tree(tmp_path) == before


@pytest.mark.parametrize("command", list(COMMANDS))
def test_out_a_file_is_refused(command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("afile.txt").write_text("keep me")
    res = _invoke([*COMMANDS[command], "--out", "afile.txt", "--force"])
    assert res.exit_code == 2 and "afile.txt" in res.output and "not a folder" in res.output
    assert tree(tmp_path) == {"afile.txt": b"keep me"}


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc, where nothing can be created")
@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_out_nothing_can_be_written_in_is_refused_before_any_work(command, tmp_path, monkeypatch):
    """`schedule plan --week 2025-11 --out /proc/x` solved the whole week, then failed at its first write with
    "error: /proc/.x.schedule-new-...: No such file or directory", naming no option."""
    import scheduler.plan

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(scheduler.plan, "run_plan", lambda *a, **k: pytest.fail("planned before checking --out"))
    res = _invoke([*COMMANDS[command], "--out", "/proc/x"])
    assert res.exit_code == 2, res.output
    line = res.output.strip().splitlines()[-1]
    assert line == "error: /proc/x, field '--out': cannot write there: /proc: No such file or directory", line
    assert "Traceback" not in res.output and not os.listdir(tmp_path)


def small_plan(folder: Path) -> Path:
    """A one-shift plan folder written by the planner's own writer."""
    import pandas as pd

    from scheduler.plan_folder import PlanFolder

    start = pd.Timestamp("2025-11-10T09:00")
    shifts = pd.DataFrame([{"agent_id": "A001", "agent_name": "陆海峰", "date": start.date(), "day_type": "weekday",
                            "shift_start": start, "shift_end": start + pd.Timedelta(hours=9),
                            "lunch_start": start + pd.Timedelta(hours=3), "lunch_end": start + pd.Timedelta(hours=4),
                            "paid_hours": 8.0, "pay_multiplier": 1.0, "channels": "chat", "promotion": "",
                            "cost": 304.0}])
    empty = pd.DataFrame()
    return PlanFolder(folder).write(forecast=empty, requirements=empty, shifts=shifts, coverage=empty,
                                    assignments=empty, shortfall=empty,
                                    summary={"week": "2025-W46", "dates": ["2025-11-10", "2025-11-16"]})


def test_export_accumulates_formats_in_its_folder_and_refuses_another_output(tmp_path):
    plan = small_plan(tmp_path / "plan")
    for fmt in ("wide", "xlsx", "ics", "wide"):
        res = _invoke(["export", "--plan", str(plan), "--format", fmt])
        assert res.exit_code == 0, res.output
    assert read_marker(plan / "export")["files"] == ["ics", "roster_wide.csv", "roster_wide.xlsx"]
    res = _invoke(["export", "--plan", str(plan), "--format", "wide", "--out", str(plan / "export" / "ics")])
    assert res.exit_code == 2 and "schedule export --format ics" in res.output
    res = _invoke(["export", "--plan", str(plan), "--format", "wide", "--out", str(plan)])
    assert res.exit_code == 2 and "holds the output of schedule plan" in res.output


def test_a_re_plan_keeps_the_plans_export_folder(tmp_path):
    plan = small_plan(tmp_path / "plan")
    assert _invoke(["export", "--plan", str(plan), "--format", "wide"]).exit_code == 0
    small_plan(plan)  # the week planned again into the same folder
    assert (plan / "export" / "roster_wide.csv").is_file()


def test_check_names_the_option(tmp_path):
    user_folder(tmp_path)
    with pytest.raises(InputError, match="field '--plan-out'"):
        check_output_folder(tmp_path, "plan", option="--plan-out")


# -- case 3: a scenario name is not a path -------------------------------------------------------------------------
@pytest.mark.parametrize("name, folder", [("../../x", "x"), ("/etc/cron.d/x", "etc_cron.d_x"), ("..", "scenario"),
                                          ("大促 A/B", "大促_A_B"), ("baseline", "baseline"), ("CON", "CON_")])
def test_folder_names(name, folder):
    assert folder_name(name) == folder


def test_a_scenario_named_like_a_path_stays_inside_out(tmp_path, monkeypatch):
    """Issue 14, case 3: name = "../../x" wrote outside out/. The plan is refused at the output check (its
    folder is someone else's), which runs before the solve, so this test needs no roster."""
    work = tmp_path / "a" / "b" / "work"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    scenario = work / "evil.toml"
    scenario.write_text(f'extends = "{(ROOT / "scenarios" / "baseline.toml").as_posix()}"\nname = "../../x"\n')
    target = work / "out" / "x" / "2025-W11"
    user_folder(target)  # so the command stops at the check, after naming its folder
    res = _invoke(["plan", "--week", "2025-11", "--scenario", str(scenario)])
    assert res.exit_code == 2 and "writing under out/x/" in res.output
    assert str(target) in res.output
    assert not (tmp_path / "x").exists() and not (tmp_path / "a" / "x").exists()


def test_out_dot_dot_is_the_parent_folder(tmp_path, monkeypatch):
    work = tmp_path / "parent" / "work"
    work.mkdir(parents=True)
    (tmp_path / "parent" / "mine.txt").write_text("mine")
    monkeypatch.chdir(work)
    with pytest.raises(InputError, match="parent, field '--out': is not empty"):
        write(Path(".."), {"x.csv": "1"})
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "parent", target_is_directory=True)
    with pytest.raises(InputError, match="parent, field '--out': is not empty"):
        write(link, {"x.csv": "1"})  # a link is followed, never replaced by a folder
    assert link.is_symlink() and sorted(os.listdir(tmp_path / "parent")) == ["mine.txt", "work"]


def test_the_files_people_open_are_mode_0644(tmp_path):
    """Issue 14, case 15: roster_wide.csv, roster_wide.xlsx and simulation.csv were written 0600."""
    import pandas as pd

    from scheduler.simulation import SIMULATION_COLUMNS, write_simulation
    from scheduler.vendor_export import export_plan

    umask = os.umask(0o022)
    try:
        plan = small_plan(tmp_path / "plan")
        files = [export_plan(plan, "wide"), export_plan(plan, "xlsx"), *export_plan(plan, "ics").iterdir()]
        per_day = pd.DataFrame([dict.fromkeys(SIMULATION_COLUMNS, 0.5) | {"channel": "chat", "date": "week"}])
        files.append(write_simulation(per_day, plan))
    finally:
        os.umask(umask)
    assert {p.name: p.stat().st_mode & 0o777 for p in files if p.is_file()} == \
        {p.name: 0o644 for p in files if p.is_file()}
    assert "simulation.csv" in read_marker(plan)["files"]  # so a re-plan replaces it with the plan


def test_a_failed_rename_leaves_no_temporary(tmp_path, monkeypatch):
    """Another run moving the earlier output away under us: the error propagates, nothing of ours stays."""
    import core.atomic as atomic

    final = tmp_path / "out"
    write(final, {"x.csv": "1"})
    real = os.replace

    def replace(src, dst):
        if Path(src) == final:
            raise FileNotFoundError(2, "No such file or directory", str(src))
        real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)
    with pytest.raises(FileNotFoundError):
        write(final, {"x.csv": "2"})
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == ["out"] and (final / "x.csv").read_text() == "1"
