"""The agent pool: who can work, on which channels, at what cost.

CSV columns (read by :func:`core.csvio.read_text_csv`; channels as :func:`core.names.channel_key` maps them):

| column | required | meaning |
|---|---|---|
| ``agent_id`` | yes | unique id |
| ``name`` | yes | display name (Chinese names are fine), not blank |
| ``skills`` | yes | channels separated by ``|`` (or ``、`` ``/`` ``,`` ``;``), e.g. ``chat|phone``, ``在线、电话`` |
| ``contract`` | yes | ``full_time`` or ``part_time`` (or ``全职``/``全日制``, ``兼职``/``非全日制``) |
| ``hourly_cost`` | yes | [CNY/h] base cost of a paid hour, > 0 and at most ``core.limits.MAX_COST`` |
| ``max_weekly_h`` | no | [h] cap on paid hours a week, 0 to 168 (default: the labour rule) |
| ``team`` | no | team name, for exports |
| ``unavailable`` | no | dates on leave (``YYYY-MM-DD``, ``YYYY/M/D``, ``YYYY年M月D日``) separated by ``;`` |

The free-text cells (:data:`TEXT_FIELDS`) are stripped and may hold no control character
(:func:`core.values.text_cell`): a quoted cell can carry a line break or a ``\\x07`` that would break
the calendar and Excel exports of every plan made from the pool.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import Path

from core.csvio import fields_as_in_file, read_text_csv
from core.errors import InputError
from core.limits import HOURS_PER_WEEK, MAX_COST
from core.names import CHANNELS, CONTRACT_ALIASES, SKILL_SEPARATORS, channel_key
from core.values import date_cell, parse_number, text_cell

REQUIRED = ("agent_id", "name", "skills", "contract", "hourly_cost")
TEXT_FIELDS = ("agent_id", "name", "team")  # free text, shown as it is in every export
CONTRACTS = ("full_time", "part_time")


@dataclass(frozen=True)
class Agent:
    agent_id: str
    name: str
    skills: tuple[str, ...]
    contract: str
    hourly_cost: float
    max_weekly_h: float | None = None
    team: str = ""
    unavailable: frozenset[dt.date] = frozenset()
    templates: tuple[str, ...] = ()  # the only templates it works (a hired profile's); () = by contract

    def can(self, channel: str) -> bool:
        return channel in self.skills


def load_agents(path: str | Path) -> list[Agent]:
    path = Path(path)
    raw = read_text_csv(path, REQUIRED, what="agent pool file", option="--agents")
    with fields_as_in_file(raw):
        agents, seen = [], set()
        for i, rec in enumerate(raw.to_dict("records"), start=2):
            text = _text_fields(rec, path, i)
            aid = text["agent_id"]
            if aid in seen:
                raise InputError(f"duplicate agent_id '{aid}'", file=path, row=i, field="agent_id")
            seen.add(aid)
            skills = tuple(channel_key(s) for s in re.split(SKILL_SEPARATORS, rec["skills"]) if s.strip())  # aliases
            if not skills:
                raise InputError("no skills", file=path, row=i, field="skills")
            for s in skills:
                if s not in CHANNELS:
                    raise InputError(f"unknown channel '{s}'; allowed: {', '.join(CHANNELS)}",
                                     file=path, row=i, field="skills")
            contract = CONTRACT_ALIASES.get(rec["contract"].strip(), rec["contract"].strip().casefold())
            if contract not in CONTRACTS:
                raise InputError(f"unknown contract '{contract}'; allowed: {', '.join(CONTRACTS)}",
                                 file=path, row=i, field="contract")
            cost = _number(rec["hourly_cost"], path, i, "hourly_cost")
            if not 0 < cost <= MAX_COST:
                raise InputError(f"hourly_cost must be above 0 and at most {MAX_COST:,.0f} (so that the roster's "
                                 f"objective cannot overflow), got {rec['hourly_cost'].strip()}",
                                 file=path, row=i, field="hourly_cost")
            max_h = rec.get("max_weekly_h", "").strip()
            max_weekly_h = _number(max_h, path, i, "max_weekly_h") if max_h else None
            if max_weekly_h is not None and not 0 <= max_weekly_h <= HOURS_PER_WEEK:
                raise InputError(f"max_weekly_h must be from 0 to {HOURS_PER_WEEK:g} hours, got {max_h}",
                                 file=path, row=i, field="max_weekly_h")
            leave = set()
            for tok in rec.get("unavailable", "").replace(",", ";").split(";"):
                tok = tok.strip()
                if not tok:
                    continue
                leave.add(date_cell(tok, file=path, row=i, field="unavailable"))
            agents.append(Agent(aid, text["name"], skills, contract, cost, max_weekly_h, text["team"],
                                frozenset(leave)))
        return agents


def _text_fields(rec: dict, path: Path, row: int) -> dict[str, str]:
    """The row's :data:`TEXT_FIELDS`, stripped and checked: no control character; an id and a name that
    are not blank (a blank ``team`` is no team)."""
    text = {f: text_cell(rec.get(f, ""), file=path, row=row, field=f) for f in TEXT_FIELDS}
    for f in ("agent_id", "name"):
        if not text[f]:
            raise InputError(f"empty {f}", file=path, row=row, field=f)
    return text


def _number(text: str, path: Path, row: int, field: str) -> float:
    value = parse_number(text)  # as the history's: 1,234.5, full-width digits
    if math.isnan(value) and text.strip().casefold() != "nan":
        raise InputError(f"'{text}' is not a number", file=path, row=row, field=field)
    if not math.isfinite(value):  # "inf", "nan", "1e999"
        raise InputError(f"'{text.strip()}' is not a finite number", file=path, row=row, field=field)
    return value


def temporary_agents(scenario, existing: list[Agent]) -> list[Agent]:
    """The scenario's campaign hires, named ``临时坐席 T001`` ..., with ids that do not clash."""
    taken = {a.agent_id for a in existing}
    out = []
    for group in scenario.temporary_agents:
        n = 0
        i = 0
        while n < group.count:
            i += 1
            aid = f"{group.id_prefix}{i:03d}"
            if aid in taken:
                continue
            taken.add(aid)
            out.append(Agent(aid, f"临时坐席 {aid}", tuple(group.skills), group.contract, group.hourly_cost,
                             group.max_weekly_h, group.team))
            n += 1
    return out
