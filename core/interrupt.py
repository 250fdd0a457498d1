"""Ctrl-C: the searches stop, and the command writes what it has found so far.

Python raises ``KeyboardInterrupt`` only in the main thread, and only between bytecodes: not while a
CP-SAT search runs in it. CP-SAT's own SIGINT handler (``catch_sigint_signal``) stops one search, but
not the stages after it, and in any other thread (a month's searches run behind HiGHS in one) it aborted
the whole process (``std::bad_function_call``, exit 134) on a later Ctrl-C. So CP-SAT never catches
SIGINT here (``scheduler.roster.model.new_solver``), and a command's work runs through ``call``: in a
thread of its own while the main thread waits, where Ctrl-C raises at once. ``call`` then prints one
line and ``request``s a stop, and waits for the work to end as it would at its time limit:

- every search ``watch``ed and still running is told to stop (``stop_search``: CP-SAT's solvers, and
  HiGHS's root bound at its next round of cuts),
- a CP-SAT solver made afterwards (``scheduler.roster.model.make_solver``) gets no time,
- the loops (windows, the month's warm-start weeks, chained weeks) end at their next step, and a plan
  skips the searches after its roster (mending it to the targets, sizing the pool): they all read
  ``requested``.

Files are written as they are without Ctrl-C (each in one rename). A second Ctrl-C while the work winds
down is not caught: the process ends as Python ends it, and a folder it was writing is never half there.
"""

from __future__ import annotations

import sys
import threading
import weakref
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
STOPPED = "interrupted (Ctrl-C)"  # a search's stopped_by
NO_ROSTER = f"{STOPPED} before a roster was found: nothing written"
POLL_S = 0.5  # [s] while the work winds down, a search started since the request is told again this often

_stop = threading.Event()
_lock = threading.Lock()
_running: weakref.WeakSet = weakref.WeakSet()  # searches that may be running: anything with stop_search()


def requested() -> bool:
    """Whether Ctrl-C asked the work to stop."""
    return _stop.is_set()


def watch(search):
    """``search`` (anything with ``stop_search()``) is told to stop on a request; returns it."""
    with _lock:
        _running.add(search)
    if _stop.is_set():
        search.stop_search()
    return search


def request() -> None:
    """Ask every search watched to stop, and the loops to end at their next step."""
    _stop.set()
    with _lock:
        running = list(_running)
    for search in running:
        search.stop_search()


def call(work: Callable[[], T], name: str) -> T:
    """``work()``'s result (or its exception, raised here as it is), run in a thread of its own (``name``)
    while this one waits. Ctrl-C while it runs (``KeyboardInterrupt`` here, in the main thread) requests
    a stop, and the work's result is what it found until then; the request ends when the work does.
    The end is the work's own signal: a join Ctrl-C interrupted may leave the thread looking dead while
    it runs (Python 3.11's ``Thread.is_alive``)."""
    out: dict = {}
    done = threading.Event()

    def target() -> None:
        try:
            out["result"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread as it is
            out["error"] = exc
        finally:
            done.set()

    try:
        threading.Thread(target=target, name=name, daemon=True).start()
        done.wait()
    except KeyboardInterrupt:
        print(f"{STOPPED}: stopping the search; what is written holds the best found so far "
              "(Ctrl-C again aborts)", file=sys.stderr, flush=True)
        request()
        try:
            while not done.wait(POLL_S):
                request()  # a search that started between the request and its solver's watch
        finally:
            _stop.clear()
    if "error" in out:
        raise out["error"]
    return out["result"]
