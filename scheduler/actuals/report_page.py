"""The actuals report as one self-contained HTML page (inline CSS, charts as base64 PNG)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from scheduler.actuals.report import Report

CHANNEL_COLORS = {"chat": "#2563eb", "phone": "#ea580c", "email": "#16a34a", "total": "#334155"}


def _missing(x) -> bool:
    return x is None or x is pd.NA or (isinstance(x, float) and not np.isfinite(x))


def _pct(x, digits: int = 1) -> str:
    return "–" if _missing(x) else f"{100 * float(x):.{digits}f}%"


def _dur(x) -> str:
    if _missing(x):
        return "–"
    x = float(x)
    if x < 120:
        text, unit = f"{x:.1f}", "s"
    elif x < 7200:
        text, unit = f"{x / 60:.1f}", "min"
    else:
        text, unit = f"{x / 3600:.1f}", "h"
    return f"{text.removesuffix('.0')} {unit}"


def _yes(x) -> str:
    return "–" if _missing(x) else ("yes" if bool(x) else "no")


def _met_class(x) -> str:
    return "na" if _missing(x) else ("ok" if bool(x) else "bad")


_CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,"Noto Sans","PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",
     sans-serif;
     color:#0f172a;background:#f8fafc;margin:0;padding:24px 32px;line-height:1.45}
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


def _int(x) -> str:
    return "–" if _missing(x) else f"{int(x):,}"


def _summary_table(s: pd.DataFrame) -> str:
    head = ("<tr><th>channel</th><th>contacts</th><th>answered</th><th>abandoned</th><th>service level</th>"
            "<th>threshold</th><th>target</th><th>met</th><th>avg response</th><th>avg resolution</th>"
            "<th>satisfaction</th><th>rated</th><th>VIP service level</th></tr>")
    rows = []
    for r in s.itertuples(index=False):
        cls = _met_class(r.met)
        rows.append(
            f"<tr class='{'total' if r.channel == 'total' else ''}'><td>{_e(r.channel)}</td><td>{_int(r.contacts)}</td>"
            f"<td>{_int(r.answered)}</td><td>{_int(r.abandoned)}</td><td class='{cls}'>{_pct(r.service_level)}</td>"
            f"<td>{_dur(r.threshold_s)}</td><td>{_pct(r.target)}</td><td class='{cls}'>{_yes(r.met)}</td>"
            f"<td>{_dur(r.avg_response_s)}</td><td>{_dur(r.avg_resolution_s)}</td>"
            f"<td>{_pct(r.satisfaction_rate)}</td><td>{_int(r.rated)}</td><td>{_pct(r.vip_service_level)}</td></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _cards(s: pd.DataFrame) -> str:
    out = []
    for r in s.itertuples(index=False):
        cls = _met_class(r.met)
        color = CHANNEL_COLORS.get(r.channel, "#64748b")
        out.append(
            f"<div class='card'><div class='ch' style='color:{color}'>{_e(r.channel)}</div>"
            f"<div class='sl {cls}'>{_pct(r.service_level)}</div>"
            f"<div class='meta'>target {_pct(r.target, 0)}"
            f"{' within ' + _dur(r.threshold_s) if not _missing(r.threshold_s) else ''}</div>"
            f"<div class='meta'>{_int(r.contacts)} contacts · ASA {_dur(r.avg_response_s)} · "
            f"CSAT {_pct(r.satisfaction_rate, 0)}</div></div>")
    return f"<div class='cards'>{''.join(out)}</div>"


def _topics_tables(t: pd.DataFrame, channels: list[str]) -> str:
    blocks = []
    for ch in channels + ["total"]:
        f = t[t["channel"] == ch]
        if f.empty:
            continue
        rows = "".join(f"<tr><td>{r.rank}</td><td class='l'>{_e(r.topic)}</td><td>{_int(r.contacts)}</td>"
                       f"<td>{_pct(r.share)}</td></tr>" for r in f.itertuples(index=False))
        blocks.append(f"<div><table><tr><th colspan='4' class='l'>{_e(ch)}</th></tr>"
                      f"<tr><th>#</th><th class='l'>topic</th><th>contacts</th><th>share</th></tr>{rows}</table></div>")
    return f"<div class='topics'>{''.join(blocks)}</div>"


def _plan_table(p: pd.DataFrame) -> str:
    head = ("<tr><th>week</th><th class='l'>channel</th><th>forecast</th><th>actual</th><th>WAPE</th><th>bias</th>"
            "<th>forecast AHT</th><th>actual AHT</th><th>required agents</th><th>scheduled agents</th>"
            "<th>understaffed intervals</th></tr>")
    rows = []
    for r in p.itertuples(index=False):
        bias = "–" if _missing(r.bias) else f"{100 * r.bias:+.1f}%"
        rows.append(
            f"<tr class='{'total' if r.channel == 'total' else ''}'><td>{_e(r.week)}</td>"
            f"<td class='l'>{_e(r.channel)}</td>"
            f"<td>{_int(round(r.forecast_contacts))}</td><td>{_int(r.actual_contacts)}</td><td>{_pct(r.wape)}</td>"
            f"<td>{bias}</td><td>{_dur(r.forecast_aht_s)}</td><td>{_dur(r.actual_aht_s)}</td>"
            f"<td>{'–' if _missing(r.mean_required_agents) else f'{r.mean_required_agents:.1f}'}</td>"
            f"<td>{'–' if _missing(r.mean_scheduled_agents) else f'{r.mean_scheduled_agents:.1f}'}</td>"
            f"<td>{_int(r.understaffed_intervals)}</td></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _img(b64: str | None, alt: str) -> str:
    if not b64:
        return f"<p class='na'>{_e(alt)}: no data.</p>"
    return f"<img alt='{_e(alt)}' src='data:image/png;base64,{b64}'>"


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
                f"{_plan_table(report.plan_vs_actual)}{_img(charts['plan'], 'Forecast vs actual arrivals')}")
    defs = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in _DEFS)
    title = f"Service report {per.label}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{_e(title)}</title><style>{_CSS}</style></head>
<body><main>
<h1>{_e(title)}</h1>
<div class="sub">{_e(per.describe())} · scenario <b>{_e(report.scenario_name)}</b> · database {_e(report.db_path)}
 · generated {report.generated_at:%Y-%m-%d %H:%M}</div>
{f'<ul class="notes">{notes}</ul>' if notes else ''}
{_cards(report.summary)}
<h2>Per channel</h2>
{_summary_table(report.summary)}
<h2>Contacts</h2>
{_img(charts['contacts'], 'Contacts per hour by channel')}
<h2>Service level</h2>
{_img(charts['sl'], 'Service level per day vs target')}
<h2>Most common questions</h2>
{_img(charts['topics'], 'Top topics')}
{_topics_tables(report.topics, channels)}
{plan}
<h2>Definitions</h2>
<dl class="defs">{defs}</dl>
</main></body></html>
"""
