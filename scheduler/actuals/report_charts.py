"""The charts of the actuals report (matplotlib, Agg canvas), as PNG for the HTML page.

matplotlib takes half a second to import: :mod:`scheduler.actuals.report_page` imports this module only
when it draws a page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure

from core.names import channel_colour
from scheduler.actuals.kpi import TOP_TOPICS, channel_order
from scheduler.charts import chart_fonts, cjk_label, percent_formatter, save_png
from scheduler.report_html import fmt_pct, is_missing

if TYPE_CHECKING:
    from scheduler.actuals.report import Report


_LOOK = {"font.size": 9, "figure.constrained_layout.use": True, "axes.spines.top": False,
         "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3, "axes.titlesize": 10,
         "axes.titleweight": "bold"}
_DPI = 108


def render_charts(report: Report) -> dict[str, bytes | None]:
    """``contacts``, ``sl``, ``topics`` and ``plan``: PNG, None where there is nothing to draw."""
    with chart_fonts(**_LOOK) as cjk:
        return {"contacts": _chart_contacts(report), "sl": _chart_service_level(report),
                "topics": _chart_topics(report, cjk), "plan": _chart_plan(report)}


def _png(fig: Figure) -> bytes:
    return save_png(fig, dpi=_DPI)


def _chart_contacts(report: Report) -> bytes | None:
    bh = report.by_hour
    if bh.empty or bh["contacts"].sum() == 0:
        return None
    chans = [c for c in report.summary["channel"] if c != "total" and bh.loc[bh["channel"] == c, "contacts"].sum() > 0]
    fig = Figure(figsize=(10, 1.3 + 1.7 * len(chans)))
    axes = fig.subplots(len(chans), 1, sharex=True, squeeze=False)[:, 0]
    ts = pd.to_datetime(bh["date"]) + pd.to_timedelta(bh["hour"], unit="h")
    one_day = report.period.kind == "day" or bh["date"].nunique() == 1
    for ax, ch in zip(axes, chans):
        sel = (bh["channel"] == ch).to_numpy()
        x, y = ts[sel].to_numpy(), bh.loc[sel, "contacts"].to_numpy()
        color = channel_colour(ch)
        if one_day:
            ax.bar(x, y, width=1 / 24 * 0.85, align="edge", color=color)
        else:
            ax.fill_between(x, y, step="post", color=color, alpha=0.25, linewidth=0)
            ax.step(x, y, where="post", color=color, linewidth=0.9)
        ax.set_ylabel("contacts / h")
        ax.set_title(f"{ch}: {int(y.sum()):,} contacts", loc="left")
        ax.set_ylim(bottom=0)
    if one_day:
        axes[-1].xaxis.set_major_formatter(DateFormatter("%H:%M"))
    else:
        fig.autofmt_xdate()
    fig.suptitle("Contacts per hour by channel", x=0.01, ha="left", fontweight="bold")
    return _png(fig)


def _chart_service_level(report: Report) -> bytes | None:
    bd = report.by_day
    s = report.summary[report.summary["channel"] != "total"]
    s = s[s["contacts"] > 0]
    if s.empty:
        return None
    fig = Figure(figsize=(10, 3.6))
    ax = fig.subplots()
    dates = sorted(bd["date"].unique())
    if len(dates) <= 1:  # one day: bars per channel with target markers
        x = np.arange(len(s))
        ax.bar(x, s["service_level"].fillna(0), color=[channel_colour(c) for c in s["channel"]],
               width=0.55)
        ax.hlines(s["target"], x - 0.36, x + 0.36, color="#0f172a", linewidth=2, zorder=3, label="target")
        ax.set_xticks(x, s["channel"])
        for xi, v in zip(x, s["service_level"]):
            if not is_missing(v):
                ax.annotate(fmt_pct(v), (xi, v / 2), ha="center", va="center", fontsize=11, color="white",
                            fontweight="bold")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        ax.set_ylim(0, 1.08)
        title = "Service level vs target"
    else:
        for ch in s["channel"]:
            f = bd[bd["channel"] == ch]
            color = channel_colour(ch)
            ax.plot(pd.to_datetime(f["date"]), f["service_level"], marker="o", markersize=3, color=color,
                    linewidth=1.4, label=f"{ch}")
            tgt = s.loc[s["channel"] == ch, "target"].iloc[0]
            if not is_missing(tgt):
                ax.axhline(tgt, color=color, linestyle="--", linewidth=0.9, alpha=0.8)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, title="dashed: target",
                  title_fontsize=8)
        fig.autofmt_xdate()
        lo = np.nanmin(np.r_[bd["service_level"].to_numpy(dtype=float), s["target"].to_numpy(dtype=float), 1.0])
        ax.set_ylim(max(0.0, min(lo - 0.05, 0.7)), 1.02)
        title = "Service level per day vs target"
    ax.yaxis.set_major_formatter(percent_formatter())
    ax.set_title(title, loc="left")
    return _png(fig)


def _chart_topics(report: Report, cjk: bool) -> bytes | None:
    t = report.topics
    chans = [c for c in report.summary["channel"] if c != "total" and (t["channel"] == c).any()]
    if not chans:
        return None
    fig = Figure(figsize=(10, 0.6 + 0.32 * TOP_TOPICS))
    axes = fig.subplots(1, len(chans), squeeze=False)[0]
    for ax, ch in zip(axes, chans):
        f = t[t["channel"] == ch].sort_values("rank", ascending=False)
        ax.barh([cjk_label(x, cjk) for x in f["topic"]], f["share"], color=channel_colour(ch))
        ax.xaxis.set_major_formatter(percent_formatter())
        ax.set_title(ch, loc="left")
        ax.grid(axis="y", visible=False)
        ax.tick_params(axis="y", labelsize=8)
    fig.suptitle("Top topics (share of the channel's contacts)", x=0.01, ha="left", fontweight="bold")
    return _png(fig)


def _chart_plan(report: Report) -> bytes | None:
    pi = report.plan_intervals
    if pi is None or pi.empty:
        return None
    chans = [c for c in channel_order(pi["channel"].unique())
             if pi.loc[pi["channel"] == c, ["forecast", "actual"]].to_numpy().sum() > 0]
    if not chans:
        return None
    fig = Figure(figsize=(10, 1.3 + 1.7 * len(chans)))
    axes = fig.subplots(len(chans), 1, sharex=True, squeeze=False)[:, 0]
    for ax, ch in zip(axes, chans):
        f = pi[pi["channel"] == ch].sort_values("interval_start")
        color = channel_colour(ch)
        ax.plot(f["interval_start"], f["actual"], color=color, linewidth=1.2, label="actual")
        ax.plot(f["interval_start"], f["forecast"], color="#0f172a", linewidth=0.9, linestyle="--", label="forecast")
        ax.set_title(ch, loc="left")
        ax.set_ylim(bottom=0)
        ax.set_ylabel("contacts / interval")
    axes[0].legend(loc="upper right", frameon=False, ncols=2)
    fig.autofmt_xdate()
    fig.suptitle("Forecast vs actual arrivals", x=0.01, ha="left", fontweight="bold")
    return _png(fig)

