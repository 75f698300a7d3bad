"""`liftlab report`: refresh the report data and build the Evidence site into reports/build.

1. Export the report marts (models/marts/reports) from the warehouse into
   ``reports/sources/liftlab/liftlab_reports.duckdb``, a DuckDB file written with an old
   storage version, because Evidence's Node DuckDB (1.4.x) cannot open a file written by
   Python duckdb 2.x. Only an allow-list of tables leaves the warehouse, and the export
   fails if a column looks like personal data (only pseudonymous 16-hex ids may appear).
2. Install the pinned npm packages from the committed lockfile when missing (`npm ci`).
3. Empty the folders a site build writes data into (Evidence's source data, its build
   output and reports/build: Evidence merges a new build into the old one, so a site
   built from warehouse B would otherwise still ship warehouse A's data files and lifter
   pages), then run `evidence sources` and `evidence build` (offline; see
   reports/scripts/). The last good site waits in reports/.build-previous meanwhile and
   comes back if the build fails.
4. With --serve, serve reports/build on 127.0.0.1 with `evidence preview` (the pinned
   `serve` package) and print the address.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from liftlab.privacy import MAC_ADDRESS_PATTERN
from liftlab.warehouse import project_dir, warehouse_path

# Everything the pages read: the report marts of models/marts/reports, and nothing else.
REPORT_TABLES: tuple[str, ...] = (
    "rpt_overview",
    "rpt_lift_summary",
    "rpt_sets_by_week",
    "lifter_peer_comparison",
    "rpt_lifter_lifts",
    "rpt_lifter_better_peers",
    "rpt_lifter_cluster_profile",
    "rpt_cluster_profiles",
    "rpt_cluster_dendrogram",
    "rpt_lifter_pca",
    "rpt_cluster_runs",
    "rpt_classifier_metrics",
    "rpt_confusion_matrix",
    "rpt_relabeled_sets",
    "rpt_record_counts",
    "rpt_rejections_by_reason",
    "rpt_lifter_e1rm",
    "rpt_lifter_lv_profile",
    "rpt_lifter_velocity_loss",
    "rpt_lifter_readiness",
    "rpt_coach_lifters",
)
# Data-quality results (Great Expectations, liftlab.quality), exported when the warehouse
# has them, as these columns (missing ones null). `examples` (sample failing values, which
# may quote raw data) is never exported.
DQ_TABLE = "dq_expectation_results"
DQ_STATUS_TABLE = "rpt_dq_status"
DQ_COLUMNS: dict[str, str] = {
    "suite": "varchar",
    "table_name": "varchar",
    "expectation": "varchar",
    "column_name": "varchar",
    "success": "boolean",
    "unexpected_count": "bigint",
    "element_count": "bigint",
    "observed_value": "varchar",
    "expectation_kwargs": "varchar",
    "severity": "varchar",
    "run_at": "timestamp",
}

# Column names that must never reach the site, and the only shape an id may have.
FORBIDDEN_COLUMNS = re.compile(
    r"^(user_?id|mac|mac_address|device_id|raw_text|source_file|exercise_raw)$", re.I
)
RAW_ID_PATTERNS = {
    "MAC address": MAC_ADDRESS_PATTERN,
}

EXPORT_RELATIVE = Path("sources") / "liftlab" / "liftlab_reports.duckdb"
# What a site build writes from the warehouse's data, relative to the Evidence project:
# emptied before every build so that the site holds only the current warehouse's data.
TEMPLATE = Path(".evidence") / "template"
BUILD_OUTPUTS: tuple[Path, ...] = (
    TEMPLATE / "static" / "data",  # `evidence sources`: one file per source table
    TEMPLATE / ".svelte-kit" / "output",  # svelte-kit's prerendered pages
    TEMPLATE / "build",  # the site, before Evidence copies it into build/
    Path("build"),  # the site (Evidence copies into it without emptying it)
)
# the last good site, set aside while a new one builds (restored if the build fails)
PREVIOUS_SITE = Path(".build-previous")
# Node DuckDB 1.4 reads storage versions up to its own; v1.0.0 is the oldest widely read.
STORAGE_VERSION = "v1.0.0"


class ReportError(RuntimeError):
    """The report could not be built."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", help="DuckDB file (default: warehouse/liftlab.duckdb)")
    parser.add_argument(
        "--reports-dir", help="the Evidence project (default: reports/ of the checkout)"
    )
    parser.add_argument(
        "--serve", action="store_true", help="serve reports/build on 127.0.0.1 afterwards"
    )
    parser.add_argument(
        "--port", type=int, default=3000, help="port for --serve (default 3000; 0 = any free)"
    )
    parser.add_argument(
        "--no-build",
        action="store_true",
        help="skip export and build (with --serve: serve the existing build)",
    )
    parser.add_argument("--quiet", action="store_true", help="print only the summary")


def run(args: argparse.Namespace) -> int:
    reports = Path(args.reports_dir).resolve() if args.reports_dir else reports_dir()
    try:
        if not args.no_build:
            warehouse = warehouse_path(args.warehouse)
            build_site(warehouse, reports, quiet=args.quiet)
        if args.serve:
            serve(reports, port=args.port)
    except ReportError as exc:
        print(f"liftlab report: {exc}", file=sys.stderr)
        return 1
    return 0


def reports_dir() -> Path:
    return project_dir() / "reports"


def build_site(warehouse: Path, reports: Path, *, quiet: bool = False) -> None:
    """Export, install if needed, `evidence sources`, `evidence build`."""
    if not warehouse.exists():
        raise ReportError(f"no warehouse at {warehouse}; run `liftlab build` first")
    started = time.monotonic()
    counts = export_report_data(warehouse, reports / EXPORT_RELATIVE)
    print(f"exported {len(counts)} report tables ({sum(counts.values())} rows) from {warehouse}")
    ensure_npm_packages(reports, quiet=quiet)
    site, previous = reports / "build", reports / PREVIOUS_SITE
    if previous.exists():
        shutil.rmtree(previous)
    if site.exists():
        site.rename(previous)  # kept until this build has succeeded
    try:
        clear_build_outputs(reports)
        evidence(reports, "sources", quiet=quiet)
        evidence(reports, "build", quiet=quiet)
        if not (site / "index.html").exists():
            raise ReportError("evidence build wrote no build/index.html")
    except BaseException:
        if previous.exists():  # a failed build leaves the last good site in place
            if site.exists():
                shutil.rmtree(site)
            previous.rename(site)
        raise
    if previous.exists():
        shutil.rmtree(previous)
    print(f"built the report site into {site} in {time.monotonic() - started:.0f} s")


def clear_build_outputs(reports: Path) -> None:
    """Remove what earlier site builds wrote (:data:`BUILD_OUTPUTS`), so that the next
    build starts from empty data folders."""
    for relative in BUILD_OUTPUTS:
        folder = reports / relative
        if folder.is_symlink() or folder.is_file():
            folder.unlink()
        elif folder.exists():
            shutil.rmtree(folder)


# --- export -------------------------------------------------------------------------


def export_report_data(warehouse: Path, out: Path) -> dict[str, int]:
    """Copy the report tables into ``out`` (old storage version); return rows per table."""
    import duckdb

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    for stale in (tmp, tmp.with_name(tmp.name + ".wal")):
        stale.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{_sql_path(warehouse)}' as wh (read_only)")
        con.execute(f"attach '{_sql_path(tmp)}' as rpt (storage_version '{STORAGE_VERSION}')")
        present = {
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_catalog = 'wh'"
            ).fetchall()
        }
        missing = [t for t in REPORT_TABLES if t not in present]
        if missing:
            raise ReportError(
                f"the warehouse lacks report tables {', '.join(missing)}; "
                "run `liftlab build` (or `dbt build`) first"
            )
        for table in REPORT_TABLES:
            con.execute(f"create table rpt.{table} as select * from wh.main.{table}")
        _export_dq_results(con, has_results=DQ_TABLE in present)
        exported = (*REPORT_TABLES, DQ_TABLE, DQ_STATUS_TABLE)
        for table in exported:
            counts[table] = con.execute(f"select count(*) from rpt.{table}").fetchone()[0]
        check_privacy(con, "rpt", exported)
        con.execute("detach rpt")
    tmp.replace(out)
    return counts


def _export_dq_results(con, *, has_results: bool) -> None:
    if has_results:
        present = {
            name
            for (name,) in con.execute(
                "select column_name from information_schema.columns"
                f" where table_catalog = 'wh' and table_name = '{DQ_TABLE}'"
            ).fetchall()
        }
        source = f"wh.main.{DQ_TABLE}"
    else:
        present = set()
        source = "(select 1 where false)"
    select = ", ".join(
        f'cast("{name}" as {kind}) as "{name}"' if name in present else f'null::{kind} as "{name}"'
        for name, kind in DQ_COLUMNS.items()
    )
    con.execute(f"create table rpt.{DQ_TABLE} as select {select} from {source}")
    if has_results:
        n, failed, warned = con.execute(
            f"select count(*), count(*) filter (where not success and severity is distinct"
            f" from 'warn'), count(*) filter (where not success and severity = 'warn')"
            f" from rpt.{DQ_TABLE}"
        ).fetchone()
        note = f"{n} expectations checked, {failed} failed, {warned} warned"
    else:
        note = (
            f"The warehouse has no {DQ_TABLE} table: the data-quality checkpoint "
            "(Great Expectations) has not run on it."
        )
    con.execute(
        f"create table rpt.{DQ_STATUS_TABLE} as select ?::boolean as available, ? as note",
        [has_results, note],
    )


def check_privacy(con, catalog: str, tables: tuple[str, ...]) -> None:
    """Fail when an exported column could carry a raw user id or device identifier."""
    problems: list[str] = []
    rows = con.execute(
        "select table_name, column_name, data_type from information_schema.columns"
        f" where table_catalog = '{catalog}'"
    ).fetchall()
    for table, column, data_type in rows:
        if table not in tables:
            continue
        if FORBIDDEN_COLUMNS.match(column):
            problems.append(f"{table}.{column}: column may hold personal data")
            continue
        if data_type != "VARCHAR":
            continue
        ref = f"{catalog}.main.{table}"
        if column.endswith("lifter_id"):
            bad = con.execute(
                f'select count(*) from {ref} where "{column}" is not null'
                f""" and not regexp_full_match("{column}", '[0-9a-f]{{16}}')"""
            ).fetchone()[0]
            if bad:
                problems.append(f"{table}.{column}: {bad} value(s) are not pseudonymous ids")
        for label, pattern in RAW_ID_PATTERNS.items():
            hits = con.execute(
                f'select count(*) from {ref} where regexp_matches("{column}", ?)', [pattern]
            ).fetchone()[0]
            if hits:
                problems.append(f"{table}.{column}: {hits} value(s) look like a {label}")
    if problems:
        raise ReportError("personal data would leave the warehouse:\n  " + "\n  ".join(problems))


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


# --- npm and Evidence ---------------------------------------------------------------


def _npm_env() -> dict[str, str]:
    from liftlab import environment

    env = environment.for_child()
    env.update(CI="true", EVIDENCE_TELEMETRY="false")
    env.setdefault("NODE_OPTIONS", "--max-old-space-size=4096")
    return env


def ensure_npm_packages(reports: Path, *, quiet: bool = False) -> None:
    """`npm ci` from the committed lockfile when node_modules is missing or stale."""
    installed = reports / "node_modules" / ".package-lock.json"
    lock = reports / "package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise ReportError("npm not found: install Node.js 20 and npm")
    print("installing the report site's npm packages (npm ci) ...")
    _run([npm, "ci", "--no-audit", "--no-fund"], reports, quiet=quiet)


def evidence(reports: Path, command: str, *, quiet: bool = False) -> None:
    cli = reports / "node_modules" / ".bin" / "evidence"
    if not cli.exists():
        raise ReportError(f"{cli} missing; run `npm ci` in {reports}")
    print(f"evidence {command} ...")
    _run([str(cli), command], reports, quiet=quiet)


def _run(argv: list[str], cwd: Path, *, quiet: bool) -> None:
    completed = subprocess.run(
        argv,
        cwd=cwd,
        env=_npm_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE if quiet else None,
        stderr=subprocess.STDOUT if quiet else None,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        if quiet and completed.stdout:
            sys.stderr.write(completed.stdout[-4000:])
        raise ReportError(f"`{' '.join(argv)}` failed (exit {completed.returncode})")


# --- serving ------------------------------------------------------------------------


def preview_command(reports: Path, port: int) -> list[str]:
    """`evidence preview` of the built site on 127.0.0.1:``port``: Evidence's own server
    (the pinned `serve` package: `/x` serves `x.html`, wasm as application/wasm)."""
    cli = reports / "node_modules" / ".bin" / "evidence"
    if not cli.exists():
        raise ReportError(f"{cli} missing; run `npm ci` in {reports}")
    if not (reports / "build" / "index.html").exists():
        raise ReportError(f"no built site in {reports / 'build'}; run `liftlab report` first")
    return [str(cli), "preview", "--listen", f"tcp://127.0.0.1:{int(port)}"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_preview(reports: Path, port: int, **popen) -> subprocess.Popen:
    """`evidence preview` in the background, in a process group of its own (stop it with
    :func:`stop_preview`: the server is a child of Evidence's CLI)."""
    return subprocess.Popen(
        preview_command(reports, port),
        cwd=reports,
        env=_npm_env(),
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        **popen,
    )


def stop_preview(process: subprocess.Popen) -> None:
    import signal

    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def serve(reports: Path, port: int = 3000) -> None:
    """Serve the built site with `evidence preview` until Ctrl-C."""
    port = port or free_port()
    print(f"serving {reports / 'build'} on http://127.0.0.1:{port}/ (Ctrl-C to stop)", flush=True)
    process = start_preview(reports, port)
    try:
        process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop_preview(process)
