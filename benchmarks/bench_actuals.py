"""Benchmark: import 5 million per-contact records into DuckDB, re-import them, report a month.

    python benchmarks/bench_actuals.py [--n 5000000] [--format csv|parquet] [--keep-db]

The records (November 2025, shaped like the bundled history, seeded) are generated once and
cached under /tmp (``/tmp/cs_schedule_bench/records_<n>.<fmt>``). Printed: generation and write
time, the first import (s, rows/s), a re-import of the same file (idempotent: the database row
count before and after must match), the monthly report (aggregation in DuckDB; then writing the
CSV files and the HTML page with its charts) and the interval history. Targets: import of 5M
records at most 60 s and a monthly report at most 5 s on 2 cores. As a baseline measured in the
same run, the raw DuckDB ``read_csv`` of the file into a table (no validation, no key) shows
what the validation and the upsert cost on top of just reading.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from scheduler.actuals import (  # noqa: E402
    build_report,
    generate_records,
    history_from_actuals,
    import_records,
    write_records,
    write_report,
)

CACHE = Path(tempfile.gettempdir()) / "cs_schedule_bench"


def _rows(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM contacts").fetchone()[0]
    finally:
        con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5_000_000, help="records to generate")
    ap.add_argument("--format", choices=("csv", "parquet"), default="csv")
    ap.add_argument("--keep-db", action="store_true", help="keep the database folder (printed)")
    args = ap.parse_args()

    CACHE.mkdir(parents=True, exist_ok=True)
    src = CACHE / f"records_{args.n}.{args.format}"
    if not src.exists():
        t0 = time.perf_counter()
        recs = generate_records(args.n, seed=7, start="2025-11-01", days=30)
        t1 = time.perf_counter()
        write_records(recs, src)
        t2 = time.perf_counter()
        del recs
        print(f"generated {args.n:,} records in {t1 - t0:.1f} s, wrote {src} "
              f"({src.stat().st_size / 1e6:.0f} MB) in {t2 - t1:.1f} s")
    else:
        print(f"using cached {src} ({src.stat().st_size / 1e6:.0f} MB)")

    work = Path(tempfile.mkdtemp(prefix="bench_actuals_", dir=CACHE))
    db = work / "actuals.duckdb"
    try:
        # baseline: DuckDB reading the file into a table, nothing else
        con = duckdb.connect(str(work / "baseline.duckdb"))
        con.execute("SET enable_progress_bar = false")
        reader = (f"read_csv('{src}', all_varchar = true)" if args.format == "csv" else f"read_parquet('{src}')")
        t0 = time.perf_counter()
        con.execute(f"CREATE TABLE raw AS SELECT * FROM {reader}")
        t_base = time.perf_counter() - t0
        con.close()
        os.remove(work / "baseline.duckdb")

        t0 = time.perf_counter()
        first = import_records(src, db)
        t_import = time.perf_counter() - t0
        before = _rows(db)
        t0 = time.perf_counter()
        again = import_records(src, db)
        t_reimport = time.perf_counter() - t0
        after = _rows(db)

        t0 = time.perf_counter()
        rep = build_report(db, ("month", "2025-11"), None, plans_root=work / "no_plans")
        t_build = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_report(rep, work / "report")
        t_write = time.perf_counter() - t0
        t0 = time.perf_counter()
        hist = history_from_actuals(db, work / "history.csv")
        t_hist = time.perf_counter() - t0

        n = first.rows_read
        print(f"cores: {os.cpu_count()}, duckdb {duckdb.__version__}, {args.format}, {n:,} records")
        print(f"baseline read_{args.format} into a table:  {t_base:6.1f} s   {n / t_base:12,.0f} rows/s")
        print(f"import (validate + upsert):     {t_import:6.1f} s   {n / t_import:12,.0f} rows/s   "
              f"{t_import / t_base:.1f}x baseline   target <= 60 s: {'ok' if t_import <= 60 else 'MISSED'}")
        print(f"  {first.describe()}")
        print(f"re-import of the same file:     {t_reimport:6.1f} s   {n / t_reimport:12,.0f} rows/s   "
              f"rows before {before:,}, after {after:,}: {'idempotent' if before == after else 'NOT IDEMPOTENT'}")
        print(f"  {again.describe()}")
        print(f"monthly report, aggregation:    {t_build:6.2f} s   target <= 5 s: {'ok' if t_build <= 5 else 'MISSED'}")
        print(f"monthly report, files + HTML:   {t_write:6.2f} s   (total {t_build + t_write:.2f} s)")
        print(f"history from actuals (60 min):  {t_hist:6.2f} s   {len(hist):,} rows")
        print(rep.table())
        if args.keep_db:
            print(f"kept {work}")
    finally:
        if not args.keep_db:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
