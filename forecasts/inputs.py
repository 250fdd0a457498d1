"""What a forecast runs with, from the scenario and the command's ``--calendar`` and ``--events``: one
meaning of both options for ``forecast``, ``plan``, ``backtest``, ``compare`` and ``sweep``.

- ``--calendar`` CN (default) or a CSV: Chinese day types; campaigns from the scenario (its dated
  ``events`` file, and the month-day rule of its ``[[promotions]]`` for the years the file does not list).
- ``--calendar none`` (data from elsewhere): no Chinese day types and no scenario campaigns (neither its
  events file nor its month-day rules), unless ``--events`` gives dated ones; the scenario's promotions
  then only lend those events their fallback multipliers.
- ``--events PATH`` replaces the scenario's events file.

The forecast notes say which applied (:func:`calendar_notes`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.events import CampaignInstance, read_events_csv
from core.scenario import Scenario
from forecasts.calendar import Calendar


@dataclass(frozen=True)
class ForecastInputs:
    scenario: Scenario
    calendar: Calendar


def campaign_scenario(scenario: Scenario, calendar: Calendar, events: list[CampaignInstance] | None = None,
                      events_source: str | None = None) -> Scenario:
    """The scenario with the campaigns that apply under ``calendar`` and the ``--events`` instances."""
    if events is not None:
        scenario = scenario.with_events(events, events_source)
    if calendar.kind == "none":
        if events is None:
            return scenario.without_campaigns()
        return scenario.model_copy(update={"events_only": True})
    return scenario


def prepare(scenario: Scenario, calendar_option: str | Path | None = None,
            events_option: str | Path | None = None) -> ForecastInputs:
    """The scenario (with the campaigns that apply) and the calendar of a command's options."""
    calendar = Calendar.from_option(calendar_option)
    events = read_events_csv(events_option) if events_option is not None else None
    return ForecastInputs(campaign_scenario(scenario, calendar, events, str(events_option)), calendar)


def calendar_notes(scenario: Scenario | None, calendar: Calendar) -> list[str]:
    """What the forecast assumed about day types and campaigns, for the notes of every command."""
    if calendar.kind != "none":
        return []
    if scenario is not None and scenario.events and scenario.events_only:
        return [f"--calendar none: no Chinese day types; campaigns only from the dated events of "
                f"{scenario.events_file or '--events'}"]
    if scenario is not None and (scenario.events or scenario.promotions):
        return ["--calendar none: no Chinese day types; the scenario's campaigns apply"]
    return ["--calendar none: no Chinese day types and no campaigns (give dated ones with --events)"]
