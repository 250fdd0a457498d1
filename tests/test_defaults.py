"""Where defaults come from, `schedule init`, `schedule data`, and help texts shown as written
(issue 14, cases 14 and 15)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scenarios import DEFAULT_AGENTS, DEFAULT_SCENARIO, bundled_files, default_agents, default_scenario
from scheduler.cli import app

runner = CliRunner()


def tree(folder: Path) -> dict[str, bytes | None]:
    return {p.relative_to(folder).as_posix(): None if p.is_dir() else p.read_bytes() for p in sorted(folder.rglob("*"))}


def test_the_bundled_files_are_the_default_outside_a_project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert default_scenario() == DEFAULT_SCENARIO and default_agents() == DEFAULT_AGENTS


def test_init_copies_the_bundled_files_for_editing_and_they_become_the_default(tmp_path, monkeypatch):
    res = runner.invoke(app, ["init", str(tmp_path / "shop")])
    assert res.exit_code == 0, res.output
    copied = tmp_path / "shop" / "scenarios"
    names = sorted(p.name for p in copied.iterdir())
    assert names == sorted(p.name for p in bundled_files())
    assert {"baseline.toml", "double11.toml", "618.toml", "7x24.toml", "events_cn.csv", "agents.csv"} <= set(names)
    for src in bundled_files():
        assert (copied / src.name).read_bytes() == src.read_bytes()
    monkeypatch.chdir(tmp_path / "shop")
    assert default_scenario() == Path.cwd() / "scenarios" / "baseline.toml"
    assert default_agents() == Path.cwd() / "scenarios" / "agents.csv"


def test_init_never_overwrites(tmp_path):
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "double11.toml").write_text("# my edits\n")
    before = tree(tmp_path)
    res = runner.invoke(app, ["init", str(tmp_path)])
    assert res.exit_code == 2 and "double11.toml" in res.output and "never overwrites" in res.output
    assert tree(tmp_path) == before  # nothing written, not even the files that were free
    (tmp_path / "scenarios" / "double11.toml").unlink()
    (tmp_path / "scenarios").rmdir()
    (tmp_path / "scenarios").write_text("a file")
    res = runner.invoke(app, ["init", str(tmp_path)])
    assert res.exit_code == 2 and "not a folder" in res.output


def test_plan_uses_and_names_the_working_directorys_scenario(tmp_path, monkeypatch):
    """Issue 14, case 14: edits to scenarios/baseline.toml were silently ignored after pip install, and plan
    did not say which scenario it used. The plan stops at the output check (its folder is someone else's),
    after naming the scenario and before the solve."""
    assert runner.invoke(app, ["init", str(tmp_path)]).exit_code == 0
    local = tmp_path / "scenarios" / "baseline.toml"
    local.write_text(local.read_text(encoding="utf-8").replace('name = "baseline"', 'name = "edited"', 1),
                     encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out" / "edited" / "2025-W11").mkdir(parents=True)
    (tmp_path / "out" / "edited" / "2025-W11" / "mine.txt").write_text("x")
    res = runner.invoke(app, ["plan", "--week", "2025-11"])
    assert "scenario: scenarios/baseline.toml (the working directory's default)" in res.output
    assert res.exit_code == 2 and "out/edited/2025-W11" in res.output  # the edited name was used
    monkeypatch.chdir(tmp_path / "out")
    res = runner.invoke(app, ["plan", "--week", "2025-11", "--out", str(tmp_path / "out" / "edited" / "2025-W11")])
    assert f"scenario: {DEFAULT_SCENARIO} (bundled; schedule init DIR copies it for editing)" in res.output


def test_help_says_where_the_defaults_come_from():
    text = runner.invoke(app, ["plan", "--help"], terminal_width=200).output
    assert "scenarios/baseline.toml in the working directory if there is one" in " ".join(text.split())


@pytest.mark.parametrize("args, shown", [(["erlang", "--help"], "Average handle time [s]."),
                                         (["erlang", "--help"], "Interval length [min]."),
                                         (["sweep", "--help"], "KEY=a:b:step or KEY=a,b,c")])
def test_help_shows_units_and_ranges_as_written(args, shown):
    """Issue 14, case 15: rich markup ate "[s]" (strike-through) and "a:b:step" (the emoji :b:)."""
    text = " ".join(runner.invoke(app, args, terminal_width=200).output.split())
    assert shown in text


@pytest.mark.slow
def test_data_generate_writes_into_the_working_directory_not_the_package(tmp_path, monkeypatch):
    """Issue 14, case 15: `schedule data generate` wrote into site-packages."""
    monkeypatch.chdir(tmp_path)
    bundled = {p: p.read_bytes() for p in (DEFAULT_AGENTS,)}
    res = runner.invoke(app, ["data", "generate"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "data" / "agents.csv").read_bytes() == DEFAULT_AGENTS.read_bytes()
    from forecasts.history import DEFAULT_HISTORY

    assert gzip.decompress((tmp_path / "data" / "history.csv.gz").read_bytes()) == \
        gzip.decompress(DEFAULT_HISTORY.read_bytes())
    assert {p: p.read_bytes() for p in bundled} == bundled
    assert runner.invoke(app, ["data", "generate"]).exit_code == 0  # the same bytes again: nothing to refuse
    (tmp_path / "data" / "agents.csv").write_text("my pool\n")
    res = runner.invoke(app, ["data", "generate"])
    assert res.exit_code == 2 and "--force" in res.output
    assert (tmp_path / "data" / "agents.csv").read_text() == "my pool\n"


@pytest.mark.slow
def test_data_actuals_writes_sample_records_for_the_import(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, ["data", "actuals", "--month", "2025-02", "--out", "contacts.csv"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["actuals", "import", "contacts.csv", "--db", "a.duckdb"])
    assert res.exit_code == 0 and " 0 rejected" in res.output, res.output
    res = runner.invoke(app, ["data", "actuals", "--month", "2025-02", "--out", "contacts.csv"])
    assert res.exit_code == 2 and "exists already" in res.output
    res = runner.invoke(app, ["data", "actuals", "--month", "2030-01", "--out", "later.csv"])
    assert res.exit_code == 2 and "no contacts in 2030-01" in res.output and not Path("later.csv").exists()

