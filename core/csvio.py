"""Reading user CSV files at the edge: every cell as text, one-line errors naming file, row and field."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from core.errors import InputError


def read_text_csv(path: str | Path, required: tuple[str, ...], *, what: str, option: str | None = None,
                  hint: str | None = None) -> pd.DataFrame:
    """All cells as stripped-header strings (a UTF-8 BOM is accepted); checks the file exists, parses,
    has the ``required`` columns and at least one row. ``what`` names the file in messages
    ("history file"), ``option`` the command-line option that gave it."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} not found", file=path, field=option)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except Exception as exc:  # pandas raises several parser error types
        raise InputError(f"not a readable CSV ({' '.join(str(exc).split())})", file=path) from None
    raw.columns = [c.strip() for c in raw.columns]
    for col in required:
        if col not in raw.columns:
            raise InputError(f"missing column '{col}' ({hint or 'required: ' + ', '.join(required)})",
                             file=path, row=1, field=col)
    if raw.empty:
        raise InputError(f"the {what} has no rows", file=path, row=2)
    return raw
