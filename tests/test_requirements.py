"""Requirements per interval: carry-over, shrinkage, chat concurrency, email deadlines, coverage, calculator."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from core.scenario import load_scenario
from scheduler.staffing.calculator import erlang_report
from scheduler.staffing.erlang import offered_load, required_agents, service_level
from scheduler.staffing.requirements import (
    REQUIREMENT_COLUMNS,
    compute_requirements,
    deferred_staffing,
    evaluate_coverage,
    fifo_fluid,
    stable_heads,
    summarize_service,
    taut_string,
    unstable_rows,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(ROOT / "scenarios" / "baseline.toml")


def with_channel(scenario, channel, **changes):
    spec = scenario.channels[channel].model_copy(update=changes)
    return scenario.model_copy(update={"channels": {**scenario.channels, channel: spec}})


def hours(days: int, start="2025-11-10"):
    return pd.date_range(start, periods=24 * days, freq="h")


def day_mask(index, open_h=9, close_h=18):
    return pd.Series((index.hour >= open_h) & (index.hour < close_h), index=index)


def forecast_frame(index, per_channel: dict[str, tuple[np.ndarray, float]]) -> pd.DataFrame:
    parts = [pd.DataFrame({"interval_start": index, "channel": ch, "contacts": contacts, "aht_s": aht})
             for ch, (contacts, aht) in per_channel.items()]
    return pd.concat(parts, ignore_index=True)


def busy_week(seed=0, days=7):
    idx = hours(days)
    rng = np.random.default_rng(seed)
    shape = 0.3 + np.clip(np.sin(np.pi * (idx.hour.to_numpy() - 6) / 16), 0, None)
    return idx, forecast_frame(idx, {
        "chat": (80 * shape * rng.uniform(0.7, 1.3, idx.size), 400.0),
        "phone": (40 * shape * rng.uniform(0.7, 1.3, idx.size), 240.0),
        "email": (15 * shape * rng.uniform(0.5, 1.5, idx.size), 420.0),
    })


# --- carry-over ------------------------------------------------------------------------------------

def test_closed_hour_arrivals_are_carried_to_the_opening(baseline):
    idx = hours(2)
    fc = forecast_frame(idx, {"chat": (np.full(idx.size, 10.0), 300.0), "phone": (np.full(idx.size, 10.0), 200.0)})
    req = compute_requirements(fc, baseline, day_mask(idx))
    assert list(req.columns) == REQUIREMENT_COLUMNS
    for ch in ("chat", "phone"):
        share = baseline.channels[ch].carry_over_closed
        spread = math.ceil(baseline.channels[ch].backlog_clear_h)
        r = req[req["channel"] == ch].set_index("interval_start")
        first, second = pd.Timestamp("2025-11-10 09:00"), pd.Timestamp("2025-11-11 09:00")
        assert r.loc[first, "carried_over"] == pytest.approx(share * 9 * 10)     # 00:00-09:00
        assert r.loc[second, "carried_over"] == pytest.approx(share * 15 * 10)   # 18:00-09:00
        # the backlog is worked off evenly over the first backlog_clear_h open hours
        for h in range(spread):
            assert r.loc[first + pd.Timedelta(hours=h), "backlog_contacts"] == pytest.approx(share * 90 / spread)
        assert r.loc[first + pd.Timedelta(hours=spread), "backlog_contacts"] == 0
        assert r.loc[first, "contacts"] == pytest.approx(10 + share * 90 / spread)
        closed = ~r["open"]
        assert (r.loc[closed, "contacts"] == 0).all() and (r.loc[closed, "required_agents"] == 0).all()
        assert (r.loc[closed, "required_scheduled"] == 0).all()
        others = r["open"] & ~r.index.isin([first, second])
        assert (r.loc[others, "carried_over"] == 0).all()
        assert (r.loc[r["open"], "required_agents"] > 0).all()
        assert r["arrivals"].sum() == pytest.approx(idx.size * 10)
        # handled = open arrivals + carried share of closed arrivals before the last opening
        assert r["contacts"].sum() == pytest.approx(18 * 10 + share * 24 * 10)
        assert req.attrs["unplaced_contacts"][ch] == pytest.approx(share * 6 * 10)  # after 18:00 on day 2
        # load_erl is the live arrivals' queue; the backlog is plain work on top of it
        assert r.loc[first, "load_erl"] == pytest.approx(float(offered_load(10, 60, r.loc[first, "aht_s"])))
        assert r.loc[first, "backlog_load_erl"] == pytest.approx(
            float(offered_load(share * 90 / spread, 60, r.loc[first, "aht_s"])))


def test_opening_backlog_adds_plain_work_not_queueing(baseline):
    """Carried contacts add backlog_load / max_occupancy servers on top of the live requirement."""
    idx = hours(1)
    fc = forecast_frame(idx, {"phone": (np.full(idx.size, 10.0), 200.0)})
    spec = baseline.channels["phone"]
    req = compute_requirements(fc, baseline, day_mask(idx)).set_index("interval_start")
    live = required_agents(float(offered_load(10, 60, 200.0)), 200.0, spec.answer_within_s,
                           spec.service_level_target, spec.max_occupancy)
    at9 = req.loc[pd.Timestamp("2025-11-10 09:00")]
    spread = math.ceil(spec.backlog_clear_h)
    extra = float(offered_load(spec.carry_over_closed * 90 / spread, 60, 200.0)) / spec.max_occupancy
    assert at9["required_agents"] == int(np.ceil(live + extra - 1e-9))
    assert req.loc[pd.Timestamp("2025-11-10 12:00"), "required_agents"] == live
    no_spread = compute_requirements(fc, with_channel(baseline, "phone", backlog_clear_h=0), day_mask(idx))
    assert no_spread.set_index("interval_start").loc[pd.Timestamp("2025-11-10 09:00"), "backlog_contacts"] == \
        pytest.approx(spec.carry_over_closed * 90)


def test_rows_come_back_in_input_order(baseline):
    idx, fc = busy_week(days=2)
    shuffled = fc.sample(frac=1.0, random_state=1)
    req = compute_requirements(shuffled, baseline, day_mask(idx))
    assert req.index.equals(shuffled.index)
    assert (req["interval_start"].to_numpy() == shuffled["interval_start"].to_numpy()).all()
    plain = compute_requirements(fc, baseline, day_mask(idx))
    merged = req.merge(plain, on=["interval_start", "channel"], suffixes=("", "_p"))
    assert (merged["required_agents"] == merged["required_agents_p"]).all()


def test_stable_heads_are_the_fewest_the_report_does_not_count_unstable(baseline):
    """At ``stable_heads`` no row is an unstable interval (the report's own count); one head fewer, every
    row with a positive count is; email (deferred) and closed hours have none."""
    idx, fc = busy_week(seed=3)
    req = compute_requirements(fc, with_channel(baseline, "phone", model="erlang_c"), day_mask(idx))
    scn = with_channel(baseline, "phone", model="erlang_c")
    least = stable_heads(req, scn)
    at = req[["interval_start", "channel"]].assign(scheduled_heads=least)
    assert unstable_rows(evaluate_coverage(req, at, scn), scn).empty
    one_fewer = at.assign(scheduled_heads=np.maximum(least - 1, 0))
    unstable = unstable_rows(evaluate_coverage(req, one_fewer, scn), scn)
    assert sorted(unstable.index) == sorted(req.index[least > 0])
    assert (least[(req["channel"] == "email").to_numpy() | ~req["open"].to_numpy(bool)] == 0).all()
    assert ((least > 0) & (least <= req["required_scheduled"].to_numpy())).sum() == (least > 0).sum() > 0


# --- shrinkage and Erlang channels -----------------------------------------------------------------

def test_shrinkage_rounds_up_to_whole_heads(baseline):
    idx, fc = busy_week()
    req = compute_requirements(fc, baseline, day_mask(idx))
    agents = req["required_agents"].to_numpy()
    heads = req["required_scheduled"].to_numpy()
    # smallest whole h with h x 0.7 >= agents, in integer arithmetic: h = ceil(10 agents / 7)
    assert heads.tolist() == [(-(-10 * int(a) // 7)) for a in agents]
    assert heads.dtype.kind == "i"


def test_fourteen_agents_at_thirty_percent_shrinkage_need_twenty_heads(baseline):
    idx = hours(1)
    contacts = np.where(idx.hour == 10, 200.0, 0.0)  # 200 x 180 s / 3600 s = 10 Erl: 14 agents at 80/20
    fc = forecast_frame(idx, {"phone": (contacts, 180.0)})
    sc = with_channel(baseline, "phone", max_occupancy=1.0, carry_over_closed=0.0)
    req = compute_requirements(fc, sc, day_mask(idx)).set_index("interval_start")
    assert req.loc[pd.Timestamp("2025-11-10 10:00"), "required_agents"] == 14
    assert req.loc[pd.Timestamp("2025-11-10 10:00"), "required_scheduled"] == 20


def test_phone_meets_target_and_occupancy_cap(baseline):
    idx, fc = busy_week()
    req = compute_requirements(fc, baseline, day_mask(idx))
    spec = baseline.channels["phone"]
    ph = req[(req["channel"] == "phone") & req["open"]]
    n, a, aht = ph["required_agents"].to_numpy(), ph["load_erl"].to_numpy(), ph["aht_s"].to_numpy()
    assert (service_level(n, a, aht, spec.answer_within_s) >= spec.service_level_target).all()
    assert (a / n <= spec.max_occupancy + 1e-9).all()


def test_chat_concurrency_pools_slots_and_needs_fewer_agents(baseline):
    idx, fc = busy_week()
    mask = day_mask(idx)
    k3 = compute_requirements(fc, baseline, mask)
    k1 = compute_requirements(fc, with_channel(baseline, "chat", concurrency=1), mask)
    c3 = k3[(k3["channel"] == "chat") & k3["open"]]
    c1 = k1[(k1["channel"] == "chat") & k1["open"]]
    spec = baseline.channels["chat"]
    slots = required_agents(c3["load_erl"].to_numpy(), c3["aht_s"].to_numpy(), spec.answer_within_s,
                            spec.service_level_target, spec.max_occupancy)
    slots = slots + c3["backlog_load_erl"].to_numpy() / spec.max_occupancy  # opening backlog as plain work
    assert c3["required_agents"].tolist() == np.ceil(slots / 3 - 1e-9).astype(int).tolist()
    assert c1["required_agents"].tolist() == np.ceil(slots - 1e-9).astype(int).tolist()
    assert (c3["required_agents"].to_numpy() <= c1["required_agents"].to_numpy()).all()
    assert c3["required_agents"].sum() < c1["required_agents"].sum() / 2


def test_erlang_a_phone_meets_target(baseline):
    from scheduler.staffing.erlang import erlang_a_metrics

    idx, fc = busy_week(days=2)
    sc = with_channel(baseline, "phone", model="erlang_a", patience_s=90.0)
    req = compute_requirements(fc, sc, day_mask(idx))
    ph = req[(req["channel"] == "phone") & req["open"]]
    m = erlang_a_metrics(ph["required_agents"].to_numpy(), ph["load_erl"].to_numpy(), ph["aht_s"].to_numpy(),
                         90.0, 20.0)
    assert (m["service_level"] >= 0.8).all()
    plain = compute_requirements(fc, baseline, day_mask(idx))
    assert ph["required_agents"].sum() <= plain.loc[ph.index, "required_agents"].sum()


# --- email: the deferred model ---------------------------------------------------------------------

def window_bound(cohorts, is_open, cap):
    """Lower bound on any schedule's peak level: work released at or after open interval a and due by
    open interval d, over the capacity of a..d, maximised over all windows (brute force)."""
    open_pos = np.flatnonzero(is_open)
    oi = {p: i for i, p in enumerate(open_pos)}
    placed = cohorts["release"] >= 0
    rel = np.array([oi[p] for p in cohorts["release"][placed]])
    due = np.array([oi[p] for p in cohorts["due"][placed]])
    work = cohorts["work_s"][placed]
    best = 0.0
    for a in range(open_pos.size):
        for d in range(a, open_pos.size):
            inside = work[(rel >= a) & (due <= d)].sum()
            best = max(best, inside / ((d - a + 1) * cap))
    return best


EMAIL_CASES = [
    # (window_h, mask open/close hours, seed)
    (24.0, (9, 18), 0),
    (4.0, (9, 18), 1),      # overnight mail is already late at opening: due in the first open hour
    (2.5, (0, 24), 2),      # window not a whole number of intervals
    (0.5, (9, 18), 3),      # shorter than an interval: each hour clears its own mail
    (48.0, (10, 16), 4),    # much is due after the horizon: the horizon end is its deadline
]


@pytest.mark.parametrize("window_h,hours_open,seed", EMAIL_CASES)
def test_email_staffing_meets_every_deadline_with_the_smallest_peak(window_h, hours_open, seed):
    days = 4
    idx = hours(days)
    rng = np.random.default_rng(seed)
    start_s = np.arange(idx.size) * 3600.0
    is_open = day_mask(idx, *hours_open).to_numpy()
    arrivals = rng.gamma(2.0, 6.0, idx.size) * (rng.uniform(size=idx.size) > 0.15)
    aht = rng.uniform(200, 600, idx.size)
    cap = 3600.0 * 0.9
    res = deferred_staffing(start_s, is_open, arrivals, aht, 1.0, 3600.0, window_h * 3600.0, 0.9)
    agents, fluid, coh = res["agents"], res["fluid_agents"], res["cohorts"]
    placed = coh["release"] >= 0
    assert (agents[~is_open] == 0).all() and (fluid[~is_open] == 0).all()
    # every email done by its due interval under FIFO with these whole agents
    sim = fifo_fluid(start_s, 3600.0, agents * cap, coh)
    due_end = start_s[coh["due"][placed]] + 3600.0
    late_anyway = due_end > coh["deadline_s"][placed] + 1e-6  # due after its deadline: no schedule can help
    on_time = sim["on_time"][placed]
    assert (on_time[~late_anyway] >= 1 - 1e-9).all()
    done_by_due = fifo_fluid(start_s, 3600.0, agents * cap, {**coh, "deadline_s": np.where(
        placed, start_s[np.maximum(coh["due"], 0)] + 3600.0, coh["deadline_s"])})["on_time"][placed]
    assert (done_by_due >= 1 - 1e-9).all()
    # all the work is done, none invented: fluid plan = work that arrived (and was placed)
    total_work = coh["work_s"][placed].sum()
    assert fluid.sum() * cap == pytest.approx(total_work)
    # minimal peak: the fluid peak equals the window lower bound, the whole-agent peak its ceiling
    bound = window_bound(coh, is_open, cap)
    assert fluid.max() == pytest.approx(bound, rel=1e-9)
    assert agents.max() == math.ceil(bound - 1e-9)
    # rounding costs at most one agent-interval where the backlog empties (no work left to give)
    emptied = (res["backlog_contacts"] <= 1e-9) & (agents > 0) & is_open
    assert agents.sum() <= total_work / cap + emptied.sum() + 1e-9
    # one agent fewer in the busiest interval: a deadline fails, or the peak was already the minimum
    busiest = int(np.argmax(agents))
    fewer = agents.copy()
    fewer[busiest] -= 1
    sim_fewer = fifo_fluid(start_s, 3600.0, fewer * cap, {**coh, "deadline_s": np.where(
        placed, start_s[np.maximum(coh["due"], 0)] + 3600.0, coh["deadline_s"])})
    fails = (sim_fewer["on_time"][placed] < 1 - 1e-9).any()
    assert fails or agents.max() == math.ceil(bound - 1e-9)


def test_email_window_shorter_than_an_interval_fails_with_one_agent_less():
    start_s = np.arange(9) * 3600.0
    is_open = np.ones(9, bool)
    arrivals = np.array([3, 30, 8, 0, 12, 50, 5, 9, 1], float)
    aht = np.full(9, 300.0)
    res = deferred_staffing(start_s, is_open, arrivals, aht, 1.0, 3600.0, 1800.0, 1.0)
    assert res["agents"].tolist() == np.ceil(arrivals * 300 / 3600).astype(int).tolist()
    fewer = res["agents"].copy()
    fewer[np.argmax(fewer)] -= 1
    sim = fifo_fluid(start_s, 3600.0, fewer * 3600.0, {**res["cohorts"],
                                                        "deadline_s": res["cohorts"]["arrival_s"] + 3600.0})
    assert (sim["on_time"] < 1 - 1e-9).any()


def test_taut_string_is_flat_when_it_can_be():
    lower = np.array([0, 0, 0, 0, 10.0])
    upper = np.array([10, 10, 10, 10, 10.0])
    np.testing.assert_allclose(taut_string(lower, upper), [2, 4, 6, 8, 10])
    # nothing can be done before it arrives: the string hugs the upper bound, then flattens
    lower = np.array([0, 0, 0, 0, 8.0])
    upper = np.array([0, 0, 8, 8, 8.0])
    np.testing.assert_allclose(taut_string(lower, upper), [0, 0, 8 / 3, 16 / 3, 8])


def test_email_requirements_backlog_and_coverage(baseline):
    idx, fc = busy_week()
    mask = day_mask(idx)
    req = compute_requirements(fc, baseline, mask)
    em = req[req["channel"] == "email"]
    assert em["backlog_contacts"].notna().all() and (em["backlog_contacts"] >= -1e-9).all()
    # queued channels: the backlog worked per interval is the carried-over contacts, spread
    for ch in ("chat", "phone"):
        q = req[req["channel"] == ch]
        assert q["backlog_contacts"].sum() == pytest.approx(q["carried_over"].sum())
    # the backlog grows overnight by exactly the night's arrivals (carry share 1)
    night = em[~em["open"]].set_index("interval_start")["backlog_contacts"]
    arr = em.set_index("interval_start")["arrivals"]
    t = pd.Timestamp("2025-11-11 03:00")
    assert night[t] - night[t - pd.Timedelta(hours=1)] == pytest.approx(arr[t])
    heads = req[["interval_start", "channel", "required_scheduled"]].rename(
        columns={"required_scheduled": "scheduled_heads"})
    cov = evaluate_coverage(req, heads, baseline)
    ce = cov[(cov["channel"] == "email") & cov["open"] & (cov["contacts"] > 0)]
    assert (ce["service_level"] >= 1 - 1e-9).all()
    assert (ce["asa_s"] > 0).all() and (ce["asa_s"] <= 24 * 3600).all()
    assert ((ce["occupancy"] >= 0) & (ce["occupancy"] <= 0.9 + 1e-9)).all()
    thin = heads.assign(scheduled_heads=np.where(heads["channel"] == "email", heads["scheduled_heads"] // 3,
                                                 heads["scheduled_heads"]))
    worse = summarize_service(evaluate_coverage(req, thin, baseline), baseline)["email"]
    assert worse["service_level"] < 1.0


# --- coverage and summaries ------------------------------------------------------------------------

def test_coverage_at_required_heads_meets_targets(baseline):
    idx, fc = busy_week()
    req = compute_requirements(fc, baseline, day_mask(idx))
    heads = req[["interval_start", "channel", "required_scheduled"]].rename(
        columns={"required_scheduled": "scheduled_heads"})
    cov = evaluate_coverage(req, heads, baseline)
    assert cov.index.equals(req.index)
    assert (cov["interval_start"].to_numpy() == req["interval_start"].to_numpy()).all()
    assert np.allclose(cov["scheduled_agents"], cov["scheduled_heads"] * 0.7)
    open_busy = cov["open"] & (cov["contacts"] > 0)
    for ch in ("chat", "phone"):
        rows = cov[open_busy & (cov["channel"] == ch)]
        assert (rows["service_level"] >= baseline.channels[ch].service_level_target - 1e-12).all()
        assert (rows["occupancy"] <= baseline.channels[ch].max_occupancy + 1e-9).all()
    closed = cov[~cov["open"]]
    assert closed[["service_level", "asa_s", "occupancy"]].isna().all().all()
    summary = summarize_service(cov, baseline)
    assert set(summary) == {"chat", "phone", "email"}
    for ch, s in summary.items():
        assert s["target"] == baseline.channels[ch].service_level_target
        assert s["service_level"] >= s["target"]
        busy = cov[open_busy & (cov["channel"] == ch)]
        # queued channels weigh the live arrivals (the opening backlog is not queued), email all it handles
        w = busy["contacts"] if ch == "email" else busy["arrivals"]
        assert s["service_level"] == pytest.approx(np.average(busy["service_level"], weights=w))
        assert s["asa_s"] == pytest.approx(np.average(busy["asa_s"], weights=w))


def test_coverage_interpolates_fractional_agents_and_flags_unstable(baseline):
    idx, fc = busy_week(days=1)
    req = compute_requirements(fc, baseline, day_mask(idx))
    heads = req[["interval_start", "channel"]].assign(scheduled_heads=1)
    heads = heads[heads["channel"] != "email"].iloc[:-3]  # missing rows are 0 heads
    cov = evaluate_coverage(req, heads, baseline)
    phone = cov[(cov["channel"] == "phone") & cov["open"]]
    assert np.allclose(phone["scheduled_agents"], 0.7)
    assert (phone["service_level"] == 0).all() and np.isinf(phone["asa_s"]).all()
    s = summarize_service(cov, baseline)["phone"]
    assert s["service_level"] == 0 and math.isinf(s["asa_s"]) and s["unstable_intervals"] == len(phone)


def test_bad_inputs_name_the_field(baseline):
    idx, fc = busy_week(days=1)
    mask = day_mask(idx)
    with pytest.raises(InputError, match="open_mask"):
        compute_requirements(fc, baseline, mask.iloc[1:])
    with pytest.raises(InputError, match="contacts"):
        compute_requirements(fc.assign(contacts=-1.0), baseline, mask)
    with pytest.raises(InputError, match="channel"):
        compute_requirements(fc.assign(channel=fc["channel"].replace("chat", "fax")), baseline, mask)
    with pytest.raises(InputError, match="aht_s"):
        compute_requirements(fc.assign(aht_s=0.0), baseline, mask)
    with pytest.raises(InputError, match="twice"):
        compute_requirements(pd.concat([fc, fc.iloc[:1]]), baseline, mask)
    # a zero AHT where nothing is handled is fine
    quiet = fc.assign(aht_s=np.where(fc["contacts"] > 0, fc["aht_s"], 0.0),
                      contacts=np.where(fc.index % 5 == 0, 0.0, fc["contacts"]))
    quiet.loc[quiet["contacts"] == 0, "aht_s"] = 0.0
    assert len(compute_requirements(quiet, baseline, mask)) == len(fc)


def test_open_mask_per_channel(baseline):
    idx, fc = busy_week(days=1)
    per_channel = {"chat": day_mask(idx, 0, 24), "phone": day_mask(idx), "email": day_mask(idx)}
    req = compute_requirements(fc, baseline, per_channel)
    assert req.loc[req["channel"] == "chat", "open"].all()
    assert req.loc[req["channel"] == "chat", "carried_over"].sum() == 0
    assert not req.loc[req["channel"] == "phone", "open"].all()


# --- the calculator --------------------------------------------------------------------------------

def test_erlang_report_textbook_example():
    rep = erlang_report(100, 30, 180, 20, target=0.8)
    assert rep["agents"] == 14
    assert round(rep["service_level"], 7) == 0.88835 and round(rep["service_level"], 3) == 0.888
    assert rep["load_erl"] == pytest.approx(10.0)
    assert rep["scheduled_agents"] == 14
    assert rep["occupancy"] == pytest.approx(10 / 14)
    assert erlang_report(100, 30, 180, 20, target=0.8, shrinkage=0.3)["scheduled_agents"] == 20
    given = erlang_report(100, 30, 180, 20, agents=11)
    assert given["agents"] == 11 and given["p_wait"] == pytest.approx(0.6821182046893324)
    assert "scheduled_agents" not in given


@pytest.mark.parametrize("kwargs,field", [
    (dict(contacts=-1), "--contacts"),
    (dict(aht_s=0), "--aht-s"),
    (dict(aht_s=-5), "--aht-s"),
    (dict(interval_min=0), "--interval-min"),
    (dict(answer_within_s=-1), "--answer-within-s"),
    (dict(target=1.0), "--target"),
    (dict(target=0.0), "--target"),
    (dict(agents=-2, target=None), "--agents"),
    (dict(agents=2.5, target=None), "--agents"),
    (dict(max_occupancy=1.5), "--max-occupancy"),
    (dict(shrinkage=1.0), "--shrinkage"),
    (dict(target=None), "--agents/--target"),
])
def test_erlang_report_rejects_bad_input(kwargs, field):
    args = dict(contacts=100, interval_min=30, aht_s=180, answer_within_s=20, target=0.8)
    args.update(kwargs)
    with pytest.raises(InputError) as err:
        erlang_report(**args)
    assert err.value.field == field
    assert "\n" not in str(err.value)


# --- the price of a missing head ------------------------------------------------------------------------------

def test_a_head_at_the_peak_is_not_priced_by_the_peak_s_volume(baseline):
    """Chat at 11:00 brings twice the contacts of every other open hour and needs about twice the heads,
    each answering about as many contacts; the queues are large enough that one head fewer costs less
    than 10 points of service level in any of them. So a missing head costs the same at 11:00 as at
    13:00. (Priced by the hour's whole volume it cost twice as much, and an unavoidable shortage then
    took every lunch into the quieter hour and left it with no head.)"""
    from scheduler.plan import shortfall_weights

    idx = hours(1)
    contacts = np.where(idx.hour == 11, 1600.0, 800.0) * day_mask(idx).to_numpy()  # none to carry over
    req = compute_requirements(forecast_frame(idx, {"chat": (contacts, 400.0)}), baseline, day_mask(idx))
    w = shortfall_weights(req, baseline).set_axis(req["interval_start"].dt.hour)
    heads = req.set_index(req["interval_start"].dt.hour)["required_scheduled"]
    assert heads[11] >= 1.8 * heads[13]
    assert w[11] == pytest.approx(w[13], rel=0.1)
    assert w[13] == pytest.approx(baseline.understaffed_penalty, rel=0.1)  # an average head, a loose queue


# -- what waits from before the horizon ----------------------------------------------------------------------
def _first_opening(problem, channel: str) -> pd.Series:
    req = problem.requirements
    rows = req[(req["channel"] == channel) & req["open"]]
    return rows.iloc[0]


def test_a_monday_works_off_sunday_evening(tmp_path):
    """2025-W11: Monday 09:00's chats carried over are ``carry_over_closed`` x (the Sunday before from 18:00,
    as forecast from the history before that Sunday, plus Monday 00:00-09:00): a plan started from nothing
    at its first opening and left Sunday evening's chats out (a third of the Sunday)."""
    import datetime as dt

    from scheduler.plan import build_problem, lead_in, load_inputs
    from scheduler.weeks import parse_week

    inputs = load_inputs(parse_week("2025-11"))
    built = build_problem(inputs)
    days, lead, note = lead_in(inputs.history, built.problem.scenario, inputs.calendar, dt.date(2025, 3, 10))
    assert days == [dt.date(2025, 3, 9)] and note is None
    chat = inputs.scenario.channels["chat"]
    sunday = lead[(lead["channel"] == "chat") & (pd.to_datetime(lead["interval_start"]).dt.hour >= 18)]
    fc = built.forecast
    night = fc[(fc["channel"] == "chat") & (pd.to_datetime(fc["interval_start"]) < pd.Timestamp("2025-03-10 09:00"))]
    first = _first_opening(built, "chat")
    assert first["interval_start"] == pd.Timestamp("2025-03-10 09:00")
    expected = chat.carry_over_closed * (sunday["contacts"].sum() + night["contacts"].sum())
    assert first["carried_over"] == pytest.approx(expected, rel=1e-9)
    assert sunday["contacts"].sum() > 0.25 * lead.loc[lead["channel"] == "chat", "contacts"].sum()
    assert built.requirements["interval_start"].min() == pd.Timestamp("2025-03-10")  # the lead-in is dropped
    assert built.forecast["interval_start"].min() == pd.Timestamp("2025-03-10")


def test_a_shop_closed_on_sunday_works_off_saturday_evening_and_sunday_on_monday(tmp_path):
    """With ``sunday = "closed"`` and Saturday open to 16:00, Monday's first opening carries what arrived
    from Saturday 16:00 on: the lead-in reaches back to Saturday, the last day with an open interval."""
    import datetime as dt

    from scenarios import DEFAULT_SCENARIO
    from scheduler.plan import build_problem, lead_in, load_inputs
    from scheduler.weeks import parse_week

    path = tmp_path / "sun.toml"
    path.write_text(f'extends = "{DEFAULT_SCENARIO.as_posix()}"\nname = "sun"\n[windows]\nsunday = "closed"\n'
                    'saturday = "10:00-16:00"\n', encoding="utf-8")
    inputs = load_inputs(parse_week("2025-11"), scenario_path=path)
    built = build_problem(inputs)
    days, lead, _ = lead_in(inputs.history, built.problem.scenario, inputs.calendar, dt.date(2025, 3, 10))
    assert days == [dt.date(2025, 3, 8), dt.date(2025, 3, 9)]
    at = pd.to_datetime(lead["interval_start"])
    waiting = lead[(lead["channel"] == "phone") & (at >= pd.Timestamp("2025-03-08 16:00"))]["contacts"].sum()
    fc = built.forecast
    night = fc[(fc["channel"] == "phone") & (pd.to_datetime(fc["interval_start"]) < pd.Timestamp("2025-03-10 09:00"))]
    expected = inputs.scenario.channels["phone"].carry_over_closed * (waiting + night["contacts"].sum())
    assert _first_opening(built, "phone")["carried_over"] == pytest.approx(expected, rel=1e-9)
    req = built.requirements
    assert req.loc[pd.to_datetime(req["interval_start"]).dt.date == dt.date(2025, 3, 16), "required_agents"].sum() == 0
    # what arrives after this Saturday's 16:00 waits for the next plan's Monday, and the plan says so
    waiting = [n for n in built.notes if "wait past 2025-W11's last opening" in n]
    assert len(waiting) == 1 and " chat" in waiting[0] and " phone" not in waiting[0]
    assert not [n for n in build_problem(load_inputs(parse_week("2025-11"))).notes if "wait past" in n]
