"""The plan's page: ``report.html`` in every plan folder, one self-contained file a planner opens.

Sections: headline figures and warnings; the per-channel service-level table; a coverage heat map
(heads scheduled against heads required, per channel, day and interval); the roster as a Gantt chart
by team (each shift coloured by the channels worked, lunches as gaps, tooltips with the details); the
shortfall list (understaffed intervals in runs, with their cause); the agent-friendliness measures,
rendered from whatever ``summary.json`` holds under ``agent_friendly`` (a missing key is skipped).

Drawn as inline SVG and HTML, not as matplotlib PNGs:

- names are text in the page, drawn by the reader's browser with the page's font stack
  (:data:`scheduler.report_html.FONT_STACK`: Latin first, then the Chinese fonts of Windows, macOS,
  Android and Linux), so Chinese names render wherever a Chinese font is installed, without shipping
  one and without a font on the machine that writes the plan (matplotlib would need one there, and
  draws empty boxes and warns without it; servers rarely have one). Each name is followed by the
  agent's id, so a row is identified even by a reader without any Chinese font;
- a 150-agent week is about 300 KB of text, smaller than PNGs of the same legibility, and stays
  sharp when zoomed; names are found with the browser's search;
- no script, no external reference: every text from the data goes through :func:`html.escape`, so a
  name such as ``<script>`` or ``=HYPERLINK(...)`` is shown as text and does nothing.

:func:`plan_page` builds the page from the plan's tables in memory (``schedule plan`` writes it into
the plan folder through :meth:`scheduler.plan_folder.PlanFolder.write`); it reads no file and costs a
fraction of a second (W46: about 1,000 shifts).
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from core.names import HOLIDAY_DAY_TYPES, channel_colour, channel_rank
from scheduler.plan_folder import COVERAGE, SHIFTS, SHORTFALL, SUMMARY
from scheduler.report_html import CSS, MISSING, fmt_duration, fmt_int, fmt_pct, is_missing, number, page

WIDTH = 1140           # [px] drawing width (the page is 1180 px wide less its padding)
ROW_H = 13             # [px] one agent's row in the Gantt
BAR_H = 9              # [px] a shift's bar
TEAM_H = 20            # [px] a team's heading row
NAME_W = 170           # [px] the Gantt's name column
HOURS_W = 46           # [px] the Gantt's weekly paid hours column
PANEL_GAP = 5          # [px] between day panels
CELL_H = 18            # [px] one day in the heat map
LUNCH_FILL = "#e5e7eb"
MAX_SHORTFALL_RUNS = 120
DAY_LABELS = {"weekday": "", "weekend": "weekend", "makeup_workday": "makeup day", "statutory_holiday": "holiday",
              "holiday_rest_day": "rest day"}  # day types as the Gantt's day headings name them
LABEL_PX_PER_CHAR = 6.2  # [px] a 10 px label's width per character (Latin; a promotion name may run wider)

PAGE_CSS = """
.chart { overflow-x: auto; } .gantt { margin-bottom: 8px; }
.gantt-head { position: sticky; top: 0; background: #fff; z-index: 2; border-bottom: 1px solid #ddd; }
svg text { font-family: inherit; fill: #222; }
svg .small { font-size: 9px; } svg .lbl { font-size: 10px; } svg .team { font-size: 12px; font-weight: 600; }
svg .id { fill: #888; } svg .inv { fill: #fff; } svg .muted { fill: #777; }
.legend span.sw { display: inline-block; width: 14px; height: 10px; margin: 0 4px 0 12px; vertical-align: middle;
  border: 1px solid #ccc; }
.warn { background: #fff8e6; border: 1px solid #f0d48a; border-radius: 6px; padding: 6px 14px; }
details summary { cursor: pointer; color: #555; }
td.wrap { white-space: normal; text-align: left; max-width: 560px; }
"""


@dataclass
class PageData:
    """What the page shows, as ``schedule plan`` holds it in memory (the plan folder's tables):

    - ``summary``: the plan's ``summary.json``;
    - ``shifts``: ``agent_id, agent_name, date, shift_start, shift_end, lunch_start, lunch_end,
      paid_hours`` (+ ``channels``), times as Timestamps (NaT: no lunch);
    - ``assignments``: ``interval_start, agent_id, channel`` (None: colour each shift by its first channel);
    - ``coverage``: ``interval_start, channel, required_scheduled, scheduled_heads`` (+ ``open``);
    - ``shortfall``: ``interval_start, channel, required_scheduled, scheduled_heads, missing, cause``;
    - ``teams``: agent_id -> team; ``interval_min``: the planning interval [min].
    """

    summary: dict
    shifts: pd.DataFrame
    coverage: pd.DataFrame
    shortfall: pd.DataFrame
    assignments: pd.DataFrame | None = None
    teams: dict[str, str] = field(default_factory=dict)
    interval_min: int = 60

    @property
    def days(self) -> list[dt.date]:
        dates = self.summary.get("dates")
        if isinstance(dates, list) and len(dates) == 2:
            first, last = dt.date.fromisoformat(dates[0]), dt.date.fromisoformat(dates[1])
        elif len(self.shifts):
            first, last = min(self.shifts["date"]), max(self.shifts["date"])
        else:
            return []
        return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]

    @property
    def channels(self) -> list[str]:
        names = set(self.coverage["channel"]) if len(self.coverage) else set()
        names |= set(self.summary.get("channels", {}))
        return sorted(names, key=lambda c: (channel_rank(c), c))

    def day_type(self, day: dt.date) -> str:
        return str(self.summary.get("day_types", {}).get(day.isoformat(), ""))

    def promotions(self) -> dict[dt.date, str]:
        """Promotion main days, as the shifts name them (``promotion`` column)."""
        if "promotion" not in self.shifts.columns:
            return {}
        named = self.shifts[self.shifts["promotion"].fillna("").astype(str) != ""]
        return dict(zip(named["date"], named["promotion"].astype(str)))


def esc(value) -> str:
    return html.escape(str(value), quote=True)


# -- the page -------------------------------------------------------------------------------------------------------
def plan_page(data: PageData) -> str:
    """The whole page as one HTML document."""
    s = data.summary
    period = s.get("week") or s.get("month") or " .. ".join(s.get("dates", []))
    days = data.days
    head = (f"<h1>Plan {esc(period)}: scenario {esc(s.get('scenario', MISSING))}</h1>"
            f"<p class='sub'>{_dates_text(days)} &middot; pay cost in CNY &middot; service level "
            "contact-weighted over open hours</p>")
    body = [head, _cards(s), _warnings(s), service_table(s, data.channels),
            "<h2>Coverage: heads scheduled against heads required</h2>", coverage_heatmap(data),
            "<h2>Roster by team</h2>", roster_gantt(data),
            "<h2>Understaffed intervals</h2>", shortfall_list(data.shortfall, data.interval_min),
            "<h2>Agent-friendliness</h2>", friendly_section(s.get("agent_friendly")),
            f"<p class='muted'>Written by schedule plan with the plan's files ({SHIFTS}, {COVERAGE}, "
            f"{SHORTFALL}, {SUMMARY}) beside it. Names are drawn by the browser: it needs a font with "
            "Chinese characters, which Windows, macOS and Android ship (on Linux: fonts-noto-cjk).</p>"]
    return page(f"Plan {period}", "".join(body), CSS + PAGE_CSS)


def _dates_text(days: list[dt.date]) -> str:
    if not days:
        return MISSING
    return f"{days[0]:%a %Y-%m-%d} to {days[-1]:%a %Y-%m-%d}"


def _cards(s: dict) -> str:
    solver = s.get("solver", {})
    gap = solver.get("gap")
    cards = [("pay cost", f"CNY {fmt_int(s.get('cost'))}", f"of which premium {fmt_int(s.get('premium_cost'))}"),
             ("paid hours", fmt_int(s.get("paid_hours")), f"overtime {fmt_int(s.get('overtime_hours'))} h"),
             ("agents used", f"{fmt_int(s.get('agents_used'))} / {fmt_int(s.get('agents_in_pool'))}", "of the pool"),
             ("understaffed agent-intervals", fmt_int(s.get("understaffed_agent_intervals")),
              f"required {fmt_int(s.get('required_agent_hours'))} agent-hours"),
             ("solver", esc(solver.get("status", MISSING)),
              f"gap {fmt_pct(gap, 2)}, {fmt_duration(solver.get('wall_s'))}")]
    return "<div class='cards'>" + "".join(
        f"<div class='card'><div class='lbl'>{esc(k)}</div><div class='big'>{v}</div>"
        f"<div class='lbl'>{esc(sub)}</div></div>" for k, v, sub in cards) + "</div>"


def _warnings(s: dict) -> str:
    items = [w for w in s.get("warnings", []) if isinstance(w, str)]
    if not items:
        return ""
    return "<div class='warn'><ul class='notes'>" + "".join(f"<li>{esc(w)}</li>" for w in items) + "</ul></div>"


# -- service levels -------------------------------------------------------------------------------------------------
def service_table(s: dict, channels: list[str]) -> str:
    """Per channel: contacts, service level against target, threshold, ASA, intervals below target."""
    rows = []
    for ch in channels:
        c = s.get("channels", {}).get(ch)
        if not isinstance(c, dict):
            continue
        level, target = c.get("service_level"), c.get("target")
        cls = ""
        if not is_missing(level) and not is_missing(target):
            cls = " class='good'" if number(level) >= number(target) else " class='bad'"
        asa = c.get("asa_s")
        asa_text = "unstable" if number(asa) == math.inf else fmt_duration(asa)
        rows.append(f"<tr><td><span style='color:{channel_colour(ch)}'>&#9632;</span> {esc(ch)}</td>"
                    f"<td>{fmt_int(c.get('contacts'))}</td><td{cls}>{fmt_pct(level)}</td>"
                    f"<td>{fmt_pct(target, 0)}</td><td>{esc(c.get('answer_within', MISSING))}</td>"
                    f"<td>{asa_text}</td><td>{fmt_int(c.get('intervals_below_target'))}</td></tr>")
    if not rows:
        return "<h2>Service level</h2><p class='muted'>No channel figures in summary.json.</p>"
    return ("<h2>Service level</h2><table><thead><tr><th>channel</th><th>contacts</th><th>service level</th>"
            "<th>target</th><th>answered in</th><th>ASA</th><th>intervals below target</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


# -- coverage heat map ----------------------------------------------------------------------------------------------
HEAT_NAME_W = 96       # [px] the heat map's day column
HEAT_SUM_W = 120       # [px] its row totals
SHORT_FILLS = ("#fcd4d4", "#f59b9b", "#dc2626")   # short by <= 10%, <= 25%, more
OVER_FILLS = ("#dbeafe", "#93c5fd", "#3b82f6")    # over by <= 10%, <= 25%, more
MET_FILL, IDLE_FILL = "#dcfce7", "#f3f4f6"


def _heads_needed(required) -> int:
    value = number(required)
    return 0 if not math.isfinite(value) else math.ceil(value - 1e-9)


def heat_fill(need: int, have: int) -> str:
    """The cell's colour: red when short, green when met, blue when over, by the share of the requirement."""
    if need == 0 and have == 0:
        return IDLE_FILL
    diff = have - need
    if diff == 0:
        return MET_FILL
    share = abs(diff) / max(need, 1)
    fills = SHORT_FILLS if diff < 0 else OVER_FILLS
    return fills[0] if share <= 0.10 else fills[1] if share <= 0.25 else fills[2]


def _coverage_grid(data: PageData) -> tuple[dict, list[int]]:
    """{(channel, day, minute): (need, have, open)} and the interval starts [min] every row shows."""
    cov = data.coverage
    grid: dict[tuple[str, dt.date, int], tuple[int, int]] = {}
    minutes: set[int] = set()
    if not len(cov):
        return grid, []
    starts = pd.to_datetime(cov["interval_start"])
    heads = cov["scheduled_heads"] if "scheduled_heads" in cov.columns else pd.Series(0, index=cov.index)
    opened = cov["open"].astype(bool) if "open" in cov.columns else pd.Series(True, index=cov.index)
    for at, ch, req, have, is_open in zip(starts, cov["channel"], cov["required_scheduled"], heads, opened):
        need, have = _heads_needed(req), int(number(have)) if not is_missing(have) else 0
        minute = at.hour * 60 + at.minute
        grid[ch, at.date(), minute] = (need, have, bool(is_open))
        if is_open or need or have:
            minutes.add(minute)
    if not minutes:
        return grid, []
    step = data.interval_min
    return grid, list(range(min(minutes), max(minutes) + step, step))


def coverage_heatmap(data: PageData) -> str:
    """One SVG per channel: a row per day, a cell per interval, coloured by scheduled - required heads,
    the difference written in the cell where it fits, both figures in the cell's tooltip."""
    grid, minutes = _coverage_grid(data)
    if not minutes:
        return "<p class='muted'>No coverage figures.</p>"
    cell_w = (WIDTH - HEAT_NAME_W - HEAT_SUM_W) / len(minutes)
    parts = []
    for ch in data.channels:
        rows = [_heat_axis(minutes, cell_w, data.interval_min)]
        for i, day in enumerate(data.days):
            rows.append(_heat_row(grid, ch, day, minutes, cell_w, 16 + i * CELL_H))
        height = 16 + len(data.days) * CELL_H + 2
        parts.append(f"<h3 style='color:{channel_colour(ch)};margin:14px 0 2px'>{esc(ch)}</h3>"
                     f"<div class='chart'><svg class='heatmap' "
                     f"data-channel='{esc(ch)}' width='{WIDTH}' height='{height}' "
                     f"viewBox='0 0 {WIDTH} {height}'>{''.join(rows)}</svg></div>")
    legend = ("<p class='legend muted'>Cell: scheduled heads minus the heads required (after shrinkage, rounded "
              "up); hover for both figures. "
              + "".join(f"<span class='sw' style='background:{f}'></span>{t}" for f, t in (
                  (SHORT_FILLS[2], "short &gt;25%"), (SHORT_FILLS[1], "short 10-25%"),
                  (SHORT_FILLS[0], "short &le;10%"), (MET_FILL, "met"), (OVER_FILLS[0], "over &le;10%"),
                  (OVER_FILLS[1], "over 10-25%"), (OVER_FILLS[2], "over &gt;25%"),
                  (IDLE_FILL, "nothing required or scheduled"))) + "</p>")
    return "".join(parts) + legend


def _heat_axis(minutes: list[int], cell_w: float, step: int) -> str:
    """Hour labels over the cells, at least 26 px apart."""
    every = next(k for k in (1, 2, 3, 4, 6, 12, 24) if k * 60 / step * cell_w >= 26)
    return "".join(f"<text class='small muted' x='{HEAT_NAME_W + j * cell_w:.1f}' y='11'>{_hhmm(m)}</text>"
                   for j, m in enumerate(minutes) if m % 60 == 0 and (m // 60) % every == 0)


def _heat_row(grid: dict, ch: str, day: dt.date, minutes: list[int], cell_w: float, y: float) -> str:
    out = [f"<text class='lbl' x='0' y='{y + 12:.1f}'>{day:%a %m-%d}</text>"]
    short = over = 0
    for j, m in enumerate(minutes):
        need, have, is_open = grid.get((ch, day, m), (0, 0, False))
        diff = have - need
        state = _signed(diff) if diff else "met" if is_open or need else "closed"
        short += max(0, -diff)
        over += max(0, diff)
        fill = heat_fill(need, have)
        x = HEAT_NAME_W + j * cell_w
        tip = f"{ch} {day:%a %Y-%m-%d} {_hhmm(m)}: required {need}, scheduled {have}"
        text = ""
        if diff and cell_w >= 15:
            cls = "small inv" if fill in (SHORT_FILLS[2], OVER_FILLS[2]) else "small"
            text = (f"<text class='{cls}' x='{x + cell_w / 2:.1f}' y='{y + 12:.1f}' text-anchor='middle'>"
                    f"{_signed(diff)}</text>")
        out.append(f"<g><title>{esc(tip)} ({state})</title><rect x='{x:.1f}' "
                   f"y='{y:.1f}' width='{cell_w - 1:.1f}' height='{CELL_H - 2}' fill='{fill}'/>{text}</g>")
    out.append(f"<text class='small muted' x='{WIDTH - HEAT_SUM_W + 8}' y='{y + 12:.1f}'>short {short} &middot; "
               f"over {over}</text>")
    return "".join(out)


def _signed(n: int) -> str:
    return f"+{n}" if n > 0 else f"\u2212{-n}"


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


# -- roster Gantt ---------------------------------------------------------------------------------------------------
@dataclass
class Panels:
    """The Gantt's day panels: each day shows ``span[day] = (first, last)`` minutes after its midnight,
    ``x0[day]`` where its panel starts and ``px_per_min`` the scale shared by all."""

    span: dict[dt.date, tuple[int, int]]
    x0: dict[dt.date, float]
    px_per_min: float

    def x(self, day: dt.date, minute: float) -> float:
        return self.x0[day] + (minute - self.span[day][0]) * self.px_per_min

    def width(self, day: dt.date) -> float:
        lo, hi = self.span[day]
        return (hi - lo) * self.px_per_min


def _minute_of(ts, day: dt.date) -> int:
    return int((pd.Timestamp(ts) - pd.Timestamp(day)).total_seconds() // 60)


def day_panels(data: PageData) -> Panels:
    """One panel per day over the hours that day is open or worked (whole hours); a closed day without
    shifts gets a narrow panel."""
    lo: dict[dt.date, int] = {}
    hi: dict[dt.date, int] = {}

    def widen(day, a, b):
        lo[day] = min(lo.get(day, a), a)
        hi[day] = max(hi.get(day, b), b)

    cov = data.coverage
    if len(cov) and "open" in cov.columns:
        opened = cov[cov["open"].astype(bool)]
        for at in pd.to_datetime(opened["interval_start"]):
            m = at.hour * 60 + at.minute
            widen(at.date(), m, m + data.interval_min)
    for r in data.shifts.itertuples(index=False):
        widen(r.date, _minute_of(r.shift_start, r.date), _minute_of(r.shift_end, r.date))
    span = {}
    for day in data.days:
        if day in lo:
            span[day] = (lo[day] // 60 * 60, -(-hi[day] // 60) * 60)
        else:
            span[day] = (9 * 60, 13 * 60)  # closed and idle: a narrow panel
    total = sum(b - a for a, b in span.values()) or 1
    px = (WIDTH - NAME_W - HOURS_W - PANEL_GAP * max(0, len(span) - 1)) / total
    x0, x = {}, float(NAME_W)
    for day in data.days:
        x0[day] = x
        x += (span[day][1] - span[day][0]) * px + PANEL_GAP
    return Panels(span, x0, px)


def _tick_every(px_per_min: float) -> int:
    """[h] between hour labels, so that labels stand at least 26 px apart."""
    return next(k for k in (1, 2, 3, 4, 6, 12) if k * 60 * px_per_min >= 26)


def _gantt_header(data: PageData, panels: Panels) -> str:
    every = _tick_every(panels.px_per_min)
    out = [f"<text class='lbl muted' x='0' y='14'>agent</text>"
           f"<text class='lbl muted' x='{WIDTH - HOURS_W + 4}' y='14'>paid h</text>"]
    promotions = data.promotions()
    for day in data.days:
        lo, hi = panels.span[day]
        kind = data.day_type(day)
        shade = "#fde8e8" if kind in HOLIDAY_DAY_TYPES or day in promotions else \
            "#eef2ff" if kind == "weekend" else "#f3f5f8"
        x = panels.x0[day]
        label = " ".join(t for t in (f"{day:%a %m-%d}", DAY_LABELS.get(kind, kind), promotions.get(day)) if t)
        if len(label) * LABEL_PX_PER_CHAR > panels.width(day) - 6:  # too long for the panel: the date only
            label = f"{day:%a %m-%d}"
        full = " ".join(t for t in (day.isoformat(), kind.replace("_", " "), promotions.get(day)) if t)
        out.append(f"<g><title>{esc(full)}</title><rect x='{x:.1f}' y='0' width='{panels.width(day):.1f}' "
                   f"height='18' fill='{shade}'/><text class='lbl' x='{x + 3:.1f}' y='13'>{esc(label)}</text></g>")
        for m in range(lo, hi + 1, 60):
            if (m // 60) % every == 0 and m < hi:
                out.append(f"<text class='small muted' x='{panels.x(day, m):.1f}' y='30'>{m // 60:02d}</text>")
    return (f"<div class='gantt-head'><svg width='{WIDTH}' height='34' "
            f"viewBox='0 0 {WIDTH} 34'>{''.join(out)}</svg></div>")


def _segments(data: PageData) -> dict[tuple[str, dt.date], list[tuple[int, int, str]]]:
    """(agent_id, date) -> [(first minute, end minute, channel)]: consecutive intervals on one channel merged."""
    out: dict[tuple[str, dt.date], list[tuple[int, int, str]]] = defaultdict(list)
    a = data.assignments
    if a is None or not len(a):
        return out
    step = data.interval_min
    frame = pd.DataFrame({"at": pd.to_datetime(a["interval_start"]), "agent_id": a["agent_id"].astype(str),
                          "channel": a["channel"].astype(str)}).sort_values(["agent_id", "at"])
    for aid, at, ch in zip(frame["agent_id"], frame["at"], frame["channel"]):
        day = at.date()
        m = at.hour * 60 + at.minute
        segs = out[aid, day]
        if segs and segs[-1][1] == m and segs[-1][2] == ch:
            segs[-1] = (segs[-1][0], m + step, ch)
        else:
            segs.append((m, m + step, ch))
    return out


def _shift_mark(r, name: str, panels: Panels, segs: list[tuple[int, int, str]]) -> str:
    """One shift: its span in the lunch colour, the channel segments over it, a tooltip."""
    day = r.date
    start, end = _minute_of(r.shift_start, day), _minute_of(r.shift_end, day)
    x0 = panels.x(day, start)
    y = (ROW_H - BAR_H) / 2
    parts = [f"<rect x='{x0:.1f}' y='{y:.1f}' width='{(end - start) * panels.px_per_min:.1f}' height='{BAR_H}' "
             f"fill='{LUNCH_FILL}'/>"]
    worked: dict[str, int] = defaultdict(int)
    if segs:
        for a, b, ch in segs:
            worked[ch] += b - a
            parts.append(f"<rect x='{panels.x(day, a):.1f}' y='{y:.1f}' width='{(b - a) * panels.px_per_min:.1f}' "
                         f"height='{BAR_H}' fill='{channel_colour(ch)}'/>")
    else:  # no assignments: the shift in its first channel's colour, the lunch cut out
        ch = str(getattr(r, "channels", "") or "").split("|")[0]
        has_lunch = not pd.isna(r.lunch_start)
        pieces = [(start, _minute_of(r.lunch_start, day)), (_minute_of(r.lunch_end, day), end)] if has_lunch \
            else [(start, end)]
        for a, b in pieces:
            parts.append(f"<rect x='{panels.x(day, a):.1f}' y='{y:.1f}' width='{(b - a) * panels.px_per_min:.1f}' "
                         f"height='{BAR_H}' fill='{channel_colour(ch) if ch else '#94a3b8'}'/>")
    lunch = "no lunch" if pd.isna(r.lunch_start) else \
        f"lunch {pd.Timestamp(r.lunch_start):%H:%M}-{pd.Timestamp(r.lunch_end):%H:%M}"
    chans = ", ".join(f"{c} {fmt_duration(v * 60)}" for c, v in sorted(worked.items(), key=lambda kv: -kv[1]))
    tip = (f"{name} ({r.agent_id}) {day:%a %Y-%m-%d} {pd.Timestamp(r.shift_start):%H:%M}-"
           f"{_hhmm(end)}, {lunch}" + (f", {chans}" if chans else "") + f", {number(r.paid_hours):g} paid h")
    return f"<g class='shift'><title>{esc(tip)}</title>{''.join(parts)}</g>"


def roster_gantt(data: PageData) -> str:
    """The roster by team: a row per agent with a shift, a panel per day; bars coloured by channel."""
    shifts = data.shifts
    if not len(shifts) or not data.days:
        return "<p class='muted'>No shifts in this plan.</p>"
    panels = day_panels(data)
    segs = _segments(data)
    names = dict(zip(shifts["agent_id"].astype(str), shifts["agent_name"].astype(str)))
    by_agent: dict[str, list] = defaultdict(list)
    for r in shifts.itertuples(index=False):
        by_agent[str(r.agent_id)].append(r)
    teams: dict[str, list[str]] = defaultdict(list)
    for aid in sorted(by_agent):
        teams[data.teams.get(aid, "")].append(aid)
    order = sorted(teams, key=lambda t: (t == "", t))
    rows, y = [], 0.0
    for team in order:
        members = teams[team]
        rows.append(f"<text class='team' x='0' y='{y + 15:.1f}'>{esc(team or '(no team)')}</text>"
                    f"<text class='small muted' x='{NAME_W:.0f}' y='{y + 15:.1f}'>{len(members)} agents</text>")
        y += TEAM_H
        for i, aid in enumerate(members):
            rows.append(_agent_row(aid, names.get(aid, ""), by_agent[aid], segs, panels, y, i % 2 == 1))
            y += ROW_H
    height = int(math.ceil(y)) + 2
    grid = _panel_lines(data, panels, height)
    legend = ("<p class='legend muted'>Bars: each shift, coloured by the channel worked hour by hour; grey: "
              "lunch or break; hover a bar for its times. "
              + "".join(f"<span class='sw' style='background:{channel_colour(c)}'></span>{esc(c)}"
                        for c in data.channels)
              + f"<span class='sw' style='background:{LUNCH_FILL}'></span>lunch</p>")
    return (legend + "<div class='gantt'>" + _gantt_header(data, panels)
            + f"<svg class='gantt' width='{WIDTH}' height='{height}' "
              f"viewBox='0 0 {WIDTH} {height}'>{grid}{''.join(rows)}</svg></div>")


def _agent_row(aid: str, name: str, shifts: list, segs: dict, panels: Panels, y: float, striped: bool) -> str:
    paid = sum(v for v in (number(r.paid_hours) for r in shifts) if math.isfinite(v))
    out = [f"<g class='agent' transform='translate(0,{y:.1f})'>"]
    if striped:
        out.append(f"<rect x='0' y='0' width='{WIDTH}' height='{ROW_H}' fill='#f7f8fa'/>")
    ident = "" if aid in name else f" <tspan class='id'>{esc(aid)}</tspan>"  # the id, unless the name holds it
    out.append(f"<text class='lbl' x='4' y='{ROW_H - 3}'>{esc(name)}{ident}</text>"
               f"<text class='lbl' x='{WIDTH - 4}' y='{ROW_H - 3}' text-anchor='end'>{paid:g}</text>")
    for r in shifts:
        if r.date in panels.span:
            out.append(_shift_mark(r, name, panels, segs.get((aid, r.date), [])))
    out.append("</g>")
    return "".join(out)


def _panel_lines(data: PageData, panels: Panels, height: int) -> str:
    """Hour lines (faint) and day boundaries, as one path each."""
    every = _tick_every(panels.px_per_min)
    hours, bounds = [], []
    for day in data.days:
        lo, hi = panels.span[day]
        bounds.append(f"M{panels.x0[day]:.1f} 0V{height}")
        for m in range(lo + 60, hi, 60):
            if (m // 60) % every == 0:
                hours.append(f"M{panels.x(day, m):.1f} 0V{height}")
    return (f"<path d='{''.join(hours)}' stroke='#eceef1' stroke-width='1'/>"
            f"<path d='{''.join(bounds)}' stroke='#b8bec8' stroke-width='1'/>")


# -- shortfall ------------------------------------------------------------------------------------------------------
def shortfall_runs(shortfall: pd.DataFrame, interval_min: int) -> list[dict]:
    """Understaffed intervals merged into runs: same channel, day and cause, consecutive intervals."""
    if shortfall is None or not len(shortfall):
        return []
    frame = shortfall.assign(at=pd.to_datetime(shortfall["interval_start"])).sort_values(["channel", "at"])
    step = pd.Timedelta(minutes=interval_min)
    runs: list[dict] = []
    for rec in frame.to_dict("records"):
        cause = str(rec.get("cause", "") or "")
        last = runs[-1] if runs else None
        if (last and last["channel"] == rec["channel"] and last["end"] == rec["at"] and last["cause"] == cause
                and last["start"].date() == rec["at"].date()):
            last["end"] = rec["at"] + step
            last["missing"].append(int(rec["missing"]))
        else:
            runs.append({"channel": rec["channel"], "start": rec["at"], "end": rec["at"] + step, "cause": cause,
                         "missing": [int(rec["missing"])]})
    return sorted(runs, key=lambda r: (r["start"], channel_rank(r["channel"])))


def shortfall_list(shortfall: pd.DataFrame, interval_min: int = 60) -> str:
    runs = shortfall_runs(shortfall, interval_min)
    if not runs:
        return "<p>No understaffed interval: every requirement is met.</p>"
    rows = []
    for r in runs[:MAX_SHORTFALL_RUNS]:
        lo, hi = min(r["missing"]), max(r["missing"])
        end = r["end"]
        end_text = "24:00" if end.date() != r["start"].date() else f"{end:%H:%M}"
        rows.append(f"<tr><td>{r['start']:%a %m-%d %H:%M}-{end_text}</td><td>{esc(r['channel'])}</td>"
                    f"<td>{lo if lo == hi else f'{lo}-{hi}'}</td><td>{sum(r['missing'])}</td>"
                    f"<td class='wrap'>{esc(r['cause'])}</td></tr>")
    more = len(runs) - MAX_SHORTFALL_RUNS
    tail = f"<p class='muted'>... and {more} more runs: see shortfall.csv.</p>" if more > 0 else ""
    return ("<p class='muted'>Consecutive understaffed intervals of one channel with one cause, merged.</p>"
            "<table class='shortfall'><thead><tr><th>when</th><th>channel</th><th>heads missing</th>"
            "<th>agent-intervals</th><th style='text-align:left'>cause</th></tr></thead><tbody>" + "".join(rows)
            + "</tbody></table>" + tail)


# -- agent-friendliness -----------------------------------------------------------------------------------------------
def friendly_section(section) -> str:
    """The measures ``summary.json`` holds under ``agent_friendly``: the known ones in words, any other
    key as it is (nested values flattened) in a details list. Missing keys are left out."""
    if not isinstance(section, dict) or not section:
        return "<p class='muted'>This plan's summary.json holds no agent-friendliness measures.</p>"
    known = {"terms_on": _terms_on, "paired_rest_days": _paired, "start_time_changes": _start_changes,
             "weekend_days_per_full_timer": _weekend_spread, "requests": _requests, "cost_of_terms": _cost_of_terms}
    rows = []
    for key, render in known.items():
        if key in section and section[key] is not None:
            try:
                rows.append(render(section[key]))
            except (KeyError, TypeError, ValueError, AttributeError):
                rows.append((key.replace("_", " "), _value_text(section[key])))  # another shape: as it is
    rows = [r for r in rows if r is not None]
    table = "<table><tbody>" + "".join(f"<tr><td>{esc(k)}</td><td class='wrap'>{esc(v)}</td></tr>"
                                       for k, v in rows) + "</tbody></table>" if rows else ""
    others = [(path, value) for key, v in section.items() if key not in known
              for path, value in _flatten(v, key)]
    details = ""
    if others:
        details = ("<details><summary>all other measures</summary><table><tbody>"
                   + "".join(f"<tr><td>{esc(p)}</td><td>{esc(_value_text(v))}</td></tr>" for p, v in others)
                   + "</tbody></table></details>")
    return table + details


def _value_text(v) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:,.4g}"
    if isinstance(v, dict):
        return ", ".join(f"{k} {_value_text(x)}" for k, x in v.items())
    if isinstance(v, list):
        return ", ".join(_value_text(x) for x in v)
    return MISSING if v is None else str(v)


def _flatten(v, path: str, depth: int = 0):
    if isinstance(v, dict) and depth < 3:
        for k, x in v.items():
            yield from _flatten(x, f"{path} \u203a {k}", depth + 1)
    else:
        yield path, v


def _terms_on(v):
    return "agent-friendly terms", "on" if v else "off (roster.agent_friendly = false)"


def _paired(v: dict):
    share = f" ({fmt_pct(v['share'])})" if not is_missing(v.get("share")) else ""
    return ("full-timers with two consecutive rest days",
            f"{v['with_two_consecutive_rest_days']} of {v['full_timer_weeks']} full-timer weeks{share}")


def _start_changes(v):
    return "start-time changes", _value_text(v)


def _weekend_spread(v: dict):
    text = f"{v['min']} to {v['max']} (spread {v['spread']}"
    if "to_date_spread" in v:
        text += f"; to date {v['to_date_spread']}"
    return "weekend days per full-timer", text + ")"


def _requests(v: dict):
    parts = ", ".join(f"{k} {x['granted']}/{x['of']}" for k, x in v.get("by_kind", {}).items())
    return "requests granted", f"{v['granted']} of {v['of']}" + (f" ({parts})" if parts else "")


def _cost_of_terms(v: dict):
    ratio = v.get("cost_ratio")
    return ("cost of the terms", f"CNY {fmt_int(v['on']['cost'])} with the terms, {fmt_int(v['off']['cost'])} "
            f"without" + (f" (x{number(ratio):.4f})" if not is_missing(ratio) else ""))


__all__ = ["PageData", "plan_page", "coverage_heatmap", "roster_gantt", "shortfall_list", "friendly_section",
           "service_table", "heat_fill", "shortfall_runs", "day_panels"]
