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
