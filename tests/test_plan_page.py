"""The plan's page (report.html): self-contained, names inert, the Gantt and the heat map drawn from the plan."""

from __future__ import annotations

import csv
import datetime as dt
import re
from html.parser import HTMLParser

import pandas as pd
import pytest
from typer.testing import CliRunner

from core.names import channel_colour
from scheduler.cli import app
from scheduler.plan_page import (
    IDLE_FILL,
    MET_FILL,
    OVER_FILLS,
    SHORT_FILLS,
    PageData,
    friendly_section,
    heat_fill,
    plan_page,
    shortfall_runs,
)

SCRIPT_NAME = "<script>alert('x')</script>"
FORMULA_NAME = '=HYPERLINK("http://evil.example/?q=1","click")'
QUOTE_NAME = "O'Neil \"Q\" & 陆"
MON, TUE = dt.date(2025, 11, 10), dt.date(2025, 11, 11)


class Page(HTMLParser):
    """Every tag with its attributes, and the text, of an HTML document."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def count(self, tag: str, **attrs) -> int:
        return sum(1 for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items()))


def _ts(day: dt.date, hhmm: str) -> pd.Timestamp:
    return pd.Timestamp(f"{day.isoformat()} {hhmm}")


def tiny_data() -> PageData:
    """Two days, three agents (hostile names and team), 09:00-18:00 shifts with a lunch."""
    rows = [("A1", SCRIPT_NAME, MON, "09:00", "18:00", "12:00"), ("A1", SCRIPT_NAME, TUE, "09:00", "18:00", "12:00"),
            ("A2", FORMULA_NAME, MON, "10:00", "19:00", "13:00"), ("A3", QUOTE_NAME, TUE, "09:00", "13:00", None)]
    shifts = pd.DataFrame([{"agent_id": a, "agent_name": n, "date": d, "shift_start": _ts(d, s), "shift_end": _ts(d, e),
                            "lunch_start": _ts(d, lu) if lu else pd.NaT,
                            "lunch_end": _ts(d, lu) + pd.Timedelta(hours=1) if lu else pd.NaT,
                            "paid_hours": 8.0 if lu else 4.0, "channels": "chat"} for a, n, d, s, e, lu in rows])
    assign = []
    for r in shifts.itertuples():
        t = r.shift_start
        while t < r.shift_end:
            if pd.isna(r.lunch_start) or not (r.lunch_start <= t < r.lunch_end):
                assign.append({"interval_start": t, "agent_id": r.agent_id,
                               "channel": "phone" if r.agent_id == "A1" and t.hour >= 15 else "chat"})
            t += pd.Timedelta(hours=1)
    assignments = pd.DataFrame(assign)
    cov = []
    for d in (MON, TUE):
        for h in range(24):
            at = _ts(d, f"{h:02d}:00")
            for ch in ("chat", "phone"):
                heads = int(((assignments["interval_start"] == at) & (assignments["channel"] == ch)).sum())
                need = 2 if ch == "chat" and 9 <= h < 18 else 0
                cov.append({"interval_start": at, "channel": ch, "required_scheduled": need - 0.4 if need else 0,
                            "scheduled_heads": heads, "open": 9 <= h < 18})
    coverage = pd.DataFrame(cov)
    short = coverage[coverage["scheduled_heads"] < coverage["required_scheduled"].apply(lambda x: -(-x // 1))]
    shortfall = short.assign(required_scheduled=2, missing=2 - short["scheduled_heads"],
                             cause=f"cost {SCRIPT_NAME}")[["interval_start", "channel", "required_scheduled",
                                                          "scheduled_heads", "missing", "cause"]]
    summary = {"week": "2025-W46", "dates": [MON.isoformat(), TUE.isoformat()], "scenario": "<b>evil</b>",
               "channels": {"chat": {"contacts": 120.0, "answer_within": "30 s", "service_level": 0.91, "target": 0.8,
                                     "asa_s": 4.2}},
               "day_types": {MON.isoformat(): "weekday", TUE.isoformat(): "weekday"},
               "warnings": [f"heavy shortfall {SCRIPT_NAME}"], "cost": 1000.0, "solver": {"status": "OPTIMAL"}}
    return PageData(summary=summary, shifts=shifts, coverage=coverage, shortfall=shortfall.reset_index(drop=True),
                    assignments=assignments, teams={"A1": "<i>A组</i>", "A2": "<i>A组</i>", "A3": ""}, interval_min=60)


def check_self_contained_and_inert(text: str, names: list[str]) -> Page:
    """No script, no element or attribute that loads anything; every name only as text."""
    doc = Page(text)
    tags = {t for t, _ in doc.tags}
    assert not tags & {"script", "link", "iframe", "object", "embed", "base", "meta http-equiv"}, tags
    for tag, attrs in doc.tags:
        for key, value in attrs.items():
            assert not key.startswith("on"), (tag, key)
            assert not re.search(r"(?i)(https?:|//|javascript:)", value or "") or key == "content", (tag, key, value)
            if key in ("src", "href"):
                assert (value or "").startswith("data:"), (tag, key, value)
    assert not re.search(r"(?i)url\(|@import", text)
    assert "<script" not in text.lower()
    body = "".join(doc.text)
    for name in names:
        assert name in body  # shown, as text
    return doc


def test_page_is_self_contained_and_names_are_inert():
    text = plan_page(tiny_data())
    check_self_contained_and_inert(text, [SCRIPT_NAME, FORMULA_NAME, QUOTE_NAME, "<i>A组</i>", "<b>evil</b>"])
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    assert text.count("http") == text.count("evil.example")  # the one http is the formula name's text


def test_gantt_draws_every_shift_by_team_coloured_by_channel():
    data = tiny_data()
    doc = Page(plan_page(data))
    assert doc.count("svg", **{"class": "gantt"}) == 1
    assert doc.count("g", **{"class": "agent"}) == 3 and doc.count("g", **{"class": "shift"}) == len(data.shifts)
    fills = [a.get("fill") for t, a in doc.tags if t == "rect"]
    assert channel_colour("chat") in fills and channel_colour("phone") in fills
    tips = [t for t in doc.text if t.startswith(SCRIPT_NAME + " (A1) Mon")]
    # A1 on Monday: chat 09-12 and 13-15, phone 15-18, lunch 12-13
    assert tips == [f"{SCRIPT_NAME} (A1) Mon 2025-11-10 09:00-18:00, lunch 12:00-13:00, chat 5 h, phone 3 h, 8 paid h"]
    body = "".join(doc.text)
    assert body.index("<i>A组</i>") < body.index("(no team)")  # named teams first, each once
    assert body.count("<i>A组</i>") == 1


def test_heat_map_cells_compare_heads_scheduled_with_heads_required():
    data = tiny_data()
    doc = Page(plan_page(data))
    maps = [a for t, a in doc.tags if t == "svg" and a.get("class") == "heatmap"]
    assert [m["data-channel"] for m in maps] == ["chat", "phone"]
    tips = [t for t in doc.text if t.startswith("chat Mon 2025-11-10 09:00")]
    # 1.6 required rounds up to 2 heads; A1 works chat at 09:00 on Monday, A2 starts at 10:00
    assert tips == ["chat Mon 2025-11-10 09:00: required 2, scheduled 1 (\u22121)"]
    assert any(t == "chat Mon 2025-11-10 10:00: required 2, scheduled 2 (met)" for t in doc.text)
    # 18:00 is after closing: nobody is there on Tuesday, and the cell says closed, not met
    assert "chat Tue 2025-11-11 18:00: required 0, scheduled 0 (closed)" in doc.text
    assert "chat Mon 2025-11-10 18:00: required 0, scheduled 1 (+1)" in doc.text  # A2 works to 19:00
    cells = sum(1 for t, a in doc.tags if t == "rect" and a.get("height") == "16")
    assert cells == 2 * 2 * 10  # channels x days x intervals from 09:00 to the last worked interval 18:00


def test_heat_fill_by_the_share_of_the_requirement():
    assert heat_fill(0, 0) == IDLE_FILL and heat_fill(10, 10) == MET_FILL
    assert heat_fill(10, 9) == SHORT_FILLS[0] and heat_fill(10, 8) == SHORT_FILLS[1]
    assert heat_fill(10, 7) == SHORT_FILLS[2]
    assert heat_fill(10, 11) == OVER_FILLS[0] and heat_fill(0, 1) == OVER_FILLS[2]


def test_shortfall_runs_merge_consecutive_intervals_of_one_channel_and_cause():
    t = pd.Timestamp("2025-11-10 09:00")
    h = pd.Timedelta(hours=1)
    short = pd.DataFrame({"interval_start": [t, t + h, t + 2 * h, t + 4 * h, t + h, t + 24 * h],
                          "channel": ["chat", "chat", "chat", "chat", "phone", "chat"],
                          "missing": [1, 3, 2, 1, 1, 1], "cause": ["cost", "cost", "rest", "cost", "cost", "cost"]})
    runs = shortfall_runs(short, 60)
    assert [(r["channel"], r["start"].hour, r["end"].hour, r["missing"]) for r in runs] == [
        ("chat", 9, 11, [1, 3]), ("phone", 10, 11, [1]), ("chat", 11, 12, [2]), ("chat", 13, 14, [1]),
        ("chat", 9, 10, [1])]


def test_friendly_measures_render_what_summary_holds():
    full = {"terms_on": True,
            "paired_rest_days": {"full_timer_weeks": 40, "with_two_consecutive_rest_days": 37, "share": 0.925},
            "start_time_changes": 3, "weekend_days_per_full_timer": {"min": 1, "max": 2, "spread": 1,
                                                                     "to_date_spread": 2},
            "requests": {"granted": 11, "of": 13, "by_kind": {"leave": {"granted": 3, "of": 3}}},
            "cost_of_terms": {"on": {"cost": 72000}, "off": {"cost": 71500}, "cost_ratio": 1.007},
            "spread": {"full_time": {"late_shifts": {"min": 0, "max": 3}}}}
    text = "".join(Page(friendly_section(full)).text)
    for part in ("37 of 40 full-timer weeks (92.5%)", "start-time changes3", "1 to 2 (spread 1; to date 2)",
                 "11 of 13 (leave 3/3)", "CNY 72,000 with the terms, 71,500 without (x1.0070)",
                 "spread \u203a full_time \u203a late_shifts"):
        assert part in text
    only = "".join(Page(friendly_section({"start_time_changes": 5, "paired_rest_days": "n/a"})).text)
    assert "start-time changes5" in only and "paired rest days" in only and "weekend" not in only
    assert "no agent-friendliness measures" in friendly_section(None)


@pytest.mark.slow
def test_plan_writes_its_page_into_the_plan_folder(tmp_path, small_plan_inputs):
    scenario, agents = small_plan_inputs(tmp_path / "in", n_agents=8)
    rows = list(csv.DictReader(agents.open(encoding="utf-8")))
    rows[0]["name"], rows[1]["name"] = SCRIPT_NAME, FORMULA_NAME
    with agents.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "plan"
    result = CliRunner().invoke(app, ["plan", "--week", "2025-11", "--scenario", str(scenario), "--agents", str(agents),
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "report.html" in result.output
    text = (out / "report.html").read_text(encoding="utf-8")
    shifts = pd.read_csv(out / "shifts.csv")
    pool = {r["agent_id"]: r["name"] for r in rows}
    doc = check_self_contained_and_inert(text, sorted({pool[a] for a in shifts["agent_id"]} | {SCRIPT_NAME}))
    assert doc.count("g", **{"class": "shift"}) == len(shifts) > 0
    assert doc.count("g", **{"class": "agent"}) == shifts["agent_id"].nunique()
    assert [a["data-channel"] for t, a in doc.tags if t == "svg" and a.get("class") == "heatmap"] == \
        ["chat", "phone", "email"]
