"""Actuals: what really happened, per contact, in an embedded DuckDB database.

The data flow: records (CSV/Parquet) -> :func:`import_records` (validate, upsert) -> database ->
:func:`build_report` / :func:`write_report` (the contract's KPI report, plan vs actual) and
:func:`history_from_actuals` (interval history for the forecaster). :mod:`.synth` makes
realistic records for tests, demos and the benchmark.
"""

from scheduler.actuals.history import history_frame, history_from_actuals
from scheduler.actuals.report import (
                                      Period,
                                      Report,
                                      build_report,
                                      check_report_folder,
                                      find_plans,
                                      parse_period,
                                      period_from_options,
                                      render_html,
                                      write_report,
)
from scheduler.actuals.store import DEFAULT_DB, ImportResult, default_rejects_path, import_records
from scheduler.actuals.synth import generate_records, write_records

__all__ = [
    "DEFAULT_DB", "ImportResult", "Period", "Report", "build_report", "check_report_folder", "default_rejects_path",
    "find_plans",
    "generate_records", "history_frame", "history_from_actuals", "import_records", "parse_period",
    "period_from_options", "render_html", "write_records", "write_report",
]
