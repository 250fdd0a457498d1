"""Bounds on the numbers a user gives, in one place, and where each comes from.

Every number in a scenario and in the agent pool is checked against these on load (finite, and within
its bound), so a typo such as ``inf`` or ``1e300`` is one line naming the file and key, not an
overflow deep in the solver. The README's "Errors" section lists them for users.

Costs. The roster's objective is an integer: cost units x ``OBJECTIVE_SCALE`` (CP-SAT takes integer
coefficients only; ``scheduler.roster.model.SCALE``, which a test keeps equal to it). CP-SAT refuses a
model whose objective could overflow int64 (MODEL_INVALID) and reports the objective as a double, so
the objective is kept under ``OBJECTIVE_LIMIT`` = 2**53, where doubles still hold every integer (1024x
below int64's limit). One cost figure (an hourly cost, a penalty per missing head) is multiplied in the
objective by hours, pay multipliers and variable ranges: ``OBJECTIVE_TERMS`` = 2**24 such unit terms is
the room left for a large model (e.g. 1,000 agents x 7 days x 16 shift starts x 150 paid-hour
multiples). Hence ``MAX_COST`` = 2**53 / (100 x 2**24), about 5.4 million, rounded down to 5,000,000
[CNY]: no real hourly cost or penalty comes near it. Requirements so large that the shortfall alone
could pass the limit are refused before the solve (``scheduler.plan_health.check_objective_range``).
"""

from __future__ import annotations

import math

OBJECTIVE_SCALE = 100
"""Objective units per cost unit; must equal ``scheduler.roster.model.SCALE`` (tests/test_limits.py)."""
OBJECTIVE_LIMIT = 2**53
"""The largest objective magnitude, in objective units, a model may reach."""
OBJECTIVE_TERMS = 2**24
"""Unit terms (hours x multipliers x variable ranges) one cost figure may be multiplied by."""


def _one_digit_floor(x: float) -> float:
    """``x`` rounded down to one significant digit: 5,368,709 -> 5,000,000."""
    p = 10 ** math.floor(math.log10(x))
    return math.floor(x / p) * p


MAX_COST = _one_digit_floor(OBJECTIVE_LIMIT / (OBJECTIVE_SCALE * OBJECTIVE_TERMS))
"""[CNY] the largest hourly cost, penalty or per-change cost a scenario or agent pool may give."""
MAX_OBJECTIVE_COST = OBJECTIVE_LIMIT / OBJECTIVE_SCALE
"""[CNY] the largest objective, in cost units, a roster model may reach (shortfall included)."""

MAX_PAY_MULTIPLIER = 10.0
"""Pay multipliers (statutory 3x, rest day 2x, overtime 1.5x by law); a vendor may set up to this."""
MAX_UNSTABLE_FACTOR = 100.0
"""``roster.unstable_factor``: a head below a stable queue at 100x its weight is a rule in all but name;
more only brings the objective nearer its limit (``check_objective_range`` counts it)."""
MAX_PROMOTION_MULTIPLIER = 1000.0
"""A promotion's day multiplier on contacts (Double 11 main days reach 10-30x)."""

MAX_INTERVAL_CONTACTS = 2.0**53
"""Contacts in one history row (interval x channel). Above 2**53 a double no longer holds every integer,
so such a cell is not a count at all (``1e300``, a pasted serial number), whatever the centre's size.
The bound is absolute on purpose: the reader cannot tell a very large centre from a history in the
wrong unit, and those are caught downstream with their own message (the staffing search's Erlang cap,
the roster objective's range, ``scheduler.plan_health``); a cell far out of line with the rest of its
channel is flagged against the file itself (``OUTLIER_FACTOR``)."""
OUTLIER_FACTOR = MAX_PROMOTION_MULTIPLIER
"""A history cell more than this many times its channel's busy-interval level (the 99th percentile of
its cells) is an outlier: more than the largest promotion a scenario may describe can explain. The
forecast notes it (file and row) and fits the usual count of that interval in its place."""

SEED_MAX = 2**31 - 1
"""Seeds are 0 .. 2**31 - 1: CP-SAT's ``random_seed`` is an int32 and numpy's generators refuse
negative seeds."""

MIN_TIME_LIMIT_S = 1.0
"""[s] below this CP-SAT does not find a first roster even for the bundled 52-agent week."""
MAX_TIME_LIMIT_S = 86_400.0
"""[s] one day; the wall-clock safety net is a multiple of it."""

HOURS_PER_WEEK = 168.0
"""[h] the bound of every weekly hour figure (``max_weekly_h``, ``max_paid_h_per_week``)."""
MAX_AHT_S = 86_400.0
"""[s] a handle time longer than a day is a unit mistake."""
MAX_WAIT_S = 7 * 86_400.0
"""[s] an answer-time threshold or a mean patience: at most a week."""
MAX_RESPONSE_WINDOW_H = 720.0
"""[h] a deferred channel's response window: 30 days."""

MAX_REPS = 1000
"""Simulation replications: the 95% interval narrows as 1 / sqrt(reps), to about +-0.1 point at 1,000;
each replication of the bundled week takes ~20 ms and memory grows with reps."""
MAX_SIM_CONTACTS = 5e7
"""Contacts x replications one simulation takes: the event loop handles ~0.9 million contacts a second
(README, Simulation), so about a minute."""

MAX_CAMPAIGN_LEAD_DAYS = 60
"""[days] a campaign's lead, by a promotion's month-day rule or a dated instance of the events file: a
typo in a year cannot make one campaign of a whole year."""
MAX_CAMPAIGN_TAIL_DAYS = 30
"""[days] a campaign's after-sale tail, likewise."""
