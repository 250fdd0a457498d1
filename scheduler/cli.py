"""The ``schedule`` command: thin commands that parse, call one library function and print.

Every command is registered through :func:`command`, which runs it under the one error reporter
(:func:`core.errors.run_reporting_user_errors`): an error a user can cause (bad input, a missing or
unreadable file, infeasible rules, no roster within ``roster.time_limit_s``) prints one line naming
file, row and field on stderr and exits with code 2, and nothing is written. Anything else, such as a
roster that fails validation, is a bug of ours and keeps its traceback.

Command bodies import what they use when they run, so that ``schedule --help`` and ``schedule erlang``
start without loading pandas, the forecaster or the solver.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Annotated

import typer

from core import interrupt
from core.errors import InputError, run_reporting_user_errors
from core.names import ExportFormat, HireMode

# rich_markup_mode=None: help texts are shown as written; rich markup would eat "[s]" (strike-through) and
# "a:b:step" (the emoji code ":b:").
app = typer.Typer(help="Forecast, staff and roster an e-commerce customer-service team.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
data_app = typer.Typer(help="Synthetic data: the bundled history and agent pool, sample actuals.", no_args_is_help=True,
                       rich_markup_mode=None)
app.add_typer(data_app, name="data")
actuals_app = typer.Typer(help="Per-contact actuals in an embedded DuckDB database.", no_args_is_help=True,
                          rich_markup_mode=None)
app.add_typer(actuals_app, name="actuals")
history_app = typer.Typer(help="Interval history for the forecaster.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(history_app, name="history")


def command(group: typer.Typer = app, name: str | None = None):
    """Register the decorated function as a command of ``group`` (default: ``schedule``), run under
    the one error reporter (see the module docstring)."""

    def register(fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            code = run_reporting_user_errors(fn, *args, **kwargs)
            if code:
                raise typer.Exit(code)

        run.reports_user_errors = True
        group.command(name)(run)
        return run

    return register


HistoryOpt = Annotated[Path | None, typer.Option("--history", help="History CSV: interval_start, channel, "
                                                    "contacts[, aht_s]. Default: the bundled synthetic history.")]
ScenarioOpt = Annotated[Path | None, typer.Option("--scenario", help="Scenario TOML. Default: scenarios/baseline.toml "
                                                  "in the working directory if there is one (schedule init DIR "
                                                  "makes it), else the copy bundled with the package.")]
AgentsOpt = Annotated[Path | None, typer.Option("--agents", help="Agent pool CSV. Default: scenarios/agents.csv in "
                                                "the working directory if there is one, else the bundled one.")]
CalendarOpt = Annotated[str | None, typer.Option("--calendar", help="CN (default), none, or a CSV "
                                                    "date,name,kind that extends the CN calendar. With none: "
                                                    "no Chinese day types and no scenario campaigns (unless "
                                                    "--events gives dated ones).")]
EventsOpt = Annotated[Path | None, typer.Option("--events", help="Dated campaign instances, a CSV event,main_day,"
                                                "start,end[,presale_at]; replaces the scenario's events file.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Write into --out even when it is not new, empty or an "
                                        "earlier output of this command: files of the same names are replaced, "
                                        "everything else in it stays.")]
RequestsOpt = Annotated[Path | None, typer.Option("--requests", help="Agents' requests CSV: agent_id, date, "
                        "kind (leave, day_off or shift:<template>)[, note]; the plan writes requests_outcome.csv.")]


@command()
def plan(
    week: Annotated[str | None, typer.Option("--week", help="2025-11, 2025-W11 or any date in the week "
                                             "(2025-11-12).")] = None,
    scenario: ScenarioOpt = None,
    history: HistoryOpt = None,
    agents: AgentsOpt = None,
    calendar: CalendarOpt = None,
    events: EventsOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="Plan folder. Default: out/<scenario>/<YYYY-Www>/ "
                                             "(<YYYY-MM>/ for --month; out/<scenario>/ holding a folder per "
                                             "week for --weeks).")] = None,
    previous: Annotated[Path | None, typer.Option("--previous", help="Last week's plan folder: minimum rest, "
                        "consecutive days, the ISO week's rest day, the month's overtime and the comp days off "
                        "owed carry across, and its pattern warm-starts the solver.")] = None,
    published: Annotated[Path | None, typer.Option("--published", help="This week's plan already published: "
                         "re-plan with as few shift changes as the scenario's change_penalty buys.")] = None,
    simulate: Annotated[bool, typer.Option("--simulate", help="Also simulate the roster (10 replications) "
                                           "and add the figures to summary.json.")] = False,
    month: Annotated[str | None, typer.Option("--month", help="Plan a calendar month in one model: 2025-10 "
                                              "(solver settings in [roster.month]).")] = None,
    weeks: Annotated[str | None, typer.Option("--weeks", help="Plan weeks one after the other, each carrying "
                                              "the one before: 2025-W01:2025-W52; writes year_summary.csv "
                                              "and year_summary.png.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="With --weeks: keep the weeks already planned in "
                                         "the output folder and go on from the first one missing.")] = False,
    force: ForceOpt = False,
    hire: Annotated[HireMode | None, typer.Option("--hire", help="auto: add the fewest agents of the scenario's "
                    "[hire] table that meet every target, and list them in hires.csv.")] = None,
    requests: RequestsOpt = None,
    friendly_cost: Annotated[bool, typer.Option("--friendly-cost", help="Also solve the week with "
                             "roster.agent_friendly = false (about the roster's solve time again) and report "
                             "what the agent-friendly terms cost, side by side.")] = False,
):
    """Forecast a week (or a month, or chained weeks), compute requirements, roster named agents,
    validate, and write the plan."""
    from core.names import folder_name
    from scenarios import describe_input
    from scheduler.plan import load_inputs, run_plan, write_plan
    from scheduler.plan_folder import PlanFolder
    from scheduler.weeks import parse_week

    if sum(x is not None for x in (week, month, weeks)) != 1:
        raise InputError("give exactly one of --week, --month or --weeks", field="--week/--month/--weeks")
    if weeks is not None:
        from scheduler.chain import parse_weeks, plan_weeks

        if published is not None or simulate:
            raise InputError("--weeks plans each week from scratch: --published and --simulate are for one week",
                             field="--weeks")
        interrupt.call(lambda: plan_weeks(parse_weeks(weeks), scenario=scenario, history=history, agents=agents,
                                          calendar=calendar, previous=previous, events=events, out=out,
                                          resume=resume, force=force, hire_auto=hire == HireMode.auto,
                                          echo=typer.echo), "plan --weeks")
        return
    if resume:
        raise InputError("--resume continues a chain of --weeks", field="--resume")
    if month is not None:
        from scheduler.horizon import parse_month, run_month

        wk = parse_month(month)
        if published is not None:
            raise InputError("--published re-plans one week", field="--published")
        if hire is not None:
            raise InputError("--hire sizes the pool of one week: plan the month's weeks with --weeks --hire auto",
                             field="--hire")
    else:
        wk = parse_week(week)
    typer.echo(wk.describe())
    inputs = load_inputs(wk, scenario, history, agents, calendar, previous, published, events,
                         requests_path=requests)
    inputs.hire_auto = hire == HireMode.auto
    inputs.friendly_cost = friendly_cost
    typer.echo(f"scenario: {describe_input(inputs.paths['scenario'], scenario is not None)}")
    name = inputs.scenario.name
    target = out or Path("out") / folder_name(name) / wk.label
    if out is None and folder_name(name) != name:
        typer.echo(f"note: the scenario name '{name}' is not a folder name; writing under out/{folder_name(name)}/")
    PlanFolder(target).check_writable(force)  # before the solve, not after it
    # Ctrl-C stops the search: the plan is written with its roster so far (core.interrupt)
    result = interrupt.call(lambda: run_month(inputs, echo=typer.echo) if month is not None else run_plan(inputs),
                            "plan")
    if simulate:
        from scheduler.simulation import simulate_result

        result.simulation, result.summary["simulation"] = simulate_result(result, reps=10,
                                                                          seed=inputs.scenario.seed)
    write_plan(result, target, force=force)
    _echo_plan(result, inputs, target, simulate)


def _echo_plan(result, inputs, target: Path, simulate: bool) -> None:
    """The plan's console report: notes, the service table, the cause and capacity lines when a target
    is missed, warnings, the simulation and the files written."""
    from scheduler.capacity.report import capacity_line, cause_line, missed_targets
    from scheduler.plan import summary_table
    from scheduler.plan_folder import HIRES, LEDGER, LEDGER_FILES, PLAN_FILES, REPORT, REQUESTS_OUTCOME

    for note in result.notes:
        typer.echo(f"note: {note}")
    typer.echo(summary_table(result.summary))
    missed = missed_targets(result.summary["channels"])
    if missed and result.summary.get("binding_cause"):
        typer.echo(cause_line(result.summary["binding_cause"]))
    if missed or inputs.hire_auto or result.summary["capacity"].get("held_to_targets"):
        typer.echo(capacity_line(result.summary["capacity"], inputs.scenario.hire is not None))
    for warning in result.summary["warnings"]:
        typer.echo(f"warning: {warning}")
    if simulate:
        from scheduler.simulation import simulation_table

        typer.echo(simulation_table(result.summary["simulation"]))
    files = (PLAN_FILES + ((HIRES,) if result.hires is not None else ()) + LEDGER_FILES + (REPORT, LEDGER)
             + ((REQUESTS_OUTCOME,) if inputs.requests else ()))
    typer.echo(f"wrote {target}/ ({', '.join(files)})")


@command()
def simulate(
    plan: Annotated[Path, typer.Option("--plan", help="A plan folder written by schedule plan.")],
    reps: Annotated[int, typer.Option("--reps", help="Replications (confidence intervals over them).")] = 10,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 7,
):
    """Discrete-event simulation of a saved plan; writes simulation.csv into the plan folder."""
    from scheduler.simulation import simulate_plan, simulation_table, write_simulation

    if reps < 2:
        raise InputError("--reps must be at least 2 for confidence intervals", field="--reps")
    per_day, summary = simulate_plan(plan, reps=reps, seed=seed)
    write_simulation(per_day, plan)
    typer.echo(simulation_table(summary))
    typer.echo(f"wrote {plan}/simulation.csv")


@command()
def validate(
    plan: Annotated[Path | None, typer.Option("--plan", help="A plan folder: its roster is checked against the "
                    "problem it was made from (summary.json's inputs, requirements.csv).")] = None,
    roster: Annotated[Path | None, typer.Option("--roster", help="The roster to check, edited by hand: a "
                      "shifts.csv, roster_wide.csv or roster_wide.xlsx. Default: the plan's shifts.csv.")] = None,
    scenario: ScenarioOpt = None, agents: AgentsOpt = None, history: HistoryOpt = None, calendar: CalendarOpt = None,
    events: EventsOpt = None,
    previous: Annotated[Path | None, typer.Option("--previous", help="Last week's plan folder (default: the "
                        "plan's own --previous).")] = None,
    requests: Annotated[Path | None, typer.Option("--requests", help="The agents' requests CSV: approved leave "
                        "is checked (default: the plan's own --requests).")] = None,
):
    """Re-check a roster edited by hand: every labour rule, coverage and cost. Exit code 0: no violation;
    1: violations (one line each, naming agent, date and rule); 2: bad input."""
    from scheduler.revalidate import Options, recheck

    result = recheck(Options(plan, roster, scenario, agents, history, calendar, events, previous, requests))
    for line in result.lines():
        typer.echo(line)
    if result.findings:
        raise typer.Exit(1)


@command()
def erlang(
    contacts: Annotated[float, typer.Option("--contacts", help="Contacts arriving in the interval.")],
    aht_s: Annotated[float, typer.Option("--aht-s", help="Average handle time [s].")],
    answer_within_s: Annotated[float, typer.Option("--answer-within-s", help="Service-level threshold [s].")],
    interval_min: Annotated[float, typer.Option("--interval-min", help="Interval length [min].")] = 60,
    agents: Annotated[int | None, typer.Option("--agents", help="Agents on the queue: report their service.")] = None,
    target: Annotated[float | None, typer.Option("--target",
                                                 help="Service-level target in (0, 1): find the agents.")] = None,
    max_occupancy: Annotated[float, typer.Option("--max-occupancy", help="Occupancy cap in (0, 1].")] = 1.0,
    shrinkage: Annotated[float, typer.Option("--shrinkage", help="Share of paid time off the phones, [0, 1).")] = 0.0,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
):
    """Erlang C calculator: service level of K agents, or the agents needed for a target."""
    from core.jsonio import dumps
    from scheduler.staffing.calculator import erlang_report

    if (agents is None) == (target is None):
        raise InputError("give exactly one of --agents K or --target X", field="--agents/--target")
    rep = erlang_report(contacts, interval_min, aht_s, answer_within_s, agents=agents, target=target,
                        max_occupancy=max_occupancy, shrinkage=shrinkage)
    if as_json:
        typer.echo(dumps(rep))  # strict JSON: asa_s of an unstable queue is null
        return
    typer.echo(f"offered load {rep.get('load_erl', contacts * aht_s / (interval_min * 60)):.3f} Erlang")
    typer.echo(f"agents {rep['agents']}  p_wait {rep['p_wait']:.4f}  service_level {rep['service_level']:.3f}  "
               f"asa_s {rep['asa_s']:.1f}  occupancy {rep['occupancy']:.3f}")
    if "scheduled_agents" in rep:
        typer.echo(f"scheduled agents after {shrinkage:.0%} shrinkage: {rep['scheduled_agents']}")


@command()
def forecast(
    week: Annotated[str | None, typer.Option("--week", help="Week to forecast.")] = None,
    start: Annotated[str | None, typer.Option("--start", help="First day YYYY-MM-DD (with --days).")] = None,
    days: Annotated[int, typer.Option("--days", help="Days to forecast from --start.")] = 7,
    history: HistoryOpt = None,
    scenario: ScenarioOpt = None,
    calendar: CalendarOpt = None,
    events: EventsOpt = None,
    interval_min: Annotated[int | None, typer.Option("--interval-min", help="Output interval [min]: 15, 30 or 60, "
                                                     "a multiple of the history's. Default: the scenario's "
                                                     "interval_min, as plan forecasts.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for forecast.csv. Default: "
                                             "out/forecast/<YYYY-Www>/.")] = None,
    force: ForceOpt = False,
):
    """Forecast contacts per channel and interval from history before the start."""
    from core.atomic import atomic_folder, check_output_folder
    from core.scenario import load_scenario
    from forecasts.history import DEFAULT_HISTORY, read_history
    from forecasts.inputs import prepare
    from forecasts.models import ForecastConfig, forecast_range
    from scenarios import default_scenario
    from scheduler.plan import served_history
    from scheduler.plan_folder import FORECAST, write_csv
    from scheduler.plan_health import unforecast_channels
    from scheduler.weeks import parse_week

    if (week is None) == (start is None):
        raise InputError("give exactly one of --week W or --start DATE", field="--week/--start")
    if week is not None:
        wk = parse_week(week)
        typer.echo(wk.describe())
        first, n_days, label = wk.start_date, 7, wk.label
    else:
        try:
            first = dt.date.fromisoformat(start)
        except ValueError:
            raise InputError(f"'{start}' is not a date YYYY-MM-DD", field="--start") from None
        if days < 1 or days > 62:
            raise InputError("--days must be between 1 and 62", field="--days")
        n_days, label = days, f"{first.isoformat()}+{days}d"
    if interval_min is not None and interval_min not in (15, 30, 60):
        raise InputError("--interval-min must be 15, 30 or 60", field="--interval-min")
    target = out or Path("out") / "forecast" / label
    check_output_folder(target, "forecast", force=force, known=[FORECAST])
    inputs = prepare(load_scenario(scenario or default_scenario()), calendar, events)
    sc = inputs.scenario
    hist = served_history(sc, read_history(history or DEFAULT_HISTORY))
    interval_min = interval_min or sc.interval_min  # the plan's intervals unless asked for others
    fc, notes = forecast_range(hist, sc, inputs.calendar, first, n_days,
                               ForecastConfig(interval_min=interval_min, seed=sc.seed))
    fc, warnings = unforecast_channels(sc, fc, hist.source)  # as the plan forecasts it: a channel without history at 0
    with atomic_folder(target, "forecast", force=force, known=[FORECAST]) as tmp:
        write_csv(fc, tmp / FORECAST)
    for note in notes:
        typer.echo(f"note: {note}")
    for warning in warnings:
        typer.echo(f"warning: {warning}")
    daily = fc.assign(date=fc["interval_start"].dt.date).pivot_table(index="date", columns="channel",
                                                                      values="contacts", aggfunc="sum")
    typer.echo(daily.round(0).to_string())
    typer.echo(f"wrote {target}/{FORECAST}")


@command()
def backtest(
    history: Annotated[Path | None, typer.Option("--history", help="History CSV (our schema, or the raw bank-calls "
                                                 "export DateTime,Calls). Default: the bundled synthetic "
                                                 "history.")] = None,
    folds: Annotated[int, typer.Option("--folds", help="Rolling origins: the last K weeks.")] = 8,
    horizon_days: Annotated[int, typer.Option("--horizon-days", help="Days forecast from each origin.")] = 7,
    calendar: CalendarOpt = None,
    scenario: ScenarioOpt = None,
    events: EventsOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for backtest.csv. Default: out/backtest/.")] = None,
    force: ForceOpt = False,
):
    """Rolling-origin backtest: WAPE per channel of our model, baselines, a peer and the Poisson floor."""
    from core.atomic import atomic_folder, check_output_folder
    from core.cells import write_table
    from forecasts.backtest import run_backtest_cli
    from forecasts.history import DEFAULT_HISTORY

    if folds < 1 or horizon_days < 1:
        raise InputError("--folds and --horizon-days must be at least 1", field="--folds")
    target = out or Path("out") / "backtest"
    check_output_folder(target, "backtest", force=force, known=["backtest.csv"])
    table, df = run_backtest_cli(history or DEFAULT_HISTORY, folds, horizon_days, calendar, scenario, events)
    with atomic_folder(target, "backtest", force=force, known=["backtest.csv"]) as tmp:
        write_table(df, tmp / "backtest.csv", bom=False)
    typer.echo(table)
    typer.echo(f"wrote {target}/backtest.csv")


@command()
def compare(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario TOML files.")],
    week: Annotated[str, typer.Option("--week", help="Week to plan under every scenario.")],
    out: Annotated[Path | None, typer.Option("--out", help="Default: out/compare/<YYYY-Www>/.")] = None,
    history: HistoryOpt = None, agents: AgentsOpt = None, calendar: CalendarOpt = None, events: EventsOpt = None,
    jobs: Annotated[int | None, typer.Option("--jobs", help="Processes (default: one per core).")] = None,
    force: ForceOpt = False,
    requests: RequestsOpt = None,
):
    """Plan one week under several scenarios side by side: comparison.csv, charts, report.html."""
    from scheduler.cli_campaign import compare_cmd

    compare_cmd(scenarios, week, out, history, agents, calendar, jobs, echo=typer.echo, events=events, force=force,
                requests=requests)


@command()
def sweep(
    week: Annotated[str, typer.Option("--week", help="Week to plan.")],
    grid: Annotated[list[str], typer.Option("--grid", help="KEY=a:b:step or KEY=a,b,c (repeatable).")],
    scenario: ScenarioOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="Default: out/sweep/<scenario>/<YYYY-Www>/.")] = None,
    ray: Annotated[str | None, typer.Option("--ray", help="Run on Ray: local, auto or ray://host:10001.")] = None,
    time_limit_s: Annotated[float | None, typer.Option(
        "--time-limit-s", help="Roster time limit per point [s] (default: 10, or the scenario's when lower).")] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", help="Processes (default: one per core).")] = None,
    history: HistoryOpt = None, agents: AgentsOpt = None, calendar: CalendarOpt = None, events: EventsOpt = None,
    keep_plans: Annotated[bool, typer.Option("--keep-plans", help="Keep every point's plan folder.")] = False,
    force: ForceOpt = False,
    requests: RequestsOpt = None,
):
    """Cost/service trade-off over a grid of scenario settings: sweep.csv, frontier.png, report.html."""
    from scheduler.cli_campaign import sweep_cmd

    sweep_cmd(week, grid, scenario, out, ray, time_limit_s, jobs, history, agents, calendar, keep_plans,
              echo=typer.echo, events=events, force=force, requests=requests)


@command()
def export(
    plan: Annotated[Path, typer.Option("--plan", help="A plan folder.")],
    format: Annotated[ExportFormat, typer.Option("--format", help="wide CSV, Excel or one .ics per agent.")],
    out: Annotated[Path | None, typer.Option("--out", help="Export folder (it collects the formats). Default: "
                                             "<plan>/export/.")] = None,
    agents: AgentsOpt = None,
    published: Annotated[Path | None, typer.Option("--published", help="ics: the calendars published before "
                         "(an ics folder, or a plan or export folder holding one): moved shifts become updates, "
                         "removed ones cancellations. Default: the ics folder being replaced, if any.")] = None,
    force: ForceOpt = False,
):
    """Vendor exports of a plan: wide CSV (Mon..Sun cells), Excel (a sheet per team), iCalendar per agent."""
    from scheduler.cli_campaign import export_cmd

    export_cmd(plan, format, out, agents, echo=typer.echo, force=force, published=published)


DbOpt = Annotated[Path, typer.Option("--db", help="Actuals database (DuckDB file).")]


@command(actuals_app, "import")
def actuals_import(
    path: Annotated[Path, typer.Argument(help="Records CSV (.csv/.csv.gz) or Parquet.")],
    db: DbOpt = Path("actuals.duckdb"),
    rejects: Annotated[Path | None, typer.Option("--rejects", help="Where to list rejected rows.")] = None,
    max_reject_share: Annotated[float | None, typer.Option(
        "--max-reject-share", help="Import nothing and exit 2 (the rejects still listed) when more than this "
                                   "share of the records is rejected. Default: 0.05.")] = None,
):
    """Validate per-contact records and upsert them on contact_id (re-imports are idempotent)."""
    from scheduler.actuals import import_records

    typer.echo(import_records(path, db, rejects, max_reject_share=max_reject_share).describe())


@command()
def report(
    month: Annotated[str | None, typer.Option("--month", help="2025-11")] = None,
    week: Annotated[str | None, typer.Option("--week", help="2025-W46")] = None,
    day: Annotated[str | None, typer.Option("--day", help="2025-11-12")] = None,
    db: DbOpt = Path("actuals.duckdb"),
    scenario: ScenarioOpt = None,
    plan: Annotated[Path | None, typer.Option("--plan", help="Plan folder for plan vs actual "
                                                 "(default: out/<scenario>/<YYYY-Www>/ if present).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Report folder. Default: out/report/<period>/.")] = None,
    force: ForceOpt = False,
):
    """The contract's KPI report: per channel, per day and hour, top topics, plan vs actual, HTML."""
    from scheduler.actuals import build_report, check_report_folder, period_from_options, write_report

    period = period_from_options(month, week, day)
    target = out or Path("out") / "report" / period.label
    check_report_folder(target, force)
    rep = build_report(db, period, scenario, plan)
    write_report(rep, target, force=force)
    for note in rep.notes:
        typer.echo(f"note: {note}")
    typer.echo(rep.table())
    typer.echo(f"wrote {target}/")


@command(history_app, "from-actuals")
def history_from_actuals_cmd(
    out: Annotated[Path, typer.Option("--out", help="History CSV to write.")],
    db: DbOpt = Path("actuals.duckdb"),
    interval_min: Annotated[int, typer.Option("--interval-min", help="Interval [min].")] = 60,
    base: Annotated[Path | None, typer.Option("--base", help="A history the actuals replace day by day.")] = None,
):
    """Aggregate actuals into the interval history the forecaster reads (feed them back)."""
    from scheduler.actuals import history_from_actuals

    frame = history_from_actuals(db, out, interval_min, base_history=base)
    typer.echo(f"wrote {out}: {len(frame)} rows, {int(frame['contacts'].sum())} contacts")


@command()
def init(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="Folder to set up (created if needed), e.g. . for "
                                           "the working directory.")],
):
    """Copy the bundled scenarios, events file and agent pool into DIR/scenarios/ for editing; commands run
    from DIR use them by default. Never overwrites a file."""
    from scheduler.project import init_folder

    written = init_folder(folder)
    typer.echo(f"wrote {folder / 'scenarios'}/ ({', '.join(p.name for p in written)})")
    typer.echo(f"commands run from {folder} now use scenarios/baseline.toml and scenarios/agents.csv there by "
               "default; edit them")


@command(data_app, "generate")
def data_generate(
    out_history: Annotated[Path, typer.Option("--out-history", help="History to write.")] = Path(
        "data/history.csv.gz"),
    out_agents: Annotated[Path, typer.Option("--out-agents", help="Agent pool to write.")] = Path("data/agents.csv"),
    seed: Annotated[int | None, typer.Option("--seed", help="Generator seed.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace existing files that differ.")] = False,
):
    """Re-create the bundled synthetic history and agent pool (seeded, byte-identical for a seed), by
    default into data/ in the working directory; use them with --history and --agents."""
    import dataclasses

    from forecasts import synth

    params = synth.SynthParams() if seed is None else dataclasses.replace(synth.SynthParams(), seed=seed)
    synth.write_default_data(out_history, out_agents, params, force=force)
    typer.echo(f"wrote {out_history} and {out_agents}")


@command(data_app, "actuals")
def data_actuals(
    month: Annotated[str, typer.Option("--month", help="2025-11: one record per contact of the bundled "
                                       "history's month.")],
    out: Annotated[Path, typer.Option("--out", help="Records file: .csv, .csv.gz or .parquet.")],
    seed: Annotated[int, typer.Option("--seed", help="Generator seed.")] = 7,
):
    """Sample per-contact records (what a vendor's ticketing system exports) for schedule actuals import."""
    from scheduler.actuals import generate_records, period_from_options, write_records

    if out.exists() or out.is_symlink():
        raise InputError("exists already: give a new file", file=out, field="--out")
    if not out.name.lower().endswith((".csv", ".csv.gz", ".parquet", ".pq")):
        raise InputError("write .csv, .csv.gz or .parquet", file=out, field="--out")
    period = period_from_options(month, None, None)
    records = generate_records(None, seed=seed, start=period.start, days=len(period.days))
    if records.empty:
        raise InputError(f"the bundled history has no contacts in {period.label} (it covers 2023-2025)",
                         field="--month")
    write_records(records, out)
    typer.echo(f"wrote {out}: {len(records)} records of {period.label} ({records['channel'].value_counts().to_dict()})")




if __name__ == "__main__":  # pragma: no cover
    app()
