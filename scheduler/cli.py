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
import json
from pathlib import Path
from typing import Annotated

import typer

from core.errors import InputError, run_reporting_user_errors
from core.names import ExportFormat

app = typer.Typer(help="Forecast, staff and roster an e-commerce customer-service team.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
data_app = typer.Typer(help="Bundled synthetic data.", no_args_is_help=True)
app.add_typer(data_app, name="data")
actuals_app = typer.Typer(help="Per-contact actuals in an embedded DuckDB database.", no_args_is_help=True)
app.add_typer(actuals_app, name="actuals")
history_app = typer.Typer(help="Interval history for the forecaster.", no_args_is_help=True)
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
ScenarioOpt = Annotated[Path | None, typer.Option("--scenario",
                                                  help="Scenario TOML. Default: scenarios/baseline.toml.")]
AgentsOpt = Annotated[Path | None, typer.Option("--agents", help="Agent pool CSV. Default: scenarios/agents.csv.")]
CalendarOpt = Annotated[str | None, typer.Option("--calendar", help="CN (default), none, or a CSV "
                                                    "date,name,kind that extends the CN calendar.")]
RequestsOpt = Annotated[Path | None, typer.Option("--requests", help="Agents' requests CSV: agent_id, date, "
                        "kind (leave, day_off or shift:<template>)[, note]; the plan writes requests_outcome.csv.")]


@command()
def plan(
    week: Annotated[str, typer.Option("--week", help="2025-11, 2025-W11 or any date in the week (2025-11-12).")],
    scenario: ScenarioOpt = None,
    history: HistoryOpt = None,
    agents: AgentsOpt = None,
    calendar: CalendarOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="Plan folder. Default: out/<scenario>/<YYYY-Www>/.")] = None,
    previous: Annotated[Path | None, typer.Option("--previous", help="Last week's plan folder: minimum rest "
                        "and consecutive days carry across, and its pattern warm-starts the solver.")] = None,
    published: Annotated[Path | None, typer.Option("--published", help="This week's plan already published: "
                         "re-plan with as few shift changes as the scenario's change_penalty buys.")] = None,
    simulate: Annotated[bool, typer.Option("--simulate", help="Also simulate the roster (10 replications) "
                                           "and add the figures to summary.json.")] = False,
    requests: RequestsOpt = None,
    friendly_cost: Annotated[bool, typer.Option("--friendly-cost", help="Also solve the week with "
                             "roster.agent_friendly = false (about the roster's solve time again) and report "
                             "what the agent-friendly terms cost, side by side.")] = False,
):
    """Forecast a week, compute requirements, roster named agents, validate, and write the plan."""
    from scheduler.plan import load_inputs, run_plan, summary_table, write_plan
    from scheduler.plan_folder import LEDGER, PLAN_FILES, REQUESTS_OUTCOME
    from scheduler.weeks import parse_week

    wk = parse_week(week)
    typer.echo(wk.describe())
    inputs = load_inputs(wk, scenario, history, agents, calendar, previous, published, requests)
    result = run_plan(inputs, friendly_cost=friendly_cost)
    if simulate:
        from scheduler.simulation import simulate_result

        result.simulation, result.summary["simulation"] = simulate_result(result, reps=10,
                                                                          seed=inputs.scenario.seed)
    target = out or Path("out") / inputs.scenario.name / wk.label
    write_plan(result, target)
    for note in result.notes:
        typer.echo(f"note: {note}")
    typer.echo(summary_table(result.summary))
    if simulate:
        from scheduler.simulation import simulation_table

        typer.echo(simulation_table(result.summary["simulation"]))
    files = PLAN_FILES + (LEDGER,) + ((REQUESTS_OUTCOME,) if result.requests_outcome is not None else ())
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
    from scheduler.staffing.requirements import erlang_report

    if (agents is None) == (target is None):
        raise InputError("give exactly one of --agents K or --target X", field="--agents/--target")
    rep = erlang_report(contacts, interval_min, aht_s, answer_within_s, agents=agents, target=target,
                        max_occupancy=max_occupancy, shrinkage=shrinkage)
    if as_json:
        typer.echo(json.dumps(rep))
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
    interval_min: Annotated[int, typer.Option("--interval-min", help="Output interval [min]: 15, 30 or 60.")] = 60,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for forecast.csv.")] = None,
):
    """Forecast contacts per channel and interval from history before the start."""
    from core.atomic import atomic_folder
    from core.scenario import load_scenario
    from forecasts.calendar import Calendar
    from forecasts.history import DEFAULT_HISTORY, read_history
    from forecasts.models import ForecastConfig, forecast_range
    from scenarios import DEFAULT_SCENARIO
    from scheduler.plan_folder import FORECAST, write_csv
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
    if interval_min not in (15, 30, 60):
        raise InputError("--interval-min must be 15, 30 or 60", field="--interval-min")
    sc = load_scenario(scenario or DEFAULT_SCENARIO)
    hist = read_history(history or DEFAULT_HISTORY)
    cal = Calendar.from_option(calendar)
    fc, notes = forecast_range(hist, sc, cal, first, n_days, ForecastConfig(interval_min=interval_min, seed=sc.seed))
    target = out or Path("out") / "forecast" / label
    with atomic_folder(target) as tmp:
        write_csv(fc, tmp / FORECAST)
    for note in notes:
        typer.echo(f"note: {note}")
    daily = fc.assign(date=fc["interval_start"].dt.date).pivot_table(index="date", columns="channel",
                                                                      values="contacts", aggfunc="sum")
    typer.echo(daily.round(0).to_string())
    typer.echo(f"wrote {target}/{FORECAST}")


@command()
def backtest(
    history: Annotated[Path, typer.Option("--history", help="History CSV (our schema, or the raw bank-calls "
                                          "export DateTime,Calls).")],
    folds: Annotated[int, typer.Option("--folds", help="Rolling origins: the last K weeks.")] = 8,
    horizon_days: Annotated[int, typer.Option("--horizon-days", help="Days forecast from each origin.")] = 7,
    calendar: CalendarOpt = None,
    scenario: ScenarioOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for backtest.csv.")] = None,
):
    """Rolling-origin backtest: WAPE per channel of our model, baselines, a peer and the Poisson floor."""
    from core.atomic import atomic_folder
    from forecasts.backtest import run_backtest_cli

    if folds < 1 or horizon_days < 1:
        raise InputError("--folds and --horizon-days must be at least 1", field="--folds")
    table, df = run_backtest_cli(history, folds, horizon_days, calendar, scenario, out)
    target = out or Path("out") / "backtest"
    with atomic_folder(target) as tmp:
        df.to_csv(tmp / "backtest.csv", index=False)
    typer.echo(table)
    typer.echo(f"wrote {target}/backtest.csv")


@command()
def compare(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario TOML files.")],
    week: Annotated[str, typer.Option("--week", help="Week to plan under every scenario.")],
    out: Annotated[Path | None, typer.Option("--out", help="Default: out/compare/<YYYY-Www>/.")] = None,
    history: HistoryOpt = None, agents: AgentsOpt = None, calendar: CalendarOpt = None,
    jobs: Annotated[int | None, typer.Option("--jobs", help="Processes (default: one per core).")] = None,
    requests: RequestsOpt = None,
):
    """Plan one week under several scenarios side by side: comparison.csv, charts, report.html."""
    from scheduler.cli_campaign import compare_cmd

    compare_cmd(scenarios, week, out, history, agents, calendar, jobs, echo=typer.echo, requests=requests)


@command()
def sweep(
    week: Annotated[str, typer.Option("--week", help="Week to plan.")],
    grid: Annotated[list[str], typer.Option("--grid", help="KEY=a:b:step or KEY=a,b,c (repeatable).")],
    scenario: ScenarioOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="Default: out/sweep/<scenario>/<YYYY-Www>/.")] = None,
    ray: Annotated[str | None, typer.Option("--ray", help="Run on Ray: local, auto or ray://host:10001.")] = None,
    time_limit_s: Annotated[float, typer.Option("--time-limit-s", help="Roster time limit per point [s].")] = 10.0,
    jobs: Annotated[int | None, typer.Option("--jobs", help="Processes (default: one per core).")] = None,
    history: HistoryOpt = None, agents: AgentsOpt = None, calendar: CalendarOpt = None,
    keep_plans: Annotated[bool, typer.Option("--keep-plans", help="Keep every point's plan folder.")] = False,
    requests: RequestsOpt = None,
):
    """Cost/service trade-off over a grid of scenario settings: sweep.csv, frontier.png, report.html."""
    from scheduler.cli_campaign import sweep_cmd

    sweep_cmd(week, grid, scenario, out, ray, time_limit_s, jobs, history, agents, calendar, keep_plans,
              echo=typer.echo, requests=requests)


@command()
def export(
    plan: Annotated[Path, typer.Option("--plan", help="A plan folder.")],
    format: Annotated[ExportFormat, typer.Option("--format", help="wide CSV, Excel or one .ics per agent.")],
    out: Annotated[Path | None, typer.Option("--out", help="Default: <plan>/export/.")] = None,
    agents: AgentsOpt = None,
):
    """Vendor exports of a plan: wide CSV (Mon..Sun cells), Excel (a sheet per team), iCalendar per agent."""
    from scheduler.cli_campaign import export_cmd

    export_cmd(plan, format, out, agents, echo=typer.echo)


DbOpt = Annotated[Path, typer.Option("--db", help="Actuals database (DuckDB file).")]


@command(actuals_app, "import")
def actuals_import(
    path: Annotated[Path, typer.Argument(help="Records CSV (.csv/.csv.gz) or Parquet.")],
    db: DbOpt = Path("actuals.duckdb"),
    rejects: Annotated[Path | None, typer.Option("--rejects", help="Where to list rejected rows.")] = None,
):
    """Validate per-contact records and upsert them on contact_id (re-imports are idempotent)."""
    from scheduler.actuals import import_records

    typer.echo(import_records(path, db, rejects).describe())


@command()
def report(
    month: Annotated[str | None, typer.Option("--month", help="2025-11")] = None,
    week: Annotated[str | None, typer.Option("--week", help="2025-W46")] = None,
    day: Annotated[str | None, typer.Option("--day", help="2025-11-12")] = None,
    db: DbOpt = Path("actuals.duckdb"),
    scenario: ScenarioOpt = None,
    plan: Annotated[Path | None, typer.Option("--plan", help="Plan folder for plan vs actual "
                                                 "(default: out/<scenario>/<YYYY-Www>/ if present).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Report folder.")] = None,
):
    """The contract's KPI report: per channel, per day and hour, top topics, plan vs actual, HTML."""
    from scheduler.actuals import build_report, period_from_options, write_report

    period = period_from_options(month, week, day)
    rep = build_report(db, period, scenario, plan)
    target = out or Path("out") / "report" / period.label
    write_report(rep, target)
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


@command(data_app, "generate")
def data_generate(
    out_history: Annotated[Path | None, typer.Option("--out-history", help="Default: the bundled file.")] = None,
    out_agents: Annotated[Path | None, typer.Option("--out-agents", help="Default: scenarios/agents.csv.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Generator seed.")] = None,
):
    """Re-create the bundled synthetic history and agent pool (seeded, byte-identical for a seed)."""
    import dataclasses

    from forecasts import synth
    from forecasts.history import DEFAULT_HISTORY
    from scenarios import DEFAULT_AGENTS

    params = synth.SynthParams() if seed is None else dataclasses.replace(synth.SynthParams(), seed=seed)
    h, a = out_history or DEFAULT_HISTORY, out_agents or DEFAULT_AGENTS
    synth.write_default_data(h, a, params)
    typer.echo(f"wrote {h} and {a}")


if __name__ == "__main__":  # pragma: no cover
    app()
