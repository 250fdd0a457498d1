"""Bundled scenario files and the default agent pool (package data)."""

from pathlib import Path

SCENARIO_DIR = Path(__file__).resolve().parent
DEFAULT_SCENARIO = SCENARIO_DIR / "baseline.toml"
DEFAULT_AGENTS = SCENARIO_DIR / "agents.csv"
