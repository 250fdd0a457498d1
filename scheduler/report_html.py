"""Self-contained HTML reports: one file, charts embedded as base64 PNG, no scripts, no external fonts
or styles, so it survives being mailed to the brand.

The page template (:func:`page`, with one font stack for Latin and Chinese text), :func:`img` and the
number formats (:func:`fmt_int`, :func:`fmt_pct`, :func:`fmt_duration`, :func:`fmt_yes`, one mark
:data:`MISSING` for a value that does not exist) serve every page: the comparison and sweep reports
here and the actuals report (:mod:`scheduler.actuals.report_page`).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import math

import pandas as pd

from core.scenario import Scenario, hhmm_to_min

# -- shared by every HTML page: the template, its fonts, number formats -----------------------------
MISSING = "–"  # a value that does not exist (an en dash: a hyphen would read as a minus beside differences)
FONT_STACK = ('-apple-system, "Segoe UI", Roboto, "Noto Sans", "PingFang SC", "Microsoft YaHei", '
              '"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", Helvetica, Arial, sans-serif')
# Latin first, then Chinese fallbacks: macOS/iOS, Windows, Linux/Android (Noto CJK = Source Han), older Linux


def page(title: str, body: str, css: str) -> str:
    """One self-contained HTML document: ``css`` on top of the shared font stack, ``body`` as given."""
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{html.escape(title)}</title><style>body {{ font-family: {FONT_STACK}; }}\n{css}</style>"
            f"</head>\n<body>{body}</body></html>\n")


def img(png: bytes, alt: str) -> str:
    """An ``<img>`` with the PNG inline (base64)."""
    return f"<img alt='{html.escape(alt)}' src='data:image/png;base64,{base64.b64encode(png).decode('ascii')}'>"


def number(v) -> float:
    """``v`` as a float; NaN for None, NA and anything that is not a number."""
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def is_missing(v) -> bool:
    return not math.isfinite(number(v))


def fmt_int(v) -> str:
    """A whole number with thousands separators: 1234.4 -> '1,234'."""
    return MISSING if is_missing(v) else f"{number(v):,.0f}"


def fmt_pct(v, digits: int = 1) -> str:
    """A share as a percent: 0.8234 -> '82.3%'."""
    return MISSING if is_missing(v) else f"{100 * number(v):.{digits}f}%"


def fmt_duration(v) -> str:
    """Seconds in the unit that reads best: '12.5 s', '3 min', '24 h'."""
    if is_missing(v):
        return MISSING
    x = number(v)
    if x < 120:
        text, unit = f"{x:.1f}", "s"
    elif x < 7200:
        text, unit = f"{x / 60:.1f}", "min"
    else:
        text, unit = f"{x / 3600:.1f}", "h"
    return f"{text.removesuffix('.0')} {unit}"


def fmt_yes(v) -> str:
    return MISSING if is_missing(v) else ("yes" if bool(v) else "no")


# -- schedule compare and schedule sweep ------------------------------------------------------------
CSS = """
body { color: #222; margin: 28px auto; max-width: 1180px; padding: 0 18px; line-height: 1.45; }
h1 { font-size: 24px; margin-bottom: 2px; } h2 { font-size: 18px; margin-top: 30px; border-bottom: 1px solid #ddd; }
.sub { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 10px 0; font-size: 14px; }
th, td { padding: 5px 12px; border-bottom: 1px solid #e4e4e4; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f3f5f8; border-bottom: 2px solid #c9d0da; }
tr.section td { background: #fafafa; font-weight: 600; color: #555; text-align: left; }
td.good { color: #1a7f37; } td.bad { color: #b42318; font-weight: 600; } td.delta { color: #666; font-size: 12px; }
.cards { display: flex; gap: 14px; flex-wrap: wrap; margin: 14px 0; }
.card { border: 1px solid #dde3ea; border-radius: 8px; padding: 10px 14px; min-width: 200px; background: #fbfcfe; }
.card .big { font-size: 22px; font-weight: 600; } .card .lbl { color: #666; font-size: 13px; }
img { max-width: 100%; border: 1px solid #eee; margin: 8px 0; }
ul.notes li { margin: 4px 0; } .muted { color: #777; font-size: 13px; }
"""


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def scenario_facts(sc: Scenario) -> dict[str, str]:
    """What a brand planner needs to know about a scenario, in words."""
    wins = {}
    for k, v in sc.windows.items():
        wins.setdefault(v, []).append(k)
    windows = "; ".join(f"{v} ({', '.join(ks)})" if len(wins) > 1 else v for v, ks in wins.items())
    if sc.promotion_window:
        windows += f"; promotion main day {sc.promotion_window}"
    shifts = []
    for t in sc.roster.templates:
        span = int(round(t.span_h * 60))
        times = ", ".join(f"{s}-{_hhmm(hhmm_to_min(s) + span)}" for s in t.starts)
        who = "/".join("FT" if c == "full_time" else "PT" for c in t.contracts)
        extra = " (main day only)" if t.promotion_only else ""
        meal = f", meal in {t.lunch_window}" if t.lunch and t.lunch_window else (", lunch" if t.lunch else "")
        shifts.append(f"{t.name} {times} [{who}{meal}]{extra}")
    hires = sum(g.count for g in sc.temporary_agents)
    hire_text = "none" if not hires else "; ".join(
        f"{g.count} {'/'.join(g.skills)} {g.contract.replace('_', '-')} at CNY {g.hourly_cost:g}/h"
        for g in sc.temporary_agents)
    targets = ", ".join(f"{ch} {100 * c.service_level_target:.0f}% in "
                        + (f"{int(c.answer_within_s)} s" if c.model != "deferred"
                           else f"{int(c.response_window_h or 0)} h")
                        for ch, c in sc.channels.items())
    return {"description": sc.description, "service windows": windows, "shift templates": "; ".join(shifts),
            "campaign hires": hire_text, "labour": f"max {sc.labour.max_days_per_week} days a week, "
            f"{sc.labour.max_paid_h_per_day:g} h a day + up to {sc.labour.max_overtime_h_per_day:g} h overtime",
            "targets": targets, "roster time limit": f"{sc.roster.time_limit_s:g} s"}


def compare_report(table: pd.DataFrame, outcomes, scenarios: list[Scenario], week, pngs: dict[str, bytes],
                   wall_s: dict[str, float] | None = None) -> str:
    """The comparison report: headline cards, the side-by-side table with differences to the first
    scenario, the charts, what each scenario assumes, and notes on solver quality and shortfall."""
    channels = [c.removeprefix("contacts_") for c in table.columns if c.startswith("contacts_")]
    labels = list(table["scenario"])
    head = (f"<h1>Scenario comparison, week {html.escape(week.label)}</h1>"
            f'<p class="sub">{week.start_date:%a %Y-%m-%d} to {week.end_date:%a %Y-%m-%d} &middot; '
            f"{len(labels)} scenario(s) &middot; pay cost in CNY, service level contact-weighted over open hours"
            f"</p>")
    body = [head, _compare_cards(table, channels), _side_by_side(table, scenarios, channels)]
    body.append("<h2>Demand and staffing across the week</h2>"
                "<p class='muted'>Bars: forecast contacts per interval; solid line: heads rostered on the "
                "channel; dashed: heads the service target needs (after shrinkage).</p>")
    if "staffing.png" in pngs:
        body.append(img(pngs["staffing.png"], "forecast contacts and rostered heads"))
    if "cost_service.png" in pngs:
        body.append("<h2>Cost against service level</h2>"
                    + img(pngs["cost_service.png"], "cost against service level"))
    body.append(_assumptions(scenarios, labels))
    body.append("<h2>Notes</h2><ul class='notes'>" + "".join(f"<li>{html.escape(n)}</li>"
                                                            for n in compare_notes(table, outcomes, wall_s)) + "</ul>")
    body.append(f"<p class='muted'>Generated by schedule compare on {dt.date.today().isoformat()}. Each "
                "scenario's full plan (shifts, coverage, shortfall and summary files) is in its folder "
                "beside this report.</p>")
    return page(f"Scenario comparison {week.label}", "".join(body), CSS)


def _compare_cards(table: pd.DataFrame, channels: list[str]) -> str:
    """One card per scenario: cost, paid hours, agents, service level per channel."""
    cards = []
    for rec in table.to_dict("records"):
        sl = " &middot; ".join(f"{ch} {fmt_pct(rec.get(f'service_level_{ch}'))}" for ch in channels)
        cards.append(f'<div class="card"><div class="lbl">{html.escape(rec["scenario"])}</div>'
                     f'<div class="big">CNY {fmt_int(rec["cost"])}</div>'
                     f'<div class="lbl">{fmt_int(rec["paid_hours"])} paid h &middot; '
                     f'{fmt_int(rec["agents_used"])} agents'
                     f'</div><div class="lbl">{sl}</div></div>')
    return f'<div class="cards">{"".join(cards)}</div>'


def _side_by_side(table: pd.DataFrame, scenarios: list[Scenario], channels: list[str]) -> str:
    """The comparison table, a column per scenario, below each figure its difference to the first."""
    records = table.to_dict("records")
    base = records[0]

    def row(name, key, fmt, delta=True, target=None):
        cells = [f"<td>{html.escape(name)}</td>"]
        for i, rec in enumerate(records):
            v = number(rec.get(key))
            cls = ""
            if target is not None and math.isfinite(v):
                cls = ' class="good"' if v >= target else ' class="bad"'
            text = fmt(rec.get(key))
            b = number(base.get(key))
            if delta and i > 0 and math.isfinite(v) and math.isfinite(b):
                d = v - b
                if fmt is fmt_pct:
                    dtext = f"{100 * d:+.1f} pt"
                else:
                    dtext = f"{d:+,.0f}"
                    if b:
                        dtext += f" ({100 * d / abs(b):+.0f}%)"
                text += f'<br><span class="muted">{dtext}</span>'
            cells.append(f"<td{cls}>{text}</td>")
        return "<tr>" + "".join(cells) + "</tr>"

    targets = {ch: c.service_level_target for ch, c in scenarios[0].channels.items()} if scenarios else {}
    rows = ['<tr class="section"><td colspan="99">demand</td></tr>']
    rows += [row(f"contacts {ch} in open hours", f"contacts_{ch}", fmt_int) for ch in channels]
    if any(f"forecast_contacts_{ch}" in table.columns for ch in channels):
        rows += [row(f"contacts {ch} forecast, all hours", f"forecast_contacts_{ch}", fmt_int) for ch in channels
                 if f"forecast_contacts_{ch}" in table.columns]
    rows.append(row("required agent-hours", "required_agent_hours", fmt_int))
    rows.append('<tr class="section"><td colspan="99">supply and cost</td></tr>')
    rows += [row("paid hours", "paid_hours", fmt_int), row("pay cost (CNY)", "cost", fmt_int),
             row("of which premium (CNY)", "premium_cost", fmt_int),
             row("overtime hours", "overtime_hours", fmt_int), row("agents used", "agents_used", fmt_int),
             row("agents in pool", "agents_in_pool", fmt_int)]
    rows.append('<tr class="section"><td colspan="99">service</td></tr>')
    rows += [row(f"service level {ch} (target {fmt_pct(targets.get(ch))})", f"service_level_{ch}", fmt_pct,
                 target=targets.get(ch)) for ch in channels]
    for ch in channels:
        if table[f"simulated_service_level_{ch}"].notna().any():
            rows.append(row(f"simulated service level {ch}", f"simulated_service_level_{ch}", fmt_pct))
    rows.append(row("understaffed agent-intervals", "shortfall_agent_intervals", fmt_int))
    rows.append(row("solver gap", "solver_gap", fmt_pct, delta=False))
    labels = [rec["scenario"] for rec in records]
    thead = "<thead><tr><th></th>" + "".join(f"<th>{html.escape(l)}</th>" for l in labels) + "</tr></thead>"
    return ("<h2>Side by side</h2><p class='muted'>Below each figure: the difference to "
            f"<b>{html.escape(labels[0])}</b>.</p><table>{thead}<tbody>{''.join(rows)}</tbody></table>")


def _assumptions(scenarios: list[Scenario], labels: list[str]) -> str:
    """What each scenario assumes (:func:`scenario_facts`), a column per scenario."""
    facts = [scenario_facts(sc) for sc in scenarios]
    keys = list(facts[0]) if facts else []
    cell = '<td style="text-align:left;white-space:normal">{}</td>'
    frows = "".join("<tr><td>" + html.escape(k) + "</td>"
                    + "".join(cell.format(html.escape(f[k])) for f in facts) + "</tr>" for k in keys)
    return ("<h2>What each scenario assumes</h2><table><thead><tr><th></th>"
            + "".join(f"<th style='text-align:left'>{html.escape(l)}</th>" for l in labels)
            + f"</tr></thead><tbody>{frows}</tbody></table>")


def compare_notes(table: pd.DataFrame, outcomes, wall_s: dict[str, float] | None = None) -> list[str]:
    notes = []
    by_label = {o.label: o for o in outcomes}
    for rec in table.to_dict("records"):
        lbl = rec["scenario"]
        gap = number(rec.get("solver_gap"))
        if math.isfinite(gap) and gap > 0.05:
            notes.append(f"{lbl}: the solver stopped with a gap of {100 * gap:.0f}%: the best possible roster "
                         f"may score up to {100 * gap:.0f}% lower on the objective (pay plus understaffing "
                         "penalties), so a longer roster.time_limit_s may find a cheaper or better-covered roster. "
                         "Read its cost and service level as what this roster gives, not as the best possible.")
        short = number(rec.get("shortfall_agent_intervals"))
        if math.isfinite(short) and short > 0:
            notes.append(f"{lbl}: {short:,.0f} agent-intervals are understaffed (see "
                         f"{lbl}/{rec.get('week', '')}/shortfall.csv for when, where and why).")
        o = by_label.get(lbl)
        for n in (o.summary.get("forecast_notes", []) if o else [])[:3]:
            notes.append(f"{lbl}: forecast: {n}")
    if wall_s:
        notes.append("wall time per plan: " + ", ".join(f"{k} {v:.0f} s" for k, v in wall_s.items()))
    return notes


def sweep_report(df: pd.DataFrame, keys: list[str], scenario: Scenario, week, png: bytes,
                 time_limit_s: float | None) -> str:
    """A one-page sweep report: the frontier chart and the trade-off table, Pareto points first."""
    head = (f"<h1>Trade-off sweep: {html.escape(scenario.name)}, week {html.escape(week.label)}</h1>"
            f"<p class='sub'>{len(df)} grid points over {', '.join(html.escape(k) for k in keys)}"
            + (f"; roster time limit {time_limit_s:g} s per point" if time_limit_s else "") + "</p>")
    cols = ["point", *keys, "cost", "paid_hours", "service_level_overall", "shortfall_agent_intervals",
            "solver_gap", "pareto"]
    cols = [c for c in cols if c in df.columns]
    heads = {"point": "#", "cost": "cost CNY", "paid_hours": "paid h", "service_level_overall": "service level",
             "shortfall_agent_intervals": "understaffed", "solver_gap": "gap", "pareto": "efficient",
             "promo_multiplier": "promo x", "service_level_target": "target"}
    rows = []
    for rec in df.sort_values("point")[cols].to_dict("records"):
        cells = []
        for c in cols:
            v = rec[c]
            if c in ("service_level_overall", "solver_gap"):
                cells.append(fmt_pct(v))
            elif c in ("cost", "paid_hours", "shortfall_agent_intervals"):
                cells.append(fmt_int(v))
            elif c == "pareto":
                cells.append("<b>yes</b>" if v else "")
            else:
                cells.append(html.escape(f"{v:g}" if isinstance(v, float) else str(v)))
        style = ' style="background:#fdf1f1"' if rec.get("pareto") else ""
        rows.append(f"<tr{style}>" + "".join(f"<td>{x}</td>" for x in cells) + "</tr>")
    table = ("<table><thead><tr>" + "".join(f"<th>{html.escape(heads.get(c, c))}</th>" for c in cols)
             + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
             "<p class='muted'>service level: contact-weighted over the live (queued) channels; understaffed: "
             "agent-intervals below requirement; efficient: no point of the same demand (promo multiplier) is "
             "as cheap and reaches at least the same service level.</p>")
    return page(f"Sweep {scenario.name} {week.label}", head + img(png, "frontier") + table, CSS)


__all__ = ["compare_report", "sweep_report", "scenario_facts", "compare_notes", "page", "img", "number",
           "is_missing", "fmt_int", "fmt_pct", "fmt_duration", "fmt_yes", "MISSING", "FONT_STACK"]
