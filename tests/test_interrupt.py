"""Ctrl-C while a plan's work runs off the main thread (core.interrupt): the searches running stop, a
solver made afterwards gets no time, a windowed search behind HiGHS ends at once with the roster it has
(one the validator passes), a chain of weeks stops after the week it was in, and the request ends with
the work. CP-SAT never catches SIGINT itself (its handler aborted the process off the main thread)."""

from __future__ import annotations

import dataclasses
import json
import signal
import threading

import pandas as pd
import pytest
from test_horizon_cli import (
    check_plan,
    quick,  # noqa: F401 - the fixture
    run,
)
from test_root_bound import _windowed

from core import interrupt
from core.errors import SolverError
from scheduler.roster import model as roster_model
from scheduler.roster import solve_roster, windows
from scheduler.roster.root_bound import RootBound, behind
from scheduler.validation import validate_roster


@pytest.fixture
def ctrl_c():
    """Pressing Ctrl-C: SIGINT to the main thread, under Python's own handler (a test runner's worker may
    ignore SIGINT, as a shell's background job does)."""
    saved = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield lambda: signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
    signal.signal(signal.SIGINT, saved)


class Search:
    def __init__(self):
        self.stopped = threading.Event()

    def stop_search(self):
        self.stopped.set()


def test_ctrl_c_stops_the_searches_running_and_the_work_returns_what_it_has(ctrl_c):
    def work():
        search = interrupt.watch(Search())
        ctrl_c()
        assert search.stopped.wait(60)  # told to stop: the work goes on to its end
        return "roster so far", interrupt.requested()

    assert behind(work) == ("roster so far", True)
    assert not interrupt.requested()  # the request ended with the work it stopped
    assert interrupt.call(lambda: interrupt.requested(), "after") is False
    late = interrupt.watch(Search())
    assert not late.stopped.is_set()


def test_a_solver_made_after_ctrl_c_gets_no_time_and_one_made_before_it_is_stopped(ctrl_c):
    p = _windowed()

    def work():
        before = roster_model.make_solver(p, 600.0)
        ctrl_c()
        while not interrupt.requested():
            threading.Event().wait(0.01)
        after = roster_model.make_solver(p, 600.0)
        return before.parameters, after.parameters

    before, after = behind(work)
    assert before.max_deterministic_time > 0
    assert after.max_deterministic_time == 0 and after.max_time_in_seconds == 0
    assert not before.catch_sigint_signal and not after.catch_sigint_signal


def test_a_windowed_search_ends_on_ctrl_c_with_the_roster_it_has(ctrl_c, monkeypatch):
    monkeypatch.setattr(roster_model, "WALL_SAFETY", 30.0)
    monkeypatch.setattr(windows, "FIRST_SHARE_WITH_PROVEN_BOUND", 0.1)
    p = _windowed()
    highs = RootBound(roster_model.build_model(p).model.proto, 600).start()
    window_model = windows._window_model

    def pressed_in_the_first_window(*args):
        if not interrupt.requested():
            ctrl_c()
        return window_model(*args)

    monkeypatch.setattr(windows, "_window_model", pressed_in_the_first_window)
    roster = behind(lambda: solve_roster(dataclasses.replace(p, proven_bound=highs.result)))
    assert roster.solver["stopped_by"] == interrupt.STOPPED
    assert roster.solver["windows"]["solved"] == 1  # no window after the one Ctrl-C stopped
    assert validate_roster(p, roster) == []
    assert not interrupt.requested()


def test_ctrl_c_before_any_roster_is_one_line_and_writes_nothing(ctrl_c):
    p = _windowed()

    def work():
        ctrl_c()
        while not interrupt.requested():
            threading.Event().wait(0.01)
        return solve_roster(p)

    with pytest.raises(SolverError, match=r"^interrupted \(Ctrl-C\) before a roster was found: nothing written$"):
        behind(work)


def _pressed_and_seen(ctrl_c) -> None:
    """Ctrl-C, and wait until the main thread has requested the stop (it runs its handler at once)."""
    ctrl_c()
    while not interrupt.requested():
        threading.Event().wait(0.01)


@pytest.mark.slow
def test_a_chain_of_weeks_stops_after_the_week_ctrl_c_came_in(tmp_path, quick, ctrl_c, monkeypatch):  # noqa: F811
    from scheduler import chain

    line = chain.progress_line

    def pressed_after_the_first_week(*args):
        if not interrupt.requested():
            _pressed_and_seen(ctrl_c)
        return line(*args)

    monkeypatch.setattr(chain, "progress_line", pressed_after_the_first_week)
    scenario, agents = quick
    out = tmp_path / "chain"
    result = run("plan", "--weeks", "2025-W40:2025-W42", "--scenario", scenario, "--agents", agents, "--out", out)
    assert result.exit_code == 0, result.output
    assert "interrupted (Ctrl-C): stopped before 2025-W41" in result.stdout
    assert pd.read_csv(out / chain.YEAR_SUMMARY)["week"].tolist() == ["2025-W40"]
    check_plan(out / "2025-W40")
    assert not (out / "2025-W41").exists()
    cut = json.loads((out / "2025-W40" / "summary.json").read_text())
    assert chain._complete(out / "2025-W40", cut["scenario"], "2025-W40") is not None  # searched to its end: kept
    cut["solver"]["stopped_by"] = f"counts: {interrupt.STOPPED}; agents: {interrupt.STOPPED}"
    (out / "2025-W40" / "summary.json").write_text(json.dumps(cut))
    assert chain._complete(out / "2025-W40", cut["scenario"], "2025-W40") is None  # cut short: --resume plans it again


def test_highs_stops_at_its_next_round_and_its_bound_is_not_waited_for():
    from test_root_bound import _knapsacks

    highs = RootBound(_knapsacks().proto, 600).start()
    highs.stop_search()
    found = highs.result()  # returns at once: the best round so far, if any
    highs._thread.join(60)
    assert not highs._thread.is_alive() and len(highs.rounds) <= 1  # HiGHS stopped at its first round
    assert found is None or found <= highs.result()
    assert highs.figures()["stopped_by"] == interrupt.STOPPED
