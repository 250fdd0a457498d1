"""Cells people open: formula injection neutralised (issue 14, case 8) and a BOM where text may be Chinese."""

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.cells import (
    FORMULA_START,
    escape_cell,
    escape_text,
    needs_escape,
    sql_escaped,
    unescape_cell,
    unescape_text,
    write_table,
)

ATTACKS = ['=HYPERLINK("http://x","click")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "\t=1+1", "\r=1+1",
           "=1+1"]
# text built from the characters that matter, so that the edge cases (quotes before a trigger) come up often
TEXT = st.text(alphabet=st.sampled_from(["'", "=", "+", "-", "@", "\t", "\r", "1", ".", "e", "a", "陆", " "]),
               max_size=8) | st.text(max_size=12)


@pytest.mark.parametrize("text", ATTACKS)
def test_a_formula_gets_a_quote(text):
    assert escape_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["-3", "+1.5", "-0.25e3", "陆海峰", "A001", "09:00-18:00 L12:00", "休", "", "x=1"])
def test_numbers_and_plain_text_stay_as_they_are(text):
    assert escape_cell(text) == text


def test_non_text_values_are_untouched():
    for value in (-3, -3.5, np.float64(-1.0), None, float("nan")):
        assert escape_cell(value) is value


@given(TEXT)
@settings(max_examples=400, deadline=None)
def test_unescape_undoes_escape_for_every_text(text):
    assert unescape_cell(escape_cell(text)) == text


@given(TEXT)
@settings(max_examples=400, deadline=None)
def test_no_escaped_cell_starts_a_formula(text):
    out = escape_cell(text)
    assert out[:1] not in FORMULA_START or not needs_escape(out)


@given(st.lists(TEXT, min_size=1, max_size=20))
@settings(max_examples=60, deadline=None)
def test_the_sql_rule_is_the_python_rule(texts):
    con = duckdb.connect()
    got = [r[0] for r in con.execute(f"SELECT {sql_escaped('t')} FROM unnest(?) AS u(t)", [texts]).fetchall()]
    assert got == [escape_cell(t) for t in texts]


def test_frames_escape_text_columns_only(tmp_path):
    df = pd.DataFrame({"name": ["=1+1", "陆海峰", None], "delta": [-3, 2, 1], "share": [-0.5, np.nan, 1.0]})
    out = escape_text(df)
    assert out["name"].tolist()[:2] == ["'=1+1", "陆海峰"] and out["name"].isna().iloc[2]
    assert out["delta"].tolist() == [-3, 2, 1]
    pd.testing.assert_frame_equal(unescape_text(out), df)

    path = tmp_path / "comparison.csv"
    write_table(df, path, bom=True)  # people open it in Excel
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").splitlines() == ["name,delta,share", "'=1+1,-3,-0.5", "陆海峰,2,", ",1,1.0"]
    write_table(df, tmp_path / "coverage.csv", bom=False)
    assert not (tmp_path / "coverage.csv").read_bytes().startswith(b"\xef\xbb\xbf")


