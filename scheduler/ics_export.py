"""One calendar file per agent (iCalendar), with updates and cancellations a calendar can apply.

``schedule export --format ics`` writes the folder ``ics/`` (:func:`write_ics`):

- ``<file>.ics`` per agent (``METHOD:PUBLISH``): one ``VEVENT`` per shift in local time
  (``TZID=Asia/Shanghai``, with the ``VTIMEZONE``), lunch, channels and paid hours in the description.
- ``index.csv`` (``agent_id, agent_name, file, cancelled_file``; UTF-8 with a BOM): which file is whose.
  A file is the agent id when that is a safe file name (``A001.ics``); otherwise the id made safe plus
  a short hash of the id (``a/b`` -> ``a_b-<8 hex>.ics``), so two ids never share a file (``a/b`` and
  ``a_b`` did, and one agent silently got no calendar) and a name never depends on the other agents.
  An agent keeps the file an earlier export gave it.
- ``cancelled/<file>.ics`` (``METHOD:CANCEL``, ``STATUS:CANCELLED``): the agent's shifts that an
  earlier export published and this plan no longer has.

Event identity. A shift's ``UID`` is its agent and date (``shift-20251110-1-A001@cs-schedule``, the ``1``
counting an agent's shifts that day, the agent id percent-encoded), not its start time, so a moved shift
is the same event: calendars update it instead of adding a second one. ``SEQUENCE`` starts at 0 and
goes up by one each time the event changes (its times, title or description) or is cancelled.

Which export is the earlier one: ``published`` (``schedule export --published DIR``: an ``ics``
folder, or a folder holding ``ics/`` or ``export/ics/``, e.g. the plan folder published before a
re-plan into a new folder), else the ``ics`` folder being replaced, when there is one. A re-plan into
the same plan folder keeps its ``export/`` folder (:mod:`core.atomic`), so ``schedule export --format
ics`` after ``schedule plan --published`` finds the published calendars by itself. Events of the
earlier export whose UIDs have another form (exports before this scheme) are cancelled too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

import pandas as pd
from icalendar import Calendar, Event

from core.atomic import atomic_folder
from core.cells import unescape_text, write_table
from core.errors import InputError
from core.names import folder_name
from core.values import text_cell
from scheduler.vendor_export import SHIFT_KEYS, TZID, PlanShifts, _shift_rows, _td, shift_cell

ICS_COMMAND = "export --format ics"  # the output marker's command (core.atomic)
INDEX = "index.csv"
CANCELLED = "cancelled"
ICS_FILES = ("*.ics", INDEX, CANCELLED)
INDEX_COLUMNS = ["agent_id", "agent_name", "file", "cancelled_file"]
UID_DOMAIN = "cs-schedule"
_UID = re.compile(rf"shift-(?P<date>\d{{8}})-(?P<n>\d+)-(?P<agent>.+)@{UID_DOMAIN}")
_OLD_UID = re.compile(rf"(?P<start>\d{{8}}T\d{{4}})-(?P<agent>.+)@{UID_DOMAIN}")  # before stable UIDs
_FILE = re.compile(r"[\w+-][\w.+-]*\.ics")
_FINGERPRINT = ("dtstart", "dtend", "summary", "description")
_LUNCH = re.compile(r"Lunch (\d\d:\d\d)-(\d\d:\d\d)")


# -- names ---------------------------------------------------------------------------------------------------
def event_uid(agent_id: str, day: dt.date, n: int = 1) -> str:
    """The UID of an agent's ``n``-th shift on ``day``: the same in every export of every plan."""
    return f"shift-{day:%Y%m%d}-{n}-{quote(agent_id, safe='')}@{UID_DOMAIN}"


def uid_agent(uid: str) -> str | None:
    """The agent id in a UID of ours (either form), None for any other UID."""
    m = _UID.fullmatch(uid)
    if m:
        return unquote(m["agent"])
    m = _OLD_UID.fullmatch(uid)
    return m["agent"] if m else None


def ics_file_names(agent_ids, previous: dict[str, str] | None = None) -> dict[str, str]:
    """agent_id -> a file name in the ``ics`` folder, unique (also without regard to case, as on
    Windows and macOS), keeping the ``previous`` export's names. An id is its own file name when it is a
    safe one and no other id differs from it only in case; else a hash of the id is added."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    ids = sorted(set(agent_ids))
    for aid in ids:
        name = (previous or {}).get(aid)
        if name and _FILE.fullmatch(name) and name.casefold() not in taken:
            out[aid] = name
            taken.add(name.casefold())
    plain = [aid.casefold() for aid in ids if folder_name(aid, default="agent") == aid]
    for aid in ids:
        if aid in out:
            continue
        stem = folder_name(aid, default="agent")
        name = f"{stem}.ics"
        if stem != aid or plain.count(aid.casefold()) > 1 or name.casefold() in taken:
            name = f"{stem}-{hashlib.sha1(aid.encode('utf-8')).hexdigest()[:8]}.ics"
        base, n = name[:-4], 2
        while name.casefold() in taken:
            name, n = f"{base}-{n}.ics", n + 1
        out[aid] = name
        taken.add(name.casefold())
    return out


# -- the earlier export ------------------------------------------------------------------------------------
@dataclass
class Published:
    """An event of the earlier export: its sequence, content, and whether it stands cancelled."""

    uid: str
    agent_id: str
    sequence: int
    fingerprint: str
    cancelled: bool
    event: Event


@dataclass
class EarlierExport:
    events: dict[str, Published]
    files: dict[str, str]   # agent_id -> file
    names: dict[str, str]   # agent_id -> agent_name


def _fingerprint(ev: Event) -> str:
    return "|".join(ev[k].to_ical().decode() if k in ev else "" for k in _FINGERPRINT)


def find_earlier_export(target: Path, published: str | Path | None) -> Path | None:
    """The ``ics`` folder of the earlier export (see the module docstring), None when there is none."""
    if published is None:
        return target if (target / INDEX).is_file() or any(target.glob("*.ics")) else None
    published = Path(published)
    for cand in (published, published / "ics", published / "export" / "ics"):
        if cand.is_dir() and ((cand / INDEX).is_file() or any(cand.glob("*.ics"))):
            return cand
    raise InputError("no calendar export found there (an ics folder with index.csv, or a folder holding ics/ or "
                     "export/ics/)", file=published, field="--published")


def read_earlier_export(folder: Path) -> EarlierExport:
    """The events, files and names of an earlier ``ics`` export (its cancellations included)."""
    events: dict[str, Published] = {}
    files: dict[str, str] = {}
    names: dict[str, str] = {}
    index = folder / INDEX
    if index.is_file():
        try:
            table = unescape_text(pd.read_csv(index, dtype=str, keep_default_na=False, encoding="utf-8-sig"))
        except (ValueError, OSError) as exc:  # pandas' parser errors are ValueErrors
            raise InputError(f"not a readable CSV ({' '.join(str(exc).split())})", file=index,
                             field="--published") from None
        for i, rec in enumerate(table.to_dict("records"), start=2):  # names as the plan's (hand-edited, say)
            aid = text_cell(rec.get("agent_id", ""), file=index, row=i, field="agent_id")
            if aid:
                files[aid] = rec.get("file", "")
                names[aid] = text_cell(rec.get("agent_name", ""), file=index, row=i, field="agent_name")
    paths = [(p, False) for p in sorted(folder.glob("*.ics"))] + \
            [(p, True) for p in sorted((folder / CANCELLED).glob("*.ics"))]
    for path, cancelled in paths:
        try:
            cal = Calendar.from_ical(path.read_bytes())
        except (ValueError, OSError) as exc:
            raise InputError(f"not a readable calendar ({' '.join(str(exc).split())})", file=path,
                             field="--published") from None
        for ev in cal.walk("VEVENT"):
            uid = str(ev.get("uid", ""))
            agent = uid_agent(uid)
            if agent is None:
                continue
            seq = int(ev.get("sequence", 0))
            prev = events.get(uid)
            if prev is None or seq >= prev.sequence:
                events[uid] = Published(uid, agent, seq, _fingerprint(ev), cancelled, ev)
            if not cancelled and agent not in files:
                files[agent] = path.name
    return EarlierExport(events, files, names)


# -- building the calendars ----------------------------------------------------------------------------------
def _calendar(method: str, title: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//cs-schedule//roster export//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add("x-wr-calname", title)
    cal.add("x-wr-timezone", TZID)
    return cal


def shift_event(s: dict, agent_id: str, n: int, lunch_min: int) -> Event:
    """The VEVENT of one shift row (without SEQUENCE and DTSTAMP)."""
    tz = ZoneInfo(TZID)
    ev = Event()
    ev.add("uid", event_uid(agent_id, s["date"], n))
    ev.add("dtstart", s["shift_start"].to_pydatetime().replace(tzinfo=tz))
    ev.add("dtend", s["shift_end"].to_pydatetime().replace(tzinfo=tz))
    channels = str(s.get("channels") or "").replace("|", ", ")
    title = f"Shift {shift_cell(s, lunch_min).split(' ')[0]}"
    ev.add("summary", title + (f" ({channels})" if channels else ""))
    lines = []
    if pd.notna(s.get("lunch_start")):
        lines.append(f"Lunch {s['lunch_start']:%H:%M}-{s['lunch_end']:%H:%M}")
    else:
        lines.append("No lunch break")
    if channels:
        lines.append(f"Channels: {channels}")
    lines.append(f"Paid hours: {float(s['paid_hours']):g}")
    if s.get("day_type"):
        lines.append(f"Day type: {s['day_type']}")
    if s.get("promotion"):
        lines.append(f"Promotion: {s['promotion']}")
    ev.add("description", "\n".join(lines))
    ev.add("transp", "OPAQUE")
    ev.add("status", "CONFIRMED")
    return ev


def agent_events(plan: PlanShifts) -> dict[str, list[Event]]:
    """agent_id -> the VEVENTs of the agent's shifts, by start."""
    out: dict[str, list[Event]] = {}
    for aid, grp in plan.shifts.groupby("agent_id", sort=True):
        per_day: dict[dt.date, int] = {}
        events = []
        for s in grp.sort_values("shift_start").to_dict("records"):
            per_day[s["date"]] = per_day.get(s["date"], 0) + 1
            events.append(shift_event(s, str(aid), per_day[s["date"]], plan.lunch_min))
        out[str(aid)] = events
    return out


def _sequenced(ev: Event, earlier: Published | None) -> int:
    if earlier is None:
        return 0
    if earlier.cancelled or earlier.fingerprint != _fingerprint(ev):
        return earlier.sequence + 1
    return earlier.sequence


def _cancel_event(pub: Published, stamp: dt.datetime) -> tuple[Event, int]:
    """The cancellation of a published event (its sequence kept when it was cancelled already)."""
    ev = Event()
    seq = pub.sequence if pub.cancelled else pub.sequence + 1
    ev.add("uid", pub.uid)
    ev.add("sequence", seq)
    ev.add("dtstamp", stamp)
    for key in ("dtstart", "dtend", "summary"):
        if key in pub.event:
            ev[key] = pub.event[key]
    ev.add("status", "CANCELLED")
    return ev, seq


def ics_calendars(plan: PlanShifts, now: dt.datetime | None = None, earlier: EarlierExport | None = None
                  ) -> tuple[dict[str, bytes], pd.DataFrame]:
    """The files of the ``ics`` folder (relative path -> bytes) and its index (see the module docstring)."""
    earlier = earlier or EarlierExport({}, {}, {})
    stamp = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    events = agent_events(plan)
    names = {**earlier.names, **{str(a): str(n) for a, n in zip(plan.shifts["agent_id"], plan.shifts["agent_name"])}}
    current = {str(ev["uid"]) for evs in events.values() for ev in evs}
    gone: dict[str, list[Published]] = {}
    for pub in earlier.events.values():
        if pub.uid not in current:
            gone.setdefault(pub.agent_id, []).append(pub)
    agents = sorted(set(events) | set(earlier.files) | set(gone))
    files = ics_file_names(agents, earlier.files)
    out, rows = {}, []
    for aid in agents:
        title = f"{names.get(aid, '')} ({aid}) {plan.week}".strip()
        cal = _calendar("PUBLISH", title)
        for ev in events.get(aid, []):
            ev.add("sequence", _sequenced(ev, earlier.events.get(str(ev["uid"]))))
            ev.add("dtstamp", stamp)
            cal.add_component(ev)
        cal.add_missing_timezones()
        out[files[aid]] = cal.to_ical()
        cancelled_file = ""
        if gone.get(aid):
            cancel = _calendar("CANCEL", f"{title}: cancelled shifts")
            for pub in sorted(gone[aid], key=lambda p: p.uid):
                cancel.add_component(_cancel_event(pub, stamp)[0])
            cancel.add_missing_timezones()
            cancelled_file = f"{CANCELLED}/{files[aid]}"
            out[cancelled_file] = cancel.to_ical()
        rows.append({"agent_id": aid, "agent_name": names.get(aid, ""), "file": files[aid],
                     "cancelled_file": cancelled_file})
    return out, pd.DataFrame(rows, columns=INDEX_COLUMNS)


def write_ics(plan: PlanShifts, folder: Path, now: dt.datetime | None = None, *, force: bool = False,
              published: str | Path | None = None) -> Path:
    """Write the ``ics`` folder all or nothing, against the earlier export (see the module docstring)."""
    folder = Path(folder)
    earlier_dir = find_earlier_export(folder, published)
    earlier = read_earlier_export(earlier_dir) if earlier_dir is not None else None
    files, index = ics_calendars(plan, now, earlier)
    with atomic_folder(folder, ICS_COMMAND, force=force, known=ICS_FILES) as tmp:
        for rel, data in files.items():
            (tmp / rel).parent.mkdir(exist_ok=True)
            (tmp / rel).write_bytes(data)
        write_table(index, tmp / INDEX, bom=True)
    return folder


# -- reading back ----------------------------------------------------------------------------------------------
def read_ics(path: str | Path) -> pd.DataFrame:
    """Shift rows (``SHIFT_KEYS``) from one agent's ``.ics``; times as local wall-clock times."""
    cal = Calendar.from_ical(Path(path).read_bytes())
    out = []
    for ev in cal.walk("VEVENT"):
        if str(ev.get("status", "")).upper() == "CANCELLED":
            continue
        start_local = pd.Timestamp(ev.decoded("dtstart").astimezone(ZoneInfo(TZID)).replace(tzinfo=None))
        end_local = pd.Timestamp(ev.decoded("dtend").astimezone(ZoneInfo(TZID)).replace(tzinfo=None))
        lunch = lunch_end = pd.NaT
        m = _LUNCH.search(str(ev.get("description", "")))
        if m:
            lunch = start_local.normalize() + _td(m[1])
            if lunch < start_local:
                lunch += pd.Timedelta(days=1)
            lunch_end = lunch.normalize() + _td(m[2])
            if lunch_end <= lunch:
                lunch_end += pd.Timedelta(days=1)
        out.append({"agent_id": uid_agent(str(ev.get("uid"))), "date": start_local.date(), "shift_start": start_local,
                    "shift_end": end_local, "lunch_start": lunch, "lunch_end": lunch_end})
    return _shift_rows(pd.DataFrame(out, columns=SHIFT_KEYS))
