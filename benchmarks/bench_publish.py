"""Benchmark: what write-audit-publish adds to a build (not a test).

For each built warehouse given (published by `liftlab build`, so its ``build_log`` holds
the build's own wall time), on scratch files in a folder beside it (the same file system,
as a build's file is), best of ``--repeat``:

* **carry-over**: a full rebuild's start, a new file holding the published warehouse's
  ``build_log``, ``cluster_runs`` and ``cluster_promotions`` (``publish.carry_over``);
* **append copy**: an ``--append`` build's start, the copy of the published file
  (``publish.copy_database``: a reflink clone where the file system can, else a copy);
* **log + publish**: the ``build_log`` row, the checkpoint, the fsync and the
  ``os.replace`` onto the published path (``publish.write_build_log`` + ``publish_file``).

The publish step's share is (carry-over + log + publish) / the build's wall time for a full
rebuild, (append copy + log + publish) / it for an append.

    .venv/bin/python benchmarks/bench_publish.py warehouse/liftlab.duckdb /tmp/real.duckdb

Figures measured so far: docs/bench/publish.md.

Target (issue 17): the publish step adds at most 10 % to the study-scale build time.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from liftlab import publish
from liftlab.warehouse import connect


def build_seconds(warehouse: Path) -> tuple[float | None, int | None, str | None]:
    """The last logged build's wall time, the sets of fct_sets, and the build's mode."""
    with connect(warehouse, read_only=True) as con:
        rows = con.execute(
            "select epoch(finished_at - started_at), mode from build_log"
            " order by started_at desc limit 1"
        ).fetchall()
        sets = con.execute(
            "select count(*) from information_schema.tables where table_name = 'fct_sets'"
        ).fetchall()[0][0]
        n_sets = con.execute("select count(*) from fct_sets").fetchall()[0][0] if sets else None
    if not rows:
        return None, n_sets, None
    return float(rows[0][0]), n_sets, rows[0][1]


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def measure(warehouse: Path, repeat: int) -> dict:
    scratch = Path(tempfile.mkdtemp(prefix=".bench-publish-", dir=warehouse.parent))
    try:
        carry, copy, log_publish, method = [], [], [], None
        for i in range(repeat):
            fresh = scratch / f"fresh{i}.duckdb"
            carry.append(timed(lambda f=fresh: publish.carry_over(warehouse, f)))
            copied = scratch / f"copy{i}.duckdb"
            started = time.perf_counter()
            method = publish.copy_database(warehouse, copied)
            copy.append(time.perf_counter() - started)
            target = scratch / f"published{i}.duckdb"
            shutil.copyfile(fresh, target)  # something to replace, as a build does
            row = {"build_id": f"bench-{i}", "mode": "append", "data_argument": "bench"}

            def log_and_publish(source=copied, destination=target, values=row):
                publish.write_build_log(source, values)
                publish.publish_file(source, destination)

            log_publish.append(timed(log_and_publish))
            for path in (fresh, target):
                publish.remove_database(path)
        seconds, n_sets, mode = build_seconds(warehouse)
        return {
            "name": warehouse.name,
            "size_mb": warehouse.stat().st_size / 1e6,
            "sets": n_sets,
            "build_s": seconds,
            "build_mode": mode,
            "carry_s": min(carry),
            "copy_s": min(copy),
            "copy_method": method,
            "log_publish_s": min(log_publish),
        }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def share(added: float, total: float | None) -> str:
    return "-" if not total else f"{100 * added / total:.2f} %"


def table(results: list[dict]) -> str:
    lines = [
        "| warehouse | size MB | sets | build s | carry-over s | append copy s (how) "
        "| log + publish s | full rebuild: added | append: added |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        full = r["carry_s"] + r["log_publish_s"]
        append = r["copy_s"] + r["log_publish_s"]
        build = r["build_s"]
        lines.append(
            f"| {r['name']} | {r['size_mb']:,.1f} | {r['sets'] if r['sets'] is not None else '-':,}"
            f" | {build:,.0f} | {r['carry_s']:.3f} | {r['copy_s']:.3f} ({r['copy_method']})"
            f" | {r['log_publish_s']:.3f} | {full:.2f} s = **{share(full, build)}**"
            f" | {append:.2f} s = **{share(append, build)}** |"
            if build
            else f"| {r['name']} | {r['size_mb']:,.1f} | - | - | {r['carry_s']:.3f}"
            f" | {r['copy_s']:.3f} ({r['copy_method']}) | {r['log_publish_s']:.3f} | - | - |"
        )
    return "\n".join(lines)


def context_line() -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"Commit {commit or '?'}, Python {platform.python_version()}, {os.cpu_count()} CPUs,"
        f" load average {load} while measuring, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouses", nargs="+", type=Path, help="built warehouse files")
    parser.add_argument("--repeat", type=int, default=3, help="best of N (%(default)s)")
    args = parser.parse_args(argv)
    results = [measure(w.resolve(), args.repeat) for w in args.warehouses]
    print(table(results) + "\n\n" + context_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
