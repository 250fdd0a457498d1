"""The actuals report as one self-contained HTML page (:func:`scheduler.report_html.page`, charts inline)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import pandas as pd

from core.names import channel_colour
from scheduler.report_html import MISSING, fmt_duration, fmt_int, fmt_pct, fmt_yes, img, is_missing, page

if TYPE_CHECKING:
    from scheduler.actuals.report import Report


def _met_class(x) -> str:
    return "na" if is_missing(x) else ("ok" if bool(x) else "bad")


_CSS = """
body{color:#0f172a;background:#f8fafc;margin:0;padding:24px 32px;line-height:1.45}
main{max-width:1080px;margin:0 auto}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid #e2e8f0;padding-bottom:4px}
.sub{color:#475569;font-size:13px;margin-bottom:20px}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{background:#fff;border:1px solid #e2e8f0;border-radius:10px;padding:12px 16px;min-width:170px;flex:1}
.card .ch{font-weight:600;text-transform:uppercase;font-size:12px;letter-spacing:.05em}
.card .sl{font-size:30px;font-weight:700;margin:2px 0}
.card .meta{font-size:12px;color:#475569}
.ok{color:#15803d}.bad{color:#b91c1c}.na{color:#64748b}
table{border-collapse:collapse;background:#fff;font-size:13px;width:100%;border:1px solid #e2e8f0}
th,td{padding:6px 10px;border-bottom:1px solid #e2e8f0;text-align:right;white-space:nowrap}
th{background:#f1f5f9;font-weight:600} td:first-child,th:first-child{text-align:left}
tr.total td{font-weight:700;background:#f8fafc}
td.l,th.l{text-align:left}
img{width:100%;box-sizing:border-box;background:#fff;border:1px solid #e2e8f0;border-radius:8px;margin:8px 0}
.notes{background:#fffbeb;border:1px solid #fde68a;border-radius:8px;padding:8px 14px;font-size:13px}
.defs{font-size:12px;color:#334155} .defs dt{font-weight:600;margin-top:6px}
.topics{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:12px}
"""

_DEFS = [
    ("service level", "contacts answered within the channel's threshold (chat 30 s, phone 20 s, email its "
                      "response window), divided by all contacts that arrived; abandoned and unanswered "
                      "contacts count as missed."),
    ("avg response", "mean of answered_at - arrived_at over answered contacts."),
    ("avg resolution", "mean of ended_at - arrived_at over answered contacts with an end time."),
    ("satisfaction", "share of rated contacts scoring 4 or 5."),
    ("total", "all contacts pooled, each against its own channel's threshold; its target is the "
              "contact-weighted mean of the channel targets."),
    ("WAPE / bias", "sum |forecast - actual| / sum actual over the plan's intervals; bias = (sum forecast - "
                    "sum actual) / sum actual, positive when the forecast was too high."),
]


def _e(x) -> str:
    return html.escape(str(x))


def _summary_table(s: pd.DataFrame) -> str:
    head = ("<tr><th>channel</th><th>contacts</th><th>answered</th><th>abandoned</th><th>service level</th>"
            "<th>threshold</th><th>target</th><th>met</th><th>avg response</th><th>avg resolution</th>"
            "<th>satisfaction</th><th>rated</th><th>VIP service level</th></tr>")
    rows = []
    for r in s.itertuples(index=False):
        cls = _met_class(r.met)
        rows.append(
            f"<tr class='{'total' if r.channel == 'total' else ''}'><td>{_e(r.channel)}</td>"
            f"<td>{fmt_int(r.contacts)}</td><td>{fmt_int(r.answered)}</td><td>{fmt_int(r.abandoned)}</td>"
            f"<td class='{cls}'>{fmt_pct(r.service_level)}</td>"
            f"<td>{fmt_duration(r.threshold_s)}</td><td>{fmt_pct(r.target)}</td><td class='{cls}'>{fmt_yes(r.met)}</td>"
            f"<td>{fmt_duration(r.avg_response_s)}</td><td>{fmt_duration(r.avg_resolution_s)}</td>"
            f"<td>{fmt_pct(r.satisfaction_rate)}</td><td>{fmt_int(r.rated)}</td><td>{fmt_pct(r.vip_service_level)}</td></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _cards(s: pd.DataFrame) -> str:
    out = []
    for r in s.itertuples(index=False):
        cls = _met_class(r.met)
        color = channel_colour(r.channel)
        out.append(
            f"<div class='card'><div class='ch' style='color:{color}'>{_e(r.channel)}</div>"
            f"<div class='sl {cls}'>{fmt_pct(r.service_level)}</div>"
            f"<div class='meta'>target {fmt_pct(r.target, 0)}"
            f"{' within ' + fmt_duration(r.threshold_s) if not is_missing(r.threshold_s) else ''}</div>"
            f"<div class='meta'>{fmt_int(r.contacts)} contacts · ASA {fmt_duration(r.avg_response_s)} · "
            f"CSAT {fmt_pct(r.satisfaction_rate, 0)}</div></div>")
    return f"<div class='cards'>{''.join(out)}</div>"


def _topics_tables(t: pd.DataFrame, channels: list[str]) -> str:
    blocks = []
    for ch in channels + ["total"]:
        f = t[t["channel"] == ch]
        if f.empty:
            continue
        rows = "".join(f"<tr><td>{r.rank}</td><td class='l'>{_e(r.topic)}</td><td>{fmt_int(r.contacts)}</td>"
                       f"<td>{fmt_pct(r.share)}</td></tr>" for r in f.itertuples(index=False))
        blocks.append(f"<div><table><tr><th colspan='4' class='l'>{_e(ch)}</th></tr>"
                      f"<tr><th>#</th><th class='l'>topic</th><th>contacts</th><th>share</th></tr>{rows}</table></div>")
    return f"<div class='topics'>{''.join(blocks)}</div>"


def _plan_table(p: pd.DataFrame) -> str:
    head = ("<tr><th>week</th><th class='l'>channel</th><th>forecast</th><th>actual</th><th>WAPE</th><th>bias</th>"
            "<th>forecast AHT</th><th>actual AHT</th><th>required agents</th><th>scheduled agents</th>"
            "<th>understaffed intervals</th></tr>")
    rows = []
    for r in p.itertuples(index=False):
        bias = MISSING if is_missing(r.bias) else f"{100 * r.bias:+.1f}%"
        rows.append(
            f"<tr class='{'total' if r.channel == 'total' else ''}'><td>{_e(r.week)}</td>"
            f"<td class='l'>{_e(r.channel)}</td>"
            f"<td>{fmt_int(round(r.forecast_contacts))}</td><td>{fmt_int(r.actual_contacts)}</td><td>{fmt_pct(r.wape)}</td>"
            f"<td>{bias}</td><td>{fmt_duration(r.forecast_aht_s)}</td><td>{fmt_duration(r.actual_aht_s)}</td>"
            f"<td>{MISSING if is_missing(r.mean_required_agents) else f'{r.mean_required_agents:.1f}'}</td>"
            f"<td>{MISSING if is_missing(r.mean_scheduled_agents) else f'{r.mean_scheduled_agents:.1f}'}</td>"
            f"<td>{fmt_int(r.understaffed_intervals)}</td></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _chart(png: bytes | None, alt: str) -> str:
    return img(png, alt) if png else f"<p class='na'>{_e(alt)}: no data.</p>"


def render_html(report: Report) -> str:
    """One self-contained page (inline CSS, charts as base64 PNG)."""
    from scheduler.actuals.report_charts import render_charts  # matplotlib, only when a page is drawn

    charts = render_charts(report)
    per = report.period
    channels = [c for c in report.summary["channel"] if c != "total"]
    notes = "".join(f"<li>{_e(n)}</li>" for n in report.notes)
    plan = ""
    if report.plan_vs_actual is not None:
        plans = sorted(set(report.plan_vs_actual["plan"]))
        plan = (f"<h2>Plan vs actual</h2><p class='sub'>Plan: {', '.join(_e(p) for p in plans)}</p>"
                f"{_plan_table(report.plan_vs_actual)}{_chart(charts['plan'], 'Forecast vs actual arrivals')}")
    defs = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in _DEFS)
    title = f"Service report {per.label}"
    body = f"""<main>
<h1>{_e(title)}</h1>
<div class="sub">{_e(per.describe())} · scenario <b>{_e(report.scenario_name)}</b> · database {_e(report.db_path)}
 · generated {report.generated_at:%Y-%m-%d %H:%M}</div>
{f'<ul class="notes">{notes}</ul>' if notes else ''}
{_cards(report.summary)}
<h2>Per channel</h2>
{_summary_table(report.summary)}
<h2>Contacts</h2>
{_chart(charts['contacts'], 'Contacts per hour by channel')}
<h2>Service level</h2>
{_chart(charts['sl'], 'Service level per day vs target')}
<h2>Most common questions</h2>
{_chart(charts['topics'], 'Top topics')}
{_topics_tables(report.topics, channels)}
{plan}
<h2>Definitions</h2>
<dl class="defs">{defs}</dl>
</main>"""
    return page(title, body, _CSS)
