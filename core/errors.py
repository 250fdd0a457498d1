"""Errors a user can cause, reported as one line naming the file, row and field."""

from __future__ import annotations

import sys
from pathlib import Path


class InputError(ValueError):
    """Bad input from the user: a file, a row, a field and what is wrong.

    The CLI prints ``str(err)`` as one line and exits non-zero, never a traceback.
    ``row`` is the 1-based line number in the file (the header is line 1), so it
    matches what an editor shows.
    """

    def __init__(self, message: str, *, file: str | Path | None = None,
                 row: int | None = None, field: str | None = None):
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.field = field
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file if self.row is None else f"{self.file}:{self.row}")
        if self.field:
            where.append(f"field '{self.field}'")
        prefix = ", ".join(where)
        text = " ".join(self.message.split())  # always one line
        return f"{prefix}: {text}" if prefix else text


class SolverError(InputError):
    """The solver found no roster within the scenario's time limit (``roster.time_limit_s``).

    Not a bug: the user can raise the limit or relax the rules, so the CLI reports it like bad input
    (one line, exit code 2); ``schedule sweep`` keeps such a point as a row without a roster.
    ``stopped_by`` says what ended the search (as ``Roster.solver["stopped_by"]``): when it was the wall
    clock, another run on a less loaded machine may find a roster.
    """

    def __init__(self, message: str, *, stopped_by: str = "", **where):
        self.stopped_by = stopped_by
        super().__init__(message, **where)


def input_file_problem(path: str | Path) -> str | None:
    """What keeps ``path`` from being read as an input file, or None when it is a regular file:
    ``not found``, ``is a folder, not a file``, or ``is not a regular file`` (``/dev/null``, a pipe, a
    socket). Every reader of a file the user names asks here, through :func:`check_input_file`."""
    path = Path(path)
    if path.is_file():
        return None
    if path.is_dir():
        return "is a folder, not a file"
    if path.exists():
        return "is not a regular file (a device, pipe or socket): give a file"
    return "not found"


def check_input_file(path: str | Path, what: str, option: str | None = None) -> None:
    """Raise an InputError naming ``path`` and ``option`` unless ``path`` is a regular file; ``what``
    names the file in the message ("history file" -> "history file not found", "history file is a
    folder, not a file")."""
    problem = input_file_problem(path)
    if problem is not None:
        raise InputError(f"{what} {problem}", file=path, field=option)


EXIT_INPUT = 2


def run_reporting_user_errors(fn, *args, **kwargs) -> int:
    """Call ``fn``; an error the user caused (bad input, an unreadable file, no roster in time) becomes
    one line on stderr and exit code 2 instead of a traceback. Returns 0 on success. Any other
    exception is a bug and propagates with its traceback."""
    try:
        fn(*args, **kwargs)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except OSError as exc:
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_INPUT
    return 0
