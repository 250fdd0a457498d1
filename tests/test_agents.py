"""The agent pool's free text (``agent_id``, ``name``, ``team``): what every export shows as it is.

A control character (a line break in a quoted cell, a tab, NUL, a bell) broke the calendar and Excel
exports of every plan made from the pool, and a blank name gave rosters nobody could read: both are
refused on load in one line naming the file, row and field.
"""

from __future__ import annotations

import csv

import pytest
from typer.testing import CliRunner

from core.errors import InputError
from scheduler.agents import TEXT_FIELDS, load_agents
from scheduler.cli import app

HEADER = ["agent_id", "name", "skills", "contract", "hourly_cost", "max_weekly_h", "team", "unavailable"]
ROWS = [["A001", "陆海峰", "chat|phone", "full_time", "38", "", "A组", ""],
        ["A002", "王晓燕", "chat", "part_time", "30", "24", "B组", ""],
        ["A003", "许娜", "chat|email", "full_time", "41", "", "", ""]]
CONTROLS = [("\n", "line break"), ("\r\n", "line break"), ("\r", "line break"), ("\x85", "line break"),
            ("\t", "tab"), ("\x00", "NUL"), ("\x07", "U+0007"), ("\x01", "U+0001"), ("\x1b", "U+001B"),
            ("\x7f", "U+007F")]


def pool_file(tmp_path, row: int = 3, header=HEADER, **values) -> str:
    """A small pool, as Excel or a script writes it (fields quoted where needed), with some fields of one
    data row (``row`` is the line number) changed."""
    rows = [list(r) for r in ROWS]
    for key, value in values.items():
        rows[row - 2][HEADER.index(key)] = value
    path = tmp_path / "agents.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    return str(path)


@pytest.mark.parametrize("char,what", CONTROLS)
@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_a_control_character_inside_a_text_field_is_refused(tmp_path, field, char, what):
    path = pool_file(tmp_path, **{field: f"x{char}y"})
    with pytest.raises(InputError) as err:
        load_agents(path)
    message = str(err.value)
    assert message.startswith(f"{path}:3, field '{field}': contains a control character ({what}) in 'x")
    assert message.isprintable()  # the message itself is one printable line


def test_the_field_is_named_as_the_file_heads_it(tmp_path):
    header = ["工号", "姓名", *HEADER[2:]]
    path = pool_file(tmp_path, header=header, name="李\n娜")
    with pytest.raises(InputError, match=r"agents.csv:3, field '姓名': contains a control character \(line break\) "
                                         r"in '李\\n娜'"):
        load_agents(path)


def test_surrounding_whitespace_is_stripped_not_refused(tmp_path):
    path = pool_file(tmp_path, agent_id=" A002\t", name="\t王晓燕 \r\n", team=" B组\t")
    a2 = load_agents(path)[1]
    assert (a2.agent_id, a2.name, a2.team) == ("A002", "王晓燕", "B组")


@pytest.mark.parametrize("blank", ["", "   ", "\t", " \u3000 "])  # u3000: the ideographic space
def test_a_blank_name_is_refused(tmp_path, blank):
    path = pool_file(tmp_path, name=blank)
    with pytest.raises(InputError, match=r"agents.csv:3, field 'name': empty name$"):
        load_agents(path)


def test_a_blank_team_is_no_team(tmp_path):
    assert [a.team for a in load_agents(pool_file(tmp_path, team="  "))] == ["A组", "", ""]


def test_plan_refuses_such_a_pool_in_one_line_before_any_work(tmp_path):
    path = pool_file(tmp_path, row=2, name="line1\nline2")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["plan", "--week", "2025-11", "--agents", path, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        f"error: {path}:2, field 'name': contains a control character (line break) in 'line1\\nline2'; ids, names "
        "and teams must be printable text on one line"]
    assert "Traceback" not in result.output and not out.exists()
