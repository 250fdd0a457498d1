"""JSON the tool writes (``summary.json``, ``--json`` output): strict RFC 8259, so that any parser reads it.

JSON has no Infinity or NaN; Python's :func:`json.dumps` writes them anyway (``Infinity``), which
``JSON.parse``, ``jq`` and most other readers refuse. A figure that is infinite or undefined (the wait
of an unstable queue, the gap of a solve with no bound) is written as ``null``, here only.
"""

from __future__ import annotations

import json

import numpy as np


def finite(o):
    """``o`` with every non-finite float (in dicts, lists and tuples) replaced by None."""
    if isinstance(o, dict):
        return {k: finite(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [finite(v) for v in o]
    if isinstance(o, (float, np.floating)):
        return float(o) if np.isfinite(o) else None
    return o


def dumps(obj, **kwargs) -> str:
    """:func:`json.dumps` of ``obj`` as strict JSON: infinite and NaN figures as ``null`` (:func:`finite`)."""
    return json.dumps(finite(obj), allow_nan=False, **kwargs)
