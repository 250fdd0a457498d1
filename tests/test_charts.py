"""What every chart and HTML page shares: fonts, channel colours, number formats, the page template."""

from __future__ import annotations

import matplotlib

from scheduler import charts


def test_chart_fonts_put_an_installed_cjk_font_after_dejavu_sans(monkeypatch):
    before = list(matplotlib.rcParams["font.family"])
    monkeypatch.setattr(charts, "cjk_font", lambda: "Noto Sans CJK SC")
    with charts.chart_fonts(**{"font.size": 7}) as cjk:
        assert cjk and matplotlib.rcParams["font.family"] == ["DejaVu Sans", "Noto Sans CJK SC"]
        assert matplotlib.rcParams["font.size"] == 7
    assert matplotlib.rcParams["font.family"] == before
    monkeypatch.setattr(charts, "cjk_font", lambda: None)
    with charts.chart_fonts() as cjk:
        assert not cjk and matplotlib.rcParams["font.family"] == ["DejaVu Sans"]


def test_chart_labels_without_a_cjk_font():
    assert charts.cjk_label("退款 (refunds)", cjk=False) == "refunds"
    assert charts.cjk_label("退款 (refunds)", cjk=True) == "退款 (refunds)"
    assert charts.cjk_label("退款", cjk=False) == "退款" and charts.cjk_label("refunds", cjk=False) == "refunds"


def test_number_formats_share_one_mark_for_a_missing_value():
    import numpy as np
    import pandas as pd

    from scheduler.report_html import MISSING, fmt_duration, fmt_int, fmt_pct, fmt_yes

    assert fmt_pct(0.8234) == "82.3%" and fmt_pct(0.8, 0) == "80%" and fmt_int(1234.4) == "1,234"
    assert [fmt_duration(x) for x in (12.5, 30, 180, 86400)] == ["12.5 s", "30 s", "3 min", "24 h"]
    assert fmt_yes(True) == "yes" and fmt_yes(np.bool_(False)) == "no"
    for nothing in (None, np.nan, pd.NA, float("inf"), "n/a"):
        assert fmt_pct(nothing) == fmt_int(nothing) == fmt_duration(nothing) == fmt_yes(nothing) == MISSING


def test_every_page_is_one_self_contained_document():
    from scheduler.report_html import FONT_STACK, img, page

    doc = page("Service <report>", "<main>" + img(b"\x89PNG", "a chart") + "</main>", "h1{color:red}")
    assert doc.startswith("<!DOCTYPE html>") and doc.endswith("</html>\n")
    assert "<title>Service &lt;report&gt;</title>" in doc and FONT_STACK in doc and "h1{color:red}" in doc
    assert "src='data:image/png;base64,iVBORw==" in doc and "http" not in doc


def test_compare_charts_draw_each_channel_in_its_one_colour():
    import pandas as pd
    from matplotlib.colors import to_hex

    from core.names import channel_colour

    t = pd.date_range("2025-11-10", periods=24, freq="h")
    series = {"base": pd.concat([pd.DataFrame({"interval_start": t, "channel": ch, "contacts": range(24),
                                               "scheduled_heads": 2, "required_scheduled": 1})
                                 for ch in ("chat", "phone", "sms")])}
    fig = charts.staffing_figure(series, ["chat", "phone", "sms"])
    for ax, ch in zip(fig.axes[:3], ["chat", "phone", "sms"]):
        assert ax.get_title() == ch
        assert to_hex(ax.title.get_color()) == channel_colour(ch)
        assert to_hex(ax.patches[0].get_facecolor(), keep_alpha=False) == channel_colour(ch)
    assert channel_colour("sms") != channel_colour("chat")  # a channel without a colour of its own


def test_week_ticks_name_the_year_a_chain_crosses_into():
    """A chain 2025-W52:2026-W02 was drawn over "ISO week of 2025" with ticks W52, W01, W02."""
    assert charts.week_ticks(["2025-W10", "2025-W11"]) == (["W10", "W11"], "ISO week of 2025")
    assert charts.week_ticks(["2025-W52", "2026-W01", "2026-W02"]) == (
        ["2025-W52", "2026-W01", "W02"], "ISO week of 2025-2026")
    assert charts.week_ticks([]) == ([], "ISO week")
