"""Vendor exports of a plan folder: a wide roster (CSV or Excel) and one calendar file per agent.

``schedule export --plan DIR --format wide|xlsx|ics [--out DIR]`` reads the plan's shifts (and its
``summary.json`` for the week and the agent pool, :class:`~scheduler.plan_folder.PlanFolder`) and writes
into ``--out`` (default ``DIR/export/``):

- ``wide`` -> ``roster_wide.csv``: one row per agent, ``agent_id, agent_name, team``, one column per
  day headed ``Mon 2025-11-10`` .. ``Sun 2025-11-16``, then ``paid_hours`` for the week. A working day
  reads ``09:00-18:00 L12:00`` (shift, then ``L`` and the lunch start; ``L12:00-12:30`` when the lunch
  is not ``lunch_min`` long), a rest day ``休``. A shift ending at midnight reads ``15:00-24:00``.
  UTF-8 with a BOM so Excel shows Chinese names.
- ``xlsx`` -> ``roster_wide.xlsx``: the same table, one sheet per team (named by :func:`sheet_title`, which
  Excel accepts whatever the team), header row and the three id columns frozen, column widths set, rest
  days greyed.
- ``ics`` -> ``ics/``: one calendar per agent with stable event UIDs, an ``index.csv`` saying which
  file is whose, and the cancellations of shifts an earlier export published
  (:mod:`scheduler.ics_export`).

The export folder collects the formats (its marker lists them, :mod:`core.atomic`); each file is
written to a temporary name and renamed into place (the ``ics`` folder as a whole), so a failed export
leaves earlier ones intact. Text cells are escaped against formula injection (:mod:`core.cells`).
:func:`read_wide_csv`, :func:`read_wide_xlsx` and :func:`scheduler.ics_export.read_ics` parse the files
back into shift rows (the round trip the tests check).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from core.atomic import atomic_file, check_output_folder, write_marker
from core.cells import needs_escape, unescape_text, write_table
from core.errors import InputError, check_input_file
from core.names import ExportFormat
from core.scenario import load_scenario
from scheduler.agents import load_agents, temporary_agents
from scheduler.plan_folder import PlanFolder

TZID = "Asia/Shanghai"
REST = "休"
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ID_COLUMNS = ["agent_id", "agent_name", "team"]
SHIFT_KEYS = ["agent_id", "date", "shift_start", "shift_end", "lunch_start", "lunch_end"]
_CELL = re.compile(r"^(?P<start>\d\d:\d\d)-(?P<end>\d\d:\d\d)"
                   r"(?:\s+L(?P<lunch>\d\d:\d\d)(?:-(?P<lunch_end>\d\d:\d\d))?)?$")
EXPORT_COMMAND = "export"  # the output marker's command (core.atomic)
EXPORT_FILES = {ExportFormat.wide: "roster_wide.csv", ExportFormat.xlsx: "roster_wide.xlsx", ExportFormat.ics: "ics"}
_DAY_HEADER = re.compile(r"^(?:[A-Za-z]{3}\s+)?(?P<date>\d{4}-\d\d-\d\d)$")


@dataclass
class PlanShifts:
    """A plan's shifts with what the exports need around them."""

    shifts: pd.DataFrame          # PlanFolder.shifts(): timestamps parsed
    days: list[dt.date]           # the planning week
    teams: dict[str, str]         # agent_id -> team ("" when unknown)
    lunch_min: int                # the usual lunch length [min]
    week: str
    source: Path


# -- reading a plan -----------------------------------------------------------------------------------------
def load_plan(plan_dir: str | Path, agents_path: str | Path | None = None) -> PlanShifts:
    """Read the shifts and ``summary.json`` of a plan folder. Teams come from ``agents_path`` or the
    pool the plan was made with (``summary.json`` inputs), plus the scenario's campaign hires and the
    plan's own hires (``hires.csv``)."""
    folder = PlanFolder(plan_dir)
    shifts = folder.shifts()
    summary = folder.summary(missing_ok=True)
    days = _plan_days(summary, shifts)
    teams = _teams(summary, agents_path)
    if agents_path and len(shifts) and not set(shifts["agent_id"]) & set(teams):
        raise InputError(f"holds none of the plan's agents ({', '.join(sorted(set(shifts['agent_id']))[:3])} ...): "
                         "not the pool this plan was made with (leave --agents out to use that one)",
                         file=agents_path, field="--agents")
    hires = folder.hires()
    if hires is not None:  # plan --hire auto
        teams.update(zip(hires["agent_id"], hires["team"]))
    lunch = (shifts["lunch_end"] - shifts["lunch_start"]).dropna().dt.total_seconds() / 60
    lunch_min = int(lunch.mode().iloc[0]) if len(lunch) else 60
    return PlanShifts(shifts, days, teams, lunch_min, summary.get("week", ""), folder.path)


def _plan_days(summary: dict, shifts: pd.DataFrame) -> list[dt.date]:
    dates = summary.get("dates")
    if dates and len(dates) == 2:
        first, last = dt.date.fromisoformat(dates[0]), dt.date.fromisoformat(dates[1])
    elif len(shifts):
        lo, hi = min(shifts["date"]), max(shifts["date"])
        first, last = lo - dt.timedelta(days=lo.weekday()), hi + dt.timedelta(days=6 - hi.weekday())
    else:
        raise InputError("the plan has no shifts and no summary.json with its dates", field="--plan")
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _teams(summary: dict, agents_path) -> dict[str, str]:
    inputs = summary.get("inputs", {})
    path = Path(agents_path) if agents_path else (Path(inputs["agents"]) if inputs.get("agents") else None)
    if agents_path:
        check_input_file(agents_path, "agent pool file", "--agents")
    elif path is None or not path.is_file():
        return {}
    pool = load_agents(path)
    teams = {a.agent_id: a.team for a in pool}
    sc_path = inputs.get("scenario")
    if sc_path and Path(sc_path).is_file():
        try:
            teams.update({a.agent_id: a.team for a in temporary_agents(load_scenario(sc_path), pool)})
        except InputError:
            pass  # the scenario changed since the plan: campaign hires keep no team
    return teams


# -- the wide table ----------------------------------------------------------------------------------------------
def day_header(d: dt.date) -> str:
    return f"{DAY_NAMES[d.weekday()]} {d.isoformat()}"


def _hm(ts: pd.Timestamp, day: dt.date) -> str:
    minutes = int((ts - pd.Timestamp(day)).total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def shift_cell(rec: dict, lunch_min: int) -> str:
    """``09:00-18:00 L12:00`` (times relative to the shift's date: ``24:00`` is midnight after it)."""
    day = rec["date"]
    text = f"{_hm(rec['shift_start'], day)}-{_hm(rec['shift_end'], day)}"
    if pd.notna(rec.get("lunch_start")):
        text += f" L{_hm(rec['lunch_start'], day)}"
        if pd.notna(rec.get("lunch_end")):
            length = (rec["lunch_end"] - rec["lunch_start"]).total_seconds() / 60
            if int(length) != lunch_min:
                text += f"-{_hm(rec['lunch_end'], day)}"
    return text


def wide_frame(plan: PlanShifts) -> pd.DataFrame:
    """One row per agent with a shift in the plan, sorted by team (agents without one last) and agent_id."""
    sh = plan.shifts
    headers = [day_header(d) for d in plan.days]
    rows = []
    for aid, grp in sh.groupby("agent_id", sort=False):
        rec = {"agent_id": aid, "agent_name": grp["agent_name"].iloc[0], "team": plan.teams.get(aid, "")}
        cells: dict[dt.date, list[str]] = {}
        for s in grp.sort_values("shift_start").to_dict("records"):
            cells.setdefault(s["date"], []).append(shift_cell(s, plan.lunch_min))
        for d, h in zip(plan.days, headers):
            rec[h] = "; ".join(cells[d]) if d in cells else REST
        rec["paid_hours"] = round(float(grp["paid_hours"].sum()), 2)
        rows.append(rec)
    df = pd.DataFrame(rows, columns=ID_COLUMNS + headers + ["paid_hours"])
    df["_no_team"] = df["team"] == ""
    df = df.sort_values(["_no_team", "team", "agent_id"], kind="stable").drop(columns="_no_team")
    return df.reset_index(drop=True)


def parse_wide(df: pd.DataFrame, lunch_min: int = 60, source: str | Path | None = None,
               agents: Collection[str] | None = None, days: Collection[dt.date] | None = None) -> pd.DataFrame:
    """Shift rows ``agent_id, date, shift_start, shift_end, lunch_start, lunch_end`` from a wide
    table (the inverse of :func:`wide_frame`). A cell that is not a shift of times of day
    (``00:00``-``24:00``) is an error naming the row and column; so are, when given, an agent_id not in
    ``agents`` and a day column not in ``days``. Rows without an agent_id and without shifts are skipped."""
    day_cols = {}
    for c in df.columns:
        m = _DAY_HEADER.match(str(c).strip())
        if m:
            day_cols[c] = dt.date.fromisoformat(m.group("date"))
    if "agent_id" not in df.columns or not day_cols:
        raise InputError("not a wide roster: needs agent_id and day columns such as 'Mon 2025-11-10'", file=source)
    for col, day in day_cols.items():
        if days is not None and day not in days:
            raise InputError(f"{day} is not a day of the plan ({min(days)} to {max(days)})", file=source, row=1,
                             field=str(col))
    out = []
    for i, rec in enumerate(df.to_dict("records"), start=2):
        cells = {col: _cell_text(rec[col]) for col in day_cols}
        aid = _cell_text(rec["agent_id"])
        if not aid:
            if any(t and t != REST for t in cells.values()):
                raise InputError("shifts without an agent_id", file=source, row=i, field="agent_id")
            continue
        if agents is not None and aid not in agents:
            raise InputError(f"unknown agent '{aid}' (not in the agent pool)", file=source, row=i, field="agent_id")
        for col, day in day_cols.items():
            for part in cells[col].split(";"):
                part = part.strip()
                if part and part != REST:
                    out.append({"agent_id": aid, "date": day, **_parse_cell(part, day, lunch_min, source, i, col)})
    return _shift_rows(pd.DataFrame(out, columns=SHIFT_KEYS))


def _cell_text(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def _parse_cell(part: str, day: dt.date, lunch_min: int, source, row: int, col) -> dict:
    """``09:00-18:00 L12:00[-13:00]`` on ``day``: shift and lunch times (a time before the previous one
    is on the next day)."""
    m = _CELL.match(part)
    if not m:
        raise InputError(f"'{part}' is not a shift HH:MM-HH:MM [LHH:MM]", file=source, row=row, field=str(col))
    for key in ("start", "end", "lunch", "lunch_end"):
        hh, mm = map(int, (m[key] or "00:00").split(":"))
        if mm > 59 or hh > 24 or (hh == 24 and mm):
            raise InputError(f"'{part}': {m[key]} is not a time of day (00:00 to 24:00)", file=source, row=row,
                             field=str(col))
    base = pd.Timestamp(day)
    start, end = base + _td(m["start"]), base + _td(m["end"])
    if end <= start:
        end += pd.Timedelta(days=1)
    lunch = lunch_end = pd.NaT
    if m["lunch"]:
        lunch = base + _td(m["lunch"])
        if lunch < start:
            lunch += pd.Timedelta(days=1)
        lunch_end = (base + _td(m["lunch_end"])) if m["lunch_end"] else lunch + pd.Timedelta(minutes=lunch_min)
        if lunch_end <= lunch:
            lunch_end += pd.Timedelta(days=1)
    return {"shift_start": start, "shift_end": end, "lunch_start": lunch, "lunch_end": lunch_end}


def _td(hhmm: str) -> pd.Timedelta:
    h, m = map(int, hhmm.split(":"))
    return pd.Timedelta(hours=h, minutes=m)


def _shift_rows(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for c in ("shift_start", "shift_end", "lunch_start", "lunch_end"):
        df[c] = pd.to_datetime(df[c])
    return df.sort_values(["agent_id", "shift_start"]).reset_index(drop=True)


def plan_shift_rows(plan: PlanShifts) -> pd.DataFrame:
    """The plan's shifts reduced to ``SHIFT_KEYS`` (what every export must carry)."""
    return _shift_rows(plan.shifts[SHIFT_KEYS])


# -- writers ---------------------------------------------------------------------------------------------------------
def write_wide_csv(plan: PlanShifts, path: Path) -> Path:
    df = wide_frame(plan)
    return atomic_file(Path(path), lambda p: write_table(df, p, bom=True))


def read_wide_csv(path: str | Path, lunch_min: int = 60, **checks) -> pd.DataFrame:
    """The shifts of a wide roster CSV (``checks``: :func:`parse_wide`'s ``agents`` and ``days``); text cells
    unescaped (:mod:`core.cells`)."""
    df = unescape_text(pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig"))
    return parse_wide(df, lunch_min, source=path, **checks)


SHEET_TITLE_MAX = 31  # characters Excel allows in a sheet name
NO_TEAM = "(no team)"  # the sheet of agents without a team
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")  # characters Excel refuses in a sheet name


def sheet_title(team: str, taken: set[str]) -> str:
    """The sheet name of ``team``'s rows: a name Excel accepts, not one of ``taken`` (casefolded, as Excel
    compares them), then added to it.

    Excel refuses ``[ ] : * ? / \\`` (each becomes ``_``), more than 31 characters (cut), an apostrophe at
    either end (dropped) and the name ``History`` in any case (it keeps its change log there; it becomes
    ``History (team)``). A blank team is ``(no team)``. A name taken already, say by two teams that are
    alike in their first 31 characters, gets `` (2)``, `` (3)`` ... within the 31."""
    title = _SHEET_BAD.sub("_", team)[:SHEET_TITLE_MAX].strip("' ") or NO_TEAM
    if title.casefold() == "history":
        title += " (team)"
    base, n = title, 2
    while title.casefold() in taken:
        suffix = f" ({n})"
        title = base[: SHEET_TITLE_MAX - len(suffix)] + suffix
        n += 1
    taken.add(title.casefold())
    return title


def write_wide_xlsx(plan: PlanShifts, path: Path) -> Path:
    df = wide_frame(plan)
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    head_fill = PatternFill("solid", fgColor="DCE6F1")
    weekend_fill = PatternFill("solid", fgColor="F2F2F2")
    rest_font = Font(color="999999")
    widths = {"agent_id": 10, "agent_name": 12, "team": 12, "paid_hours": 11}
    teams = list(dict.fromkeys(df["team"])) or [""]
    for team in teams:
        ws = wb.create_sheet(sheet_title(team, taken))
        part = df[df["team"] == team]
        ws.append(list(df.columns))
        _text_cells(ws[1])
        for rec in part.itertuples(index=False):
            ws.append([None if (isinstance(v, float) and pd.isna(v)) else v for v in rec])
            _text_cells(ws[ws.max_row])
        for j, col in enumerate(df.columns, start=1):
            letter = get_column_letter(j)
            cell = ws.cell(row=1, column=j)
            cell.font = Font(bold=True)
            cell.fill = head_fill
            cell.alignment = Alignment(horizontal="center")
            is_day = _DAY_HEADER.match(col) is not None
            longest = max([len(str(v)) for v in part[col]] + [0])
            ws.column_dimensions[letter].width = max(widths.get(col, 10), min(40, longest + 2)) if not is_day \
                else max(18, min(40, longest + 2))
            if is_day:
                weekend = dt.date.fromisoformat(_DAY_HEADER.match(col)["date"]).weekday() >= 5
                for i in range(2, len(part) + 2):
                    c = ws.cell(row=i, column=j)
                    c.alignment = Alignment(horizontal="center")
                    if weekend:
                        c.fill = weekend_fill
                    if c.value == REST:
                        c.font = rest_font
        ws.freeze_panes = "D2"
        ws.auto_filter.ref = ws.dimensions
    return atomic_file(Path(path), lambda p: wb.save(p))


def _text_cells(row) -> None:
    """Text stays text: openpyxl stores a string starting with ``=`` as a formula; store it as a string
    cell, and mark it quote-prefixed as Excel does for ``'=...`` typed in, so editing it keeps it text."""
    for cell in row:
        if isinstance(cell.value, str):
            cell.data_type = "s"
            if needs_escape(cell.value):
                cell.quotePrefix = True


def read_wide_xlsx(path: str | Path, lunch_min: int = 60, **checks) -> pd.DataFrame:
    """The shifts of every sheet of a wide roster workbook; errors name the sheet and its row
    (``checks``: :func:`parse_wide`'s ``agents`` and ``days``)."""
    wb = load_workbook(path, read_only=True, data_only=True)
    frames = []
    try:
        for ws in wb.worksheets:
            rows = list(ws.iter_rows(values_only=True))
            if not rows:
                continue
            sheet = pd.DataFrame(rows[1:], columns=[str(c) for c in rows[0]])
            frames.append(parse_wide(sheet, lunch_min, source=f"{path} [sheet {ws.title}]", **checks))
    finally:
        wb.close()
    if not frames:
        raise InputError("not a wide roster: the workbook has no sheet with a header row", file=path)
    return _shift_rows(pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True))


# -- the command -------------------------------------------------------------------------------------------------------
def export_plan(plan_dir: str | Path, fmt: str | ExportFormat, out: str | Path | None = None, *,
                agents_path: str | Path | None = None, now: dt.datetime | None = None, force: bool = False,
                published: str | Path | None = None) -> Path:
    """Write one export of a plan folder; returns the file (or, for ics, the folder) written.

    The export folder (``out``, default ``<plan>/export/``) collects the formats: it must be new, empty or
    an earlier export folder, unless ``force`` (see :func:`core.atomic.check_output_folder`). ``published``:
    the earlier calendar export that ``ics`` updates and cancels against (:mod:`scheduler.ics_export`)."""
    from scheduler.ics_export import write_ics  # it builds on this module's plan reading

    try:
        fmt = ExportFormat(str(getattr(fmt, "value", fmt)).lower())
    except ValueError:
        raise InputError(f"unknown format; allowed: {', '.join(f.value for f in ExportFormat)}",
                         field="--format") from None
    target = Path(out) if out else Path(plan_dir) / "export"
    name = EXPORT_FILES[fmt]
    if published is not None and fmt is not ExportFormat.ics:
        raise InputError("--published applies to --format ics only", field="--published")
    folder = check_output_folder(target, EXPORT_COMMAND, force=force, known=EXPORT_FILES.values(), writes=[name])
    plan = load_plan(plan_dir, agents_path)
    if fmt is ExportFormat.wide:
        path = write_wide_csv(plan, target / name)
    elif fmt is ExportFormat.xlsx:
        path = write_wide_xlsx(plan, target / name)
    else:
        path = write_ics(plan, target / name, now, force=force, published=published)
    write_marker(folder.path, EXPORT_COMMAND, (folder.files if folder.kind == "ours" else set()) | {name})
    return path
