"""The plan folder: its files, their columns and formats, one all-or-nothing write, and reading it back.

``schedule plan`` writes one folder per plan; ``--previous`` and ``--published``, ``schedule simulate``,
``schedule export`` and ``schedule report`` read it back. Its files (:data:`PLAN_FILES`):

- forecast, requirements, coverage, assignments and shortfall: one row per interval (and channel,
  or agent), columns in their published order (:data:`COLUMNS`, extra columns after them);
- shifts: one row per agent shift, UTF-8 with a BOM so that Excel shows Chinese names;
- ``summary.json``: the plan's figures, solver status and inputs;
- ``hires.csv`` when the plan hired (``plan --hire auto``): one row per hired agent;
- the ledgers the next plan's ``--previous`` carries on (:data:`LEDGER_FILES`): ``comp_off.csv``, one
  row per comp day off (补休) owed at the start or earned in the plan, with its due date and the date
  it was given (empty: still owed); ``month_overtime.csv``, per agent and calendar month of the plan,
  the overtime hours before the plan, in it, in all, and the cap;
- ``simulation.csv`` when the plan was simulated (written by :mod:`scheduler.simulation`);
- ``report.html``: the plan's page for people (:mod:`scheduler.plan_page`), written by ``schedule plan``;
- ``ledger.csv``: each agent's weekend days, holiday days and late shifts to date (the next plan's
  ``--previous`` reads it, :mod:`scheduler.roster.friendly`), written by ``schedule plan``;
- ``requests_outcome.csv`` when the plan was given ``--requests`` (:mod:`scheduler.requests`).

Times are local ``YYYY-MM-DDTHH:MM``, numbers rounded per column (:data:`ROUND`).
:meth:`PlanFolder.write` writes every file into a temporary sibling folder renamed into place at the
end (:func:`core.atomic.atomic_folder`), so a failed run never leaves a half-written plan; it writes only
into a new or empty folder or an earlier plan (whose own files it replaces, keeping anything else, such
as an ``export/`` folder), unless forced. The readers check what their caller needs and name
file, row and field when something is wrong. :func:`write_csv` and :func:`write_json` format the
other output folders (forecast, comparison, sweep, KPI report) the same way.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from core.atomic import atomic_folder, check_output_folder
from core.cells import unescape_text, write_table
from core.errors import InputError
from core.jsonio import dumps
from core.values import text_cell

TIME_FMT = "%Y-%m-%dT%H:%M"
COMMAND = "plan"  # the output marker's command (core.atomic)

FORECAST = "forecast.csv"
REQUIREMENTS = "requirements.csv"
SHIFTS = "shifts.csv"
COVERAGE = "coverage.csv"
ASSIGNMENTS = "assignments.csv"
SHORTFALL = "shortfall.csv"
SUMMARY = "summary.json"
SIMULATION = "simulation.csv"
HIRES = "hires.csv"  # only with plan --hire auto; columns: scheduler.capacity.hires.HIRES_COLUMNS
COMP_OFF = "comp_off.csv"
MONTH_OVERTIME = "month_overtime.csv"
PLAN_FILES = (FORECAST, REQUIREMENTS, SHIFTS, COVERAGE, ASSIGNMENTS, SHORTFALL, SUMMARY)
LEDGER_FILES = (COMP_OFF, MONTH_OVERTIME)
REPORT = "report.html"
LEDGER = "ledger.csv"  # the agent-friendly ledger, read by the next plan's --previous
REQUESTS_OUTCOME = "requests_outcome.csv"  # only with plan --requests
# what a plan folder written before output markers may hold
KNOWN_FILES = (*PLAN_FILES, HIRES, *LEDGER_FILES, SIMULATION, REPORT, LEDGER, REQUESTS_OUTCOME)
# plan files people open in Excel (agent names, a request's note): UTF-8 with a BOM; the ledgers go to payroll
BOM_FILES = frozenset({SHIFTS, HIRES, *LEDGER_FILES, REQUESTS_OUTCOME})

COLUMNS = {
    FORECAST: ["interval_start", "channel", "contacts", "contacts_p10", "contacts_p90", "aht_s"],
    REQUIREMENTS: ["interval_start", "channel", "contacts", "aht_s", "required_agents",
                   "required_scheduled", "open", "arrivals", "carried_over", "load_erl"],
    SHIFTS: ["agent_id", "agent_name", "date", "day_type", "shift_start", "shift_end", "lunch_start",
             "lunch_end", "paid_hours", "pay_multiplier", "channels", "promotion", "cost"],
    COVERAGE: ["interval_start", "channel", "contacts", "aht_s", "required_agents", "scheduled_agents",
               "service_level", "asa_s", "occupancy", "required_scheduled", "scheduled_heads", "open"],
    ASSIGNMENTS: ["interval_start", "agent_id", "channel"],
    SHORTFALL: ["interval_start", "channel", "required_scheduled", "scheduled_heads", "missing", "cause"],
    COMP_OFF: ["agent_id", "agent_name", "earned_on", "due_by", "given_on"],
    MONTH_OVERTIME: ["agent_id", "agent_name", "month", "overtime_h_before", "overtime_h_plan", "overtime_h_total",
                     "cap_h"],
    LEDGER: ["agent_id", "contract", "weekend_days", "holiday_days", "late_shifts", "through"],
    REQUESTS_OUTCOME: ["agent_id", "date", "kind", "note", "granted", "reason", "cost_if_granted",
                       "missing_if_granted"],
}
LEDGER_DATES = ("earned_on", "due_by", "given_on")
LEDGER_COUNTS = ("weekend_days", "holiday_days", "late_shifts")
SHIFT_TIMES = ("shift_start", "shift_end", "lunch_start", "lunch_end")
SHIFT_NEEDS = ("agent_id", "agent_name", "date", *SHIFT_TIMES, "paid_hours")  # what a reader of shifts needs
SHIFT_TEXTS = ("agent_id", "agent_name")  # free text the exports show: core.values.text_cell
ROUND = {"contacts": 2, "contacts_p10": 0, "contacts_p90": 0, "aht_s": 1, "arrivals": 2, "carried_over": 2,
         "load_erl": 3, "scheduled_agents": 2, "service_level": 4, "asa_s": 1, "occupancy": 4,
         "paid_hours": 2, "pay_multiplier": 3, "cost": 2, "overtime_hours": 2, "overtime_h_before": 2,
         "overtime_h_plan": 2, "overtime_h_total": 2}


def format_frame(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Put columns in their published order (extra columns after) and format times and numbers."""
    cols = COLUMNS.get(name, list(df.columns))
    present = [c for c in cols if c in df.columns] + [c for c in df.columns if c not in cols]
    out = df[present].copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime(TIME_FMT).fillna("")
        elif c == "date" or c in LEDGER_DATES:
            out[c] = pd.to_datetime(out[c]).dt.strftime("%Y-%m-%d").fillna("")
        elif c in ROUND and pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].round(ROUND[c])
    return out


def write_csv(df: pd.DataFrame, path: Path, name: str | None = None, bom: bool | None = None) -> None:
    """Format ``df`` as the file ``name`` (default: ``path``'s name) and write it with
    :func:`core.cells.write_table`: text cells escaped against formula injection, a BOM for the files people
    open (``bom=None``: whether ``name`` is one of the plan's :data:`BOM_FILES`)."""
    name = name or path.name
    write_table(format_frame(df, name), path, bom=name in BOM_FILES if bom is None else bom)


def _json_default(o):
    """What JSON cannot write by itself (floats, infinite ones too, are :func:`core.jsonio.finite`'s)."""
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (pd.Timestamp,)):
        return o.strftime(TIME_FMT)
    return str(o)


def write_json(obj, path: Path) -> None:
    text = dumps(obj, indent=2, ensure_ascii=False, default=_json_default)
    path.write_text(text + "\n", encoding="utf-8")


# -- the folder ---------------------------------------------------------------------------------------------
class PlanFolder:
    """A plan folder on disk. ``option`` is the command-line option that named it (``--plan``,
    ``--previous``, ``--published``): errors about the folder name it."""

    def __init__(self, path: str | Path, option: str = "--plan"):
        self.path = Path(path)
        self.option = option

    def file(self, name: str) -> Path:
        return self.path / name

    # -- writing
    def check_writable(self, force: bool = False) -> None:
        """Refuse (InputError naming ``--out``) a folder a plan may not be written into, before any work:
        see :func:`core.atomic.check_output_folder`."""
        check_output_folder(self.path, COMMAND, force=force, known=KNOWN_FILES)

    def write(self, *, forecast: pd.DataFrame, requirements: pd.DataFrame, shifts: pd.DataFrame,
              coverage: pd.DataFrame, assignments: pd.DataFrame, shortfall: pd.DataFrame, summary: dict,
              extra: Callable[[Path], object] | None = None, page: str | None = None,
              hires: pd.DataFrame | None = None, comp_off: pd.DataFrame | None = None,
              month_overtime: pd.DataFrame | None = None, force: bool = False, ledger: pd.DataFrame | None = None,
              requests_outcome: pd.DataFrame | None = None) -> Path:
        """Write the plan, all or nothing; ``extra(folder)`` writes further files (e.g. the simulation)
        into the temporary folder before it is renamed into place; ``page`` is the HTML of ``report.html``;
        ``hires``: ``hires.csv``; ``comp_off`` and ``month_overtime``: the ledgers, ``ledger`` (the
        agent-friendly counts) and ``requests_outcome``, when given. ``force``: also into a folder that
        is not an earlier plan (see :func:`core.atomic.atomic_folder`)."""
        frames = {FORECAST: forecast, REQUIREMENTS: requirements, SHIFTS: shifts, COVERAGE: coverage,
                  SHORTFALL: shortfall, ASSIGNMENTS: assignments}
        for name, frame in ((HIRES, hires), (COMP_OFF, comp_off), (MONTH_OVERTIME, month_overtime), (LEDGER, ledger),
                            (REQUESTS_OUTCOME, requests_outcome)):
            if frame is not None:
                frames[name] = frame
        with atomic_folder(self.path, COMMAND, force=force, known=KNOWN_FILES) as tmp:
            for name, frame in frames.items():
                write_csv(frame, tmp / name)
            if extra is not None:
                extra(tmp)
            if page is not None:
                (tmp / REPORT).write_text(page, encoding="utf-8")
            write_json(summary, tmp / SUMMARY)
        return self.path

    # -- reading
    def shifts(self) -> pd.DataFrame:
        """The shifts (:func:`read_shifts_csv`)."""
        return read_shifts_csv(self._existing(SHIFTS))

    def ledger(self) -> dict[str, dict[str, int]] | None:
        """``ledger.csv`` as agent_id -> {weekend_days, holiday_days, late_shifts} and the last date it
        counts under ``"through"`` (None when the plan has no ledger: written before it existed)."""
        if self.path.is_dir() and not self.file(LEDGER).is_file():
            return None
        path = self._existing(LEDGER)
        raw = _read_csv(path, dtype=str, keep_default_na=False)
        _require(raw, path, ("agent_id", *LEDGER_COUNTS, "through"))
        out: dict[str, dict] = {}
        for i, rec in enumerate(raw.to_dict("records"), start=2):
            row = {}
            for col in LEDGER_COUNTS:
                text = rec[col].strip()
                if not text.isdigit():
                    raise InputError(f"'{text}' is not a count (a whole number >= 0)", file=path, row=i, field=col)
                row[col] = int(text)
            try:
                row["through"] = dt.date.fromisoformat(rec["through"].strip())
            except ValueError:
                raise InputError(f"'{rec['through']}' is not a date YYYY-MM-DD", file=path, row=i,
                                 field="through") from None
            out[rec["agent_id"].strip()] = row
        return out

    def comp_off(self) -> pd.DataFrame | None:
        """The comp-off ledger (``agent_id, earned_on, due_by, given_on`` as dates, ``given_on`` None
        while owed); None when the folder has none (a plan made before the ledger existed)."""
        path = self.file(COMP_OFF)
        if self.path.is_dir() and not path.is_file():
            return None
        path = self._existing(COMP_OFF)
        raw = _read_csv(path, dtype=str, keep_default_na=False)
        _require(raw, path, ("agent_id", *LEDGER_DATES))
        out = raw.copy()
        for i, rec in enumerate(raw.to_dict("records"), start=2):
            for col in LEDGER_DATES:
                if rec[col] or col != "given_on":
                    _check_date(rec[col], path, i, col)
        for col in LEDGER_DATES:
            out[col] = [dt.date.fromisoformat(v) if v else None for v in raw[col]]
        return out

    def month_overtime(self) -> pd.DataFrame | None:
        """Overtime per agent and month (``agent_id, month`` as text, ``overtime_h_total`` a number);
        None when the folder has none."""
        path = self.file(MONTH_OVERTIME)
        if self.path.is_dir() and not path.is_file():
            return None
        path = self._existing(MONTH_OVERTIME)
        table = _read_csv(path, dtype={"agent_id": str, "month": str})
        _require(table, path, ("agent_id", "month", "overtime_h_total"))
        values = pd.to_numeric(table["overtime_h_total"], errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy() | (values < 0).to_numpy())
        if len(bad):
            raise InputError(f"'{table['overtime_h_total'].iloc[bad[0]]}' is not a number of hours >= 0", file=path,
                             row=int(bad[0]) + 2, field="overtime_h_total")
        table["overtime_h_total"] = values.astype(float)
        return table

    def forecast(self, required: Iterable[str] = (), numbers: Iterable[str] = ()) -> pd.DataFrame:
        """The forecast (see :meth:`coverage` for ``required`` and ``numbers``)."""
        return self._interval_table(FORECAST, required, numbers)

    def requirements(self, required: Iterable[str] = (), numbers: Iterable[str] = ()) -> pd.DataFrame:
        """The requirements the roster was made for (see :meth:`coverage` for ``required`` and ``numbers``)."""
        return self._interval_table(REQUIREMENTS, required, numbers)

    def shortfall(self) -> pd.DataFrame:
        """The understaffed intervals, ``missing`` as numbers."""
        return self._interval_table(SHORTFALL, (), ("missing",))

    def coverage(self, required: Iterable[str] = (), numbers: Iterable[str] = ()) -> pd.DataFrame:
        """The coverage table with ``interval_start`` parsed and the columns ``required`` present; the
        ``numbers`` columns must also be numbers in every row (as floats)."""
        return self._interval_table(COVERAGE, required, numbers)

    def assignments(self, required: Iterable[str] = (), missing_ok: bool = False) -> pd.DataFrame | None:
        """Which channel each agent works each interval (None when absent and ``missing_ok``)."""
        if missing_ok and self.path.is_dir() and not self.file(ASSIGNMENTS).is_file():
            return None
        return self._interval_table(ASSIGNMENTS, required, ())

    def hires(self) -> pd.DataFrame | None:
        """``hires.csv`` as text (None when the plan hired nobody): ``agent_id`` and ``team`` at least,
        stripped and checked as the agent pool's (:func:`core.values.text_cell`)."""
        path = self.file(HIRES)
        if not path.is_file():
            return None
        table = _read_csv(path, dtype=str, keep_default_na=False)
        _require(table, path, ("agent_id", "team"))
        for col in ("agent_id", "team"):
            table[col] = _text_column(table, col, path)
        return table

    def summary(self, missing_ok: bool = False) -> dict:
        """``summary.json`` ({} when absent and ``missing_ok``)."""
        if missing_ok and self.path.is_dir() and not self.file(SUMMARY).is_file():
            return {}
        path = self._existing(SUMMARY)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            raise InputError("not valid JSON", file=path) from None
        if not isinstance(data, dict):
            raise InputError("not a JSON object", file=path)
        return data

    def input_path(self, key: str) -> str:
        """The input file the plan was made with, as ``summary.json`` records it (``inputs.<key>``:
        ``scenario``, ``agents``, ``history``)."""
        inputs = self.summary().get("inputs")
        if not isinstance(inputs, dict) or not isinstance(inputs.get(key), str) or not inputs[key]:
            raise InputError(f"{SUMMARY} names no {key}", file=self.file(SUMMARY), field=f"inputs.{key}")
        return inputs[key]

    def _existing(self, name: str) -> Path:
        if not self.path.is_dir():
            raise InputError("plan folder not found", file=self.path, field=self.option)
        path = self.file(name)
        if not path.is_file():
            raise InputError(f"no {name}: not a plan folder (run schedule plan first)", file=path, field=self.option)
        return path

    def _interval_table(self, name: str, required: Iterable[str], numbers: Iterable[str]) -> pd.DataFrame:
        path = self._existing(name)
        numbers = tuple(numbers)
        table = _read_csv(path)
        _require(table, path, dict.fromkeys(("interval_start", "channel", *required, *numbers)))
        starts = pd.to_datetime(table["interval_start"].astype(str).str.strip(), format="ISO8601", errors="coerce")
        bad = np.flatnonzero(starts.isna().to_numpy())
        if len(bad):
            raise InputError(f"'{table['interval_start'].iloc[bad[0]]}' is not a time YYYY-MM-DDTHH:MM", file=path,
                             row=int(bad[0]) + 2, field="interval_start")
        table["interval_start"] = starts
        for col in numbers:
            values = pd.to_numeric(table[col], errors="coerce")
            bad = np.flatnonzero(values.isna().to_numpy())
            if len(bad):
                raise InputError(f"'{table[col].iloc[bad[0]]}' is not a number", file=path, row=int(bad[0]) + 2,
                                 field=col)
            table[col] = values.astype(float)
        return table


def read_shifts_csv(path: Path) -> pd.DataFrame:
    """A shifts file (a plan's ``shifts.csv``, or one edited by hand) with times parsed (``NaT`` for no
    lunch), ``date`` as dates and ``paid_hours`` numeric (0 when empty); every other column as text.
    A time, date or number that does not parse, or an id or name with a control character
    (:data:`SHIFT_TEXTS`, stripped), is an error naming the file, row and field."""
    raw = _read_csv(path, dtype=str, keep_default_na=False)
    _require(raw, path, SHIFT_NEEDS)
    shifts = raw.copy()
    for col in SHIFT_TEXTS:
        shifts[col] = _text_column(raw, col, path)
    for i, rec in enumerate(raw.to_dict("records"), start=2):
        for col in SHIFT_TIMES:
            if rec[col] or col in ("shift_start", "shift_end"):
                _check_time(rec[col], path, i, col)
        try:
            dt.datetime.strptime(rec["date"].strip(), "%Y-%m-%d")
        except ValueError:
            raise InputError(f"'{rec['date']}' is not a date YYYY-MM-DD", file=path, row=i, field="date") from None
        if rec["paid_hours"].strip() and pd.isna(pd.to_numeric(rec["paid_hours"], errors="coerce")):
            raise InputError(f"'{rec['paid_hours']}' is not a number", file=path, row=i, field="paid_hours")
    for col in SHIFT_TIMES:
        shifts[col] = pd.to_datetime(shifts[col].replace("", None), format=TIME_FMT)
    shifts["date"] = [dt.datetime.strptime(d.strip(), "%Y-%m-%d").date() for d in shifts["date"]]
    shifts["paid_hours"] = pd.to_numeric(shifts["paid_hours"], errors="coerce").fillna(0.0)
    return shifts


def _read_csv(path: Path, **kwargs) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, encoding="utf-8-sig", **kwargs)
    except Exception as exc:  # pandas raises several parser error types
        raise InputError(f"not a readable CSV ({' '.join(str(exc).split())})", file=path) from None
    table.columns = [str(c).strip() for c in table.columns]
    return unescape_text(table)  # written by write_csv: text cells escaped against formula injection


def _text_column(table: pd.DataFrame, col: str, path: Path) -> list[str]:
    """The free-text column ``col`` (ids, names, teams) stripped, refusing a control character in one line
    naming the row (:func:`core.values.text_cell`): a hand-edited file must not break the exports."""
    return [text_cell(t, file=path, row=i, field=col) for i, t in enumerate(table[col], start=2)]


def _require(table: pd.DataFrame, path: Path, columns: Iterable[str]) -> None:
    for col in columns:
        if col not in table.columns:
            raise InputError(f"missing column '{col}'", file=path, row=1, field=col)


def _check_date(text: str, path: Path, row: int, col: str) -> None:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"'{text}' is not a date YYYY-MM-DD", file=path, row=row, field=col) from None


def _check_time(text: str, path: Path, row: int, col: str) -> None:
    try:
        dt.datetime.strptime(text, TIME_FMT)
    except ValueError:
        raise InputError(f"'{text}' is not a time YYYY-MM-DDTHH:MM", file=path, row=row, field=col) from None
