"""Writing plan folders: fixed column orders, local timestamps ``YYYY-MM-DDTHH:MM``, all or nothing.

Files are written into a temporary sibling folder and renamed into place at the end
(:func:`core.atomic.atomic_folder`), so a failed run never leaves a half-written plan (and an earlier
plan in the same folder is replaced whole).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

TIME_FMT = "%Y-%m-%dT%H:%M"

COLUMNS = {
    "forecast.csv": ["interval_start", "channel", "contacts", "contacts_p10", "contacts_p90", "aht_s"],
    "requirements.csv": ["interval_start", "channel", "contacts", "aht_s", "required_agents",
                         "required_scheduled", "open", "arrivals", "carried_over", "load_erl"],
    "shifts.csv": ["agent_id", "agent_name", "date", "day_type", "shift_start", "shift_end", "lunch_start",
                   "lunch_end", "paid_hours", "pay_multiplier", "channels", "promotion", "cost"],
    "coverage.csv": ["interval_start", "channel", "contacts", "aht_s", "required_agents", "scheduled_agents",
                     "service_level", "asa_s", "occupancy", "required_scheduled", "scheduled_heads", "open"],
    "assignments.csv": ["interval_start", "agent_id", "channel"],
    "shortfall.csv": ["interval_start", "channel", "required_scheduled", "scheduled_heads", "missing", "cause"],
}
ROUND = {"contacts": 2, "contacts_p10": 0, "contacts_p90": 0, "aht_s": 1, "arrivals": 2, "carried_over": 2,
         "load_erl": 3, "scheduled_agents": 2, "service_level": 4, "asa_s": 1, "occupancy": 4,
         "paid_hours": 2, "pay_multiplier": 3, "cost": 2}


def format_frame(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Put columns in their published order (extra columns after) and format times and numbers."""
    cols = COLUMNS.get(name, list(df.columns))
    present = [c for c in cols if c in df.columns] + [c for c in df.columns if c not in cols]
    out = df[present].copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime(TIME_FMT).fillna("")
        elif c == "date":
            out[c] = pd.to_datetime(out[c]).dt.strftime("%Y-%m-%d")
        elif c in ROUND and pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].round(ROUND[c])
    return out


def write_csv(df: pd.DataFrame, path: Path, name: str | None = None, bom: bool = False) -> None:
    format_frame(df, name or path.name).to_csv(path, index=False, encoding="utf-8-sig" if bom else "utf-8",
                                               lineterminator="\n")


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return None if not np.isfinite(o) else float(o)
    if isinstance(o, (pd.Timestamp,)):
        return o.strftime(TIME_FMT)
    return str(o)


def _finite(o):
    """Strict JSON has no Infinity or NaN: write them as null."""
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_finite(v) for v in o]
    if isinstance(o, (float, np.floating)):
        return float(o) if np.isfinite(o) else None
    return o


def write_json(obj, path: Path) -> None:
    text = json.dumps(_finite(obj), indent=2, ensure_ascii=False, default=_json_default, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
