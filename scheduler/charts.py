"""Charts (matplotlib, no display needed): the shared chart setup, and the charts of ``schedule compare``
and ``schedule sweep``.

Figures are built with the object API (``matplotlib.figure.Figure`` + the Agg canvas), never pyplot,
so they work in worker processes and on servers without a display, and leave no global state.
Every function returns a Figure; :func:`save_png` writes it and returns the PNG bytes (for the HTML
report, which embeds them).

Shared by every chart here and in :mod:`scheduler.actuals.report_charts`: :func:`chart_fonts` (one
font setup, with a CJK fallback so Chinese names draw as glyphs), :func:`save_png`,
:func:`percent_formatter` and :func:`cjk_label`.
"""

from __future__ import annotations

import functools
import io
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from core.names import channel_colour

SCENARIO_COLOURS = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c"]
DPI = 110
# Fonts with Chinese glyphs, the first installed one is the fallback after DejaVu Sans (matplotlib's own).
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
             "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC", "Arial Unicode MS", "Droid Sans Fallback")


# -- shared by every chart --------------------------------------------------------------------------
def cjk_font() -> str | None:
    """The first of :data:`CJK_FONTS` that is installed, None without one."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((n for n in CJK_FONTS if n in names), None)


@contextmanager
def chart_fonts(**rc) -> Iterator[bool]:
    """Build and save figures inside this context: ``font.family`` is DejaVu Sans, then the installed
    CJK font (Chinese text draws as glyphs, not boxes), plus the ``rc`` settings given. Yields whether a
    CJK font was found. matplotlib's note that the CJK font lacks a bold face is silenced meanwhile."""
    cjk = cjk_font()
    font_log = logging.getLogger("matplotlib.font_manager")
    level = font_log.level
    font_log.setLevel(logging.ERROR)
    try:
        with matplotlib.rc_context({"font.family": ["DejaVu Sans"] + ([cjk] if cjk else []), **rc}):
            yield cjk is not None
    finally:
        font_log.setLevel(level)


def _with_chart_fonts(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with chart_fonts():
            return func(*args, **kwargs)

    return wrapper


def cjk_label(text: str, cjk: bool) -> str:
    """Without a CJK font, '退款 (refunds)' is drawn as 'refunds' rather than as empty boxes."""
    if cjk or text.isascii():
        return text
    m = re.search(r"\(([^()]*)\)", text)
    return m.group(1) if m and m.group(1).isascii() else text


def percent_formatter() -> FuncFormatter:
    """Axis ticks of shares as whole percents: 0.85 -> '85%'."""
    return FuncFormatter(lambda v, _pos: f"{100 * v:.0f}%")


@_with_chart_fonts
def save_png(fig: Figure, path: Path | None = None, dpi: float = DPI) -> bytes:
    """Render ``fig`` as PNG; write it to ``path`` when given. Returns the bytes."""
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    data = buf.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data


# -- schedule compare and schedule sweep ------------------------------------------------------------
def _colour(i: int) -> str:
    return SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)]


@_with_chart_fonts
def staffing_figure(series: dict[str, pd.DataFrame], channels: list[str]) -> Figure:
    """Forecast contacts against scheduled staff across the week: one row of panels per scenario,
    one panel per channel. Bars: contacts per interval (left axis); lines: heads rostered on the
    channel and heads required (right axis). Axes are shared down each channel's column so scenarios
    compare at a glance."""
    labels = list(series)
    n_rows, n_cols = len(labels), max(1, len(channels))
    fig = Figure(figsize=(4.6 * n_cols + 0.6, 2.5 * n_rows + 0.9), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False, sharex=True)
    contact_max = {ch: 1.0 for ch in channels}
    head_max = {ch: 1.0 for ch in channels}
    for df in series.values():
        for ch in channels:
            sub = df[df["channel"] == ch]
            if len(sub):
                contact_max[ch] = max(contact_max[ch], float(sub["contacts"].max()))
                head_max[ch] = max(head_max[ch], float(sub[["scheduled_heads", "required_scheduled"]].max().max()))
    twins = []
    for r, label in enumerate(labels):
        df = series[label]
        for c, ch in enumerate(channels):
            ax = axes[r, c]
            sub = df[df["channel"] == ch].sort_values("interval_start")
            colour = channel_colour(ch)
            if len(sub):
                t = pd.to_datetime(sub["interval_start"])
                step = (t.iloc[1] - t.iloc[0]) if len(t) > 1 else pd.Timedelta(hours=1)
                width = step / pd.Timedelta(days=1)
                ax.bar(t, sub["contacts"], width=width, align="edge", color=colour, alpha=0.28,
                       label="contacts (forecast)")
                tw = ax.twinx()
                twins.append(tw)
                edges = list(t) + [t.iloc[-1] + step]
                tw.stairs(sub["required_scheduled"].to_numpy(float), edges, color="#222222", lw=0.9,
                          ls=(0, (2, 1.5)), label="heads required")
                tw.stairs(sub["scheduled_heads"].to_numpy(float), edges, color=colour, lw=1.4,
                          label="heads rostered")
                tw.set_ylim(0, head_max[ch] * 1.12)
                if c == n_cols - 1:
                    tw.set_ylabel("heads")
                days = pd.date_range(t.iloc[0].normalize(), t.iloc[-1].normalize(), freq="D")
                ax.set_xticks(days + pd.Timedelta(hours=12))
                ax.set_xticklabels([d.strftime("%a\n%m-%d") for d in days], fontsize=8)
                for d in days[1:]:
                    ax.axvline(d, color="#bbbbbb", lw=0.5)
                ax.set_xlim(edges[0], edges[-1])
            ax.set_ylim(0, contact_max[ch] * 1.12)
            ax.tick_params(axis="y", labelsize=8)
            if c == 0:
                ax.set_ylabel(f"{label}\ncontacts / interval", fontsize=9)
            if r == 0:
                ax.set_title(ch, fontsize=11, color=colour, fontweight="bold")
    handles, names = axes[0, 0].get_legend_handles_labels()
    if twins:
        h2, n2 = twins[0].get_legend_handles_labels()
        handles, names = handles + h2, names + n2
    fig.legend(handles, names, loc="outside lower center", ncol=3, fontsize=9, frameon=False)
    fig.suptitle("Forecast contacts and rostered heads per interval", fontsize=12)
    return fig


@_with_chart_fonts
def cost_service_figure(table: pd.DataFrame, channels: list[str]) -> Figure:
    """Weekly pay cost against the service level reached, per scenario: one marker per channel on
    the scenario's cost line, with the channel's target as a dotted vertical line where known."""
    fig = Figure(figsize=(7.6, 4.4), layout="constrained")
    ax = fig.subplots()
    markers = {"chat": "o", "phone": "s", "email": "^"}
    costs = table["cost"].to_numpy(float)
    for i, row in enumerate(table.itertuples(index=False)):
        rec = row._asdict()
        xs = [rec.get(f"service_level_{ch}") for ch in channels]
        pts = [(x, ch) for x, ch in zip(xs, channels) if x is not None and np.isfinite(x)]
        if not pts:
            continue
        lo, hi = min(p[0] for p in pts), max(p[0] for p in pts)
        ax.plot([100 * lo, 100 * hi], [rec["cost"], rec["cost"]], color=_colour(i), lw=2, alpha=0.5)
        for x, ch in pts:
            ax.scatter(100 * x, rec["cost"], marker=markers.get(ch, "o"), s=70, color=_colour(i),
                       edgecolor="white", zorder=3)
        ax.annotate(f"{rec['scenario']}: CNY {rec['cost']:,.0f}", (50 * (lo + hi), rec["cost"]), xytext=(0, 9),
                    textcoords="offset points", ha="center", va="bottom", fontsize=9, color=_colour(i),
                    fontweight="bold")
    for ch in channels:
        ax.scatter([], [], marker=markers.get(ch, "o"), color="#666666", label=ch)
    ax.set_xlabel("service level reached over the week [%] (contact-weighted, open hours)")
    ax.set_ylabel("pay cost of the week [CNY]")
    finite = costs[np.isfinite(costs)]
    if len(finite):
        ax.set_ylim(0, finite.max() * 1.15)
    ax.set_xlim(-4, 104)
    ax.axvspan(80, 104, color="#2ca02c", alpha=0.06, lw=0)
    ax.text(81, ax.get_ylim()[1] * 0.97, "80% and above", fontsize=8, color="#2ca02c", va="top")
    ax.grid(alpha=0.3)
    ax.legend(title="channel", fontsize=8, title_fontsize=8, loc="lower left")
    ax.set_title("Cost against service level, per scenario", fontsize=12)
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    return fig


@_with_chart_fonts
def frontier_figure(df: pd.DataFrame, keys: list[str], x: str = "service_level_overall", y: str = "cost",
                    title: str = "Cost against service level: the sweep's trade-off",
                    groups: list[str] | None = None) -> Figure:
    """Every sweep point (small, labelled with its point number) and the Pareto-efficient ones (no other
    point of its group is as cheap and at least as good; large, joined in cost order, labelled with
    their grid values). ``groups``: keys whose values form separate fronts (one colour each), e.g.
    ``promo_multiplier`` (demand, not a decision)."""
    fig = Figure(figsize=(8.8, 5.4), layout="constrained")
    ax = fig.subplots()
    ok = df[np.isfinite(df[x].astype(float)) & np.isfinite(df[y].astype(float))]
    groups = [g for g in (groups or []) if g in ok.columns]
    parts = list(ok.groupby(groups, sort=True)) if groups else [((), ok)]
    for i, (gval, part) in enumerate(parts):
        colour = "#c44e52" if not groups else _colour(i)
        gval = gval if isinstance(gval, tuple) else (gval,)
        name = ", ".join(_label(k, v) for k, v in zip(groups, gval)) if groups else ""
        other = part[~part["pareto"].astype(bool)]
        front = part[part["pareto"].astype(bool)].sort_values(y)
        ax.scatter(100 * other[x], other[y], s=30, color=colour if groups else "#9a9a9a", alpha=0.55, zorder=2)
        if len(front) > 1:
            ax.plot(100 * front[x], front[y], color=colour, lw=1.6, zorder=3)
        ax.scatter(100 * front[x], front[y], s=80, color=colour, edgecolor="white", zorder=4,
                   label=f"efficient at {name}" if groups else "Pareto-efficient")
        for rec in other.to_dict("records"):
            ax.annotate(f"{rec['point']}", (100 * rec[x], rec[y]), xytext=(4, 3), textcoords="offset points",
                        fontsize=7, color="#707070")
        for rec in front.to_dict("records"):
            text = f"#{rec['point']}: " + ", ".join(_label(k, rec[k]) for k in keys if k not in groups)
            ax.annotate(text, (100 * rec[x], rec[y]), xytext=(-6, -4), textcoords="offset points", fontsize=8,
                        color=colour, ha="right", va="top", fontweight="bold")
    ax.scatter([], [], s=30, color="#9a9a9a", label="dominated point (its number)")
    ax.margins(x=0.08, y=0.12)
    ax.set_xlabel("service level reached [%] (contact-weighted over the live channels)")
    ax.set_ylabel("pay cost of the week [CNY]")
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    ax.set_title(title, fontsize=12)
    return fig


def _label(key: str, value) -> str:
    v = f"{value:g}" if isinstance(value, float) else str(value)
    if key == "promo_multiplier":
        return f"x{v}"
    if key == "service_level_target":
        return f"target {v}"
    return f"{key.split('.')[-1]}={v}"


@_with_chart_fonts
def weeks_figure(table: pd.DataFrame, channels: list[str], targets: dict[str, float] | None = None) -> Figure:
    """Chained weeks (``year_summary.csv``): the service level of each channel by week (lines, the
    channel's target dotted), and the week's pay cost by week (bars, the premium above the base rate
    darker)."""
    fig = Figure(figsize=(max(7.5, 0.22 * len(table) + 3.5), 6.2), layout="constrained")
    ax_sl, ax_cost = fig.subplots(2, 1, sharex=True, height_ratios=[1.1, 1.0])
    x = np.arange(len(table))
    for ch in channels:
        col = f"service_level_{ch}"
        if col not in table:
            continue
        colour = channel_colour(ch)
        ax_sl.plot(x, 100 * table[col].astype(float), marker="o", ms=3, lw=1.4, color=colour, label=ch)
        if targets and ch in targets:
            ax_sl.axhline(100 * targets[ch], color=colour, lw=0.8, ls=":")
    ax_sl.set_ylabel("service level [%]")
    ax_sl.set_ylim(0, 102)
    ax_sl.grid(alpha=0.3)
    ax_sl.legend(fontsize=8, ncol=len(channels), loc="lower left")
    ax_sl.set_title("Service level and pay cost by week (targets dotted)", fontsize=12)
    cost = table["cost"].astype(float).to_numpy()
    premium = table["premium_cost"].astype(float).to_numpy()
    ax_cost.bar(x, cost - premium, color="#4c72b0", alpha=0.55, label="base pay")
    ax_cost.bar(x, premium, bottom=cost - premium, color="#c44e52", alpha=0.8, label="premium (overtime, holidays)")
    ax_cost.set_ylabel("pay cost [CNY]")
    if len(cost) and np.isfinite(cost).any():
        ax_cost.set_ylim(0, np.nanmax(cost) * 1.3)  # room for the legend
    ax_cost.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    ax_cost.grid(alpha=0.3, axis="y")
    ax_cost.legend(fontsize=8, loc="upper left")
    step = max(1, len(table) // 26)
    ax_cost.set_xticks(x[::step])
    labels, title = week_ticks([str(w) for w in table["week"].iloc[::step]])
    ax_cost.set_xticklabels(labels, fontsize=8)
    ax_cost.set_xlabel(title)
    return fig


def week_ticks(weeks: list[str]) -> tuple[list[str], str]:
    """Tick labels and axis title for ISO weeks ``YYYY-Www``: ``Www`` under "ISO week of 2025"; a chain
    that crosses a year labels the first week of each year in full (``2026-W01``) under "ISO week of
    2025-2026", where it read "ISO week of 2025" over 2026's weeks."""
    years = sorted({w[:4] for w in weeks})
    if len(years) <= 1:
        return [w[-3:] for w in weeks], f"ISO week of {years[0]}" if years else "ISO week"
    labels = [w if i == 0 or w[:4] != weeks[i - 1][:4] else w[-3:] for i, w in enumerate(weeks)]
    return labels, f"ISO week of {years[0]}-{years[-1]}"
