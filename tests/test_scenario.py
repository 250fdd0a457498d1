"""Scenario files are validated on load; every error names the file, the key and what is allowed."""

import datetime as dt

import pytest

from core.errors import InputError
from core.scenario import load_scenario
from scenarios import DEFAULT_SCENARIO, SCENARIO_DIR
from scheduler.agents import load_agents, temporary_agents


def write(tmp_path, body, name="s.toml", extends=True):
    p = tmp_path / name
    head = f'extends = "{DEFAULT_SCENARIO.as_posix()}"\n' if extends else ""
    p.write_text(head + body, encoding="utf-8")
    return p


def test_bundled_scenarios_load():
    for path in sorted(SCENARIO_DIR.glob("*.toml")):
        sc = load_scenario(path)
        assert sc.channels and sc.roster.templates, path


def test_extends_overrides_only_what_differs(tmp_path):
    sc = load_scenario(write(tmp_path, 'name = "x"\nshrinkage = 0.25\n[channels.chat]\nconcurrency = 4\n'))
    base = load_scenario(DEFAULT_SCENARIO)
    assert sc.name == "x" and sc.shrinkage == 0.25
    assert sc.channels["chat"].concurrency == 4
    assert sc.channels["chat"].answer_within_s == base.channels["chat"].answer_within_s  # merged, not replaced
    assert sc.roster == base.roster and sc.promotions == base.promotions


def test_extends_relative_to_the_file(tmp_path):
    (tmp_path / "a.toml").write_text(f'extends = "{DEFAULT_SCENARIO.as_posix()}"\nname = "a"\nseed = 11\n')
    sc = load_scenario(write(tmp_path, 'extends = "a.toml"\nname = "b"\n', extends=False))
    assert sc.seed == 11 and sc.name == "b"


@pytest.mark.parametrize("body,key,text", [
    ("shrinkage = 1.5\n", "shrinkage", "less than 1"),
    ('[channels.fax]\nanswer_within_s = 20\n', "channels", "unknown channel 'fax'; allowed: chat, phone, email"),
    ('[windows]\nweekday = "18:00-09:00"\n', "windows.weekday", "ends before it starts"),
    ('[windows]\nweekend = "9am-6pm"\n', "windows.weekend", "not a time HH:MM"),  # the key, not the table
    ('[windows]\nfestival = "09:00-18:00"\n', "windows", "unknown day type 'festival'"),
    ('[windows]\nsundays = "closed"\n', "windows", "or a weekday (monday, tuesday"),
    ('[channels.phone]\nserved = "no"\n', "channels.phone.served", "true or false, not 'no'"),
    ('[channels.fax]\nserved = false\n', "channels", "unknown channel 'fax'"),
    ('[channels.chat]\nserved = false\n[channels.phone]\nserved = false\n[channels.email]\nserved = false\n',
     "channels", "at least one"),
    ('[roster]\nlunch_policy = "whenever"\n', "roster.lunch_policy", "'staggered' or 'fixed'"),
    ('interval_min = 45\n', "interval_min", "15, 30 or 60"),
    ('[labour]\nmax_days_per_week = 8\n', "labour.max_days_per_week", "less than or equal to 7"),
    ('[labour]\nmax_hours = 8\n', "labour.max_hours", "unknown key"),
    ('colour = "blue"\n', "colour", "unknown key"),
    ('[channels.phone]\nmodel = "erlang_b"\n', "channels.phone.model", "'erlang_c', 'erlang_a' or 'deferred'"),
    ('[channels.phone]\nmodel = "erlang_a"\n', "channels.phone", "needs patience_s"),
    ('[channels.email]\nresponse_window_h = -1\n', "channels.email.response_window_h", "greater than 0"),
    ('[[promotions]]\nname = "x"\nmain_day = "11-31"\n', "promotions", "not a month-day MM-DD"),
    ('[[promotions]]\nname = "x"\nmain_day = "11-11"\npresale_at = ["10-20 20:00"]\n', "promotions", "MM-DDTHH:MM"),
    ('[[promotions]]\nname = "x"\nmain_day = "11-11"\neffects = { fax = { multiplier = 2 } }\n', "promotions",
     "unknown channel 'fax'"),
    ('[[temporary_agents]]\ncount = 5\nskills = ["chat", "sms"]\nhourly_cost = 30\n', "temporary_agents",
     "unknown channel 'sms'"),
    ('[[roster.templates]]\nname = "t"\nstarts = ["25:00"]\nspan_h = 4\n', "roster.templates", "not a time"),
    ('[[roster.templates]]\nname = "t"\nstarts = ["09:00"]\nspan_h = 4\nday_types = ["payday"]\n',
     "roster.templates", "unknown day type 'payday'"),
    ('[roster]\ntemplates = []\n', "roster.templates", "at least 1 item"),
    ('[[roster.templates]]\nname = "split"\nstarts = ["09:00"]\nspan_h = 13\nbreak_h = 5\n', "roster.templates",
     "break_h needs its own lunch_window"),
    ('[[roster.templates]]\nname = "split"\nstarts = ["09:00"]\nspan_h = 13\nbreak_h = 5\nlunch = false\n'
     'lunch_window = "12:00-18:00"\n', "roster.templates", "break_h needs lunch = true"),
])
def test_validation_errors_name_file_key_and_allowed_values(tmp_path, body, key, text):
    p = write(tmp_path, body)
    with pytest.raises(InputError) as err:
        load_scenario(p)
    msg = str(err.value)
    assert msg.startswith(str(p.resolve())), msg
    assert f"field '{key}" in msg, msg
    assert text in msg, msg
    assert "\n" not in msg


def test_not_toml(tmp_path):
    p = write(tmp_path, "name = [unclosed\n")
    with pytest.raises(InputError, match="not valid TOML"):
        load_scenario(p)


def test_missing_and_cyclic_extends(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_scenario(tmp_path / "none.toml")
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text('extends = "b.toml"\n')
    b.write_text('extends = "a.toml"\n')
    with pytest.raises(InputError, match="cycle"):
        load_scenario(a)


def test_temporary_agents_join_the_pool(tmp_path):
    sc = load_scenario(write(tmp_path, '[[temporary_agents]]\ncount = 3\nskills = ["chat"]\nhourly_cost = 30\n'))
    pool = load_agents(SCENARIO_DIR / "agents.csv")
    extra = temporary_agents(sc, pool)
    assert [a.agent_id for a in extra] == ["T001", "T002", "T003"]
    assert all(a.skills == ("chat",) and a.contract == "part_time" for a in extra)
    assert not {a.agent_id for a in extra} & {a.agent_id for a in pool}


def test_a_channel_the_scenario_does_not_define_names_file_and_scenario():
    sc = load_scenario(DEFAULT_SCENARIO)
    no_email = sc.model_copy(update={"channels": {k: v for k, v in sc.channels.items() if k != "email"}})
    no_email.check_channels(["chat", "phone"], what="history", file="h.csv")
    with pytest.raises(InputError) as exc:
        no_email.check_channels(["chat", "email", "phone"], what="history", file="h.csv")
    assert str(exc.value) == (f"h.csv, field 'channel': history has channel 'email' that scenario '{sc.name}' "
                              "does not define")


# -- rule sets that cannot staff anything are refused on load --------------------------------------------------
DAY_TPL = '[[roster.templates]]\nname = "day"\nspan_h = 9\nlunch = true\ncontracts = ["full_time"]\n'
PART_TPL = ('[[roster.templates]]\nname = "part"\nstarts = ["09:00"]\nspan_h = 4\nlunch = false\n'
            'contracts = ["part_time"]\n')


@pytest.mark.parametrize("body,key,text", [
    # the audit's three cases (a copy of baseline.toml with one line changed)
    ('[roster]\nlunch_window = "20:00-21:00"\n', "roster.lunch_window",
     "20:00-21:00: no shift of template 'day' (09:00-18:00, 10:00-18:00) has room for its 60-min lunch"),
    (DAY_TPL.replace('["full_time"]', "[]") + 'starts = ["09:00"]\n' + PART_TPL, "roster.templates.0.contracts",
     "no contract"),
    (DAY_TPL + 'starts = ["19:00"]\nfit_window = true\n' + PART_TPL, "roster.templates.0.starts",
     "template 'day': 19:00 + 9 h fits no day's service window (weekday, weekend, makeup_workday 09:00-18:00; "
     "statutory_holiday, holiday_rest_day 10:00-18:00), even with fit_window"),
    # the same mistakes elsewhere
    (DAY_TPL + 'starts = ["09:00"]\nlunch_window = "06:00-08:00"\n', "roster.templates.0.lunch_window",
     "06:00-08:00: no shift of template 'day' (09:00-18:00)"),
    ('[roster]\nlunch_policy = "fixed"\nfixed_lunch_at = "17:00"\n', "roster.fixed_lunch_at",
     "17:00: no shift of template 'day'"),
    (PART_TPL + DAY_TPL + 'starts = ["10:00"]\nday_types = ["weekend"]\n[windows]\nweekend = "closed"\n',
     "roster.templates.1.day_types", "works only on days the service is closed (weekend closed)"),
    ('[[hire.templates]]\nname = "eve"\nstarts = ["18:00"]\nspan_h = 4\nlunch = false\n', "hire.templates.0.starts",
     "18:00 + 4 h fits no day's service window"),
    (DAY_TPL + 'starts = ["09:00"]\n[[roster.templates]]\nname = "long"\nstarts = ["13:00"]\nspan_h = 11\n'
     'promotion_only = true\n', "roster.templates.1.starts", "13:00 + 11 h fits no day's service window"),
])
def test_a_template_that_can_staff_nothing_is_refused_naming_its_key(tmp_path, body, key, text):
    """A start outside every service window (19:00 for 09:00), a lunch window no shift can hold, a template
    nobody may work: each used to load, and a plan then solved a whole week to leave 82% of the required
    agent-intervals unstaffed and blame the pool ("even 40 hire(s) ... widen the [hire] caps")."""
    p = write(tmp_path, body)
    with pytest.raises(InputError) as err:
        load_scenario(p)
    msg = str(err.value)
    assert msg.startswith(f"{p.resolve()}, field '{key}': "), msg
    assert text in msg and "\n" not in msg, msg


@pytest.mark.parametrize("body", [
    # works only on holidays, fitted to the 10:00-18:00 window
    PART_TPL + DAY_TPL + 'starts = ["09:00"]\n' + DAY_TPL.replace('"day"', '"hol"')
    + 'starts = ["08:00"]\nfit_window = true\nday_types = ["statutory_holiday"]\n',
    # a night shift only on a promotion main day, under promotion_window; a dinner in its own window
    'promotion_window = "00:00-24:00"\n' + PART_TPL + DAY_TPL + 'starts = ["09:00"]\n'
    + '[[roster.templates]]\nname = "night"\nstarts = ["00:00"]\nspan_h = 6\nlunch = false\npromotion_only = true\n'
    + DAY_TPL.replace('"day"', '"late"') + 'starts = ["15:00"]\nlunch_window = "17:00-19:00"\n'
    + 'promotion_only = true\n',
    # a 30-minute grid: the only lunch that fits starts at 16:30 (off the 60-minute grid)
    'interval_min = 30\n[roster]\nlunch_window = "16:30-17:30"\n' + PART_TPL + DAY_TPL + 'starts = ["09:00"]\n',
    # a roster lunch window no template uses (each has its own, or none)
    '[roster]\nlunch_window = "20:00-21:00"\n' + PART_TPL + DAY_TPL + 'starts = ["09:00"]\n'
    + 'lunch_window = "11:00-14:00"\n',
])
def test_templates_that_staff_some_day_still_load(tmp_path, body):
    sc = load_scenario(write(tmp_path, body))
    assert len(sc.roster.templates) >= 2


def test_a_weekday_has_a_window_of_its_own_on_ordinary_days_only(tmp_path):
    """A shop closed on Sunday and open short hours on Saturday: ``[windows] sunday`` / ``saturday``
    replace the weekend window on ordinary Sundays and Saturdays; a holiday or a makeup workday on that
    weekday keeps its day type's window, a promotion main day the promotion window."""
    sc = load_scenario(write(tmp_path, '[windows]\nsunday = "closed"\nsaturday = "10:00-16:00"\n'))
    sunday, saturday = dt.date(2025, 3, 16), dt.date(2025, 3, 15)
    assert not sc.window("weekend", day=sunday).is_open
    assert sc.window("weekend", day=saturday).text == "10:00-16:00"
    assert sc.window("weekend").text == sc.windows["weekend"]  # no date: the day type's
    assert sc.window("weekday", day=dt.date(2025, 3, 17)).text == sc.windows["weekday"]  # Monday: its own
    assert sc.window("holiday_rest_day", day=dt.date(2025, 10, 5)).text == sc.windows["holiday_rest_day"]
    assert sc.window("makeup_workday", day=dt.date(2025, 9, 28)).text == sc.windows["makeup_workday"]
    promo = sc.model_copy(update={"promotion_window": "08:00-22:00"})
    assert promo.window("weekend", True, day=sunday).text == "08:00-22:00"


def test_a_template_for_days_that_are_all_closed_is_refused_with_weekday_windows(tmp_path):
    """With both weekend days closed by their own windows, a weekend-only template staffs nothing: refused
    on load as one worked only on closed days, naming the weekdays' windows."""
    body = ('[windows]\nsaturday = "closed"\nsunday = "closed"\n[[roster.templates]]\nname = "wk"\n'
            'starts = ["09:00"]\nspan_h = 9\nday_types = ["weekend"]\n')
    with pytest.raises(InputError) as err:
        load_scenario(write(tmp_path, body))
    assert "closed" in str(err.value) and "saturday, sunday" in str(err.value)


def test_served_false_drops_an_inherited_channel_and_a_later_file_may_serve_it_again(tmp_path):
    (tmp_path / "a.toml").write_text(f'extends = "{DEFAULT_SCENARIO.as_posix()}"\nname = "a"\n'
                                     '[channels.phone]\nserved = false\n')
    assert list(load_scenario(tmp_path / "a.toml").channels) == ["chat", "email"]
    again = load_scenario(write(tmp_path, 'extends = "a.toml"\nname = "b"\n[channels.phone]\nserved = true\n',
                                extends=False))
    assert list(again.channels) == ["chat", "phone", "email"]
    assert again.channels["phone"] == load_scenario(DEFAULT_SCENARIO).channels["phone"]
