"""Strict JSON out: what has no JSON number (Infinity, NaN) is null, at any depth."""

import json
import math

import numpy as np

from core.jsonio import dumps


def _refuse(constant):
    raise AssertionError(f"{constant} is not JSON")


def test_infinite_and_nan_figures_are_null_at_any_depth():
    obj = {"asa_s": math.inf, "gap": np.float64("nan"), "bounds": [-math.inf, np.float32(1.5), (2, np.inf)],
           "ok": {"n": 3, "x": 0.25, "flag": True, "name": "陆海峰"}}
    assert json.loads(dumps(obj, ensure_ascii=False), parse_constant=_refuse) == {
        "asa_s": None, "gap": None, "bounds": [None, 1.5, [2, None]],
        "ok": {"n": 3, "x": 0.25, "flag": True, "name": "陆海峰"}}


def test_summary_json_is_written_by_the_same_rule(tmp_path):
    import pandas as pd

    from scheduler.plan_folder import write_json

    write_json({"solver": {"gap": np.float64("inf"), "best_bound": np.float32("nan"), "workers": np.int64(2)},
                "at": pd.Timestamp("2025-03-10T09:00")}, tmp_path / "summary.json")
    assert json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"), parse_constant=_refuse) == {
        "solver": {"gap": None, "best_bound": None, "workers": 2}, "at": "2025-03-10T09:00"}
