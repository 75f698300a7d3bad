"""Benchmark: memory and time of the load-velocity fits at up to 10M reps (not a test).

The fits (int_lv_app_reference_fits, int_lv_liftlab_fits) are the training models whose
work grows fastest: every set joins every window that contains it. This script takes a
built warehouse and its dbt target (the compiled SQL of the fits), makes ``k`` copies of
the warehouse's int_lv_set_points under new lifter ids (``k`` x the lifters, sets and reps:
the study-scale warehouse x 50 holds about 10M reps), and runs each fit's compiled SQL over
them in a fresh process under a fixed DuckDB memory_limit, printing wall time, DuckDB's
peak buffer memory and the process's peak RSS. Memory stays bounded when the peak does not
grow with ``k`` beyond the limit (DuckDB spills) and the time grows about linearly.

    .venv/bin/python benchmarks/bench_training_memory.py --warehouse W --target T \\
        --copies 1 10 50 --memory-limit 4GB --out docs/bench/training_memory.md

W and T: a study-scale build, e.g. the timing build of benchmarks/eval_training.py
(``--timing-sets 128000 --keep DIR``: DIR/.../timing/warehouse.duckdb and .../target).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import subprocess
import tempfile
import time
from pathlib import Path

FITS = ("int_lv_app_reference_fits", "int_lv_liftlab_fits")
COMPILED = Path("compiled") / "liftlab" / "models" / "intermediate"


def replicate(warehouse: Path, scratch: Path, copies: int) -> dict[str, int]:
    """``copies`` copies of int_lv_set_points (new lifter, set and workout ids) and the seeds
    the fits read, into ``scratch``; the sizes."""
    import duckdb

    with duckdb.connect(str(scratch)) as con:
        con.execute(f"attach '{warehouse}' as source (read_only)")
        con.execute("create schema if not exists reference")
        for seed in ("lifts", "app_rpe_percent_1rm"):
            con.execute(f"create table reference.{seed} as from source.reference.{seed}")
        con.execute(
            f"""
            create table main.int_lv_set_points as
            select
                * replace (
                    points.lifter_id || '~' || copy as lifter_id,
                    points.set_id || '~' || copy as set_id,
                    points.workout_id || '~' || copy as workout_id
                )
            from source.main.int_lv_set_points as points
            cross join range({copies}) as copies(copy)
            """
        )
        sets, reps, lifters = con.execute(
            "select count(*), sum(rep_count_total), count(distinct lifter_id)"
            " from main.int_lv_set_points"
        ).fetchone()
    return {"copies": copies, "sets": sets, "reps": int(reps), "lifters": lifters}


def _run_fit(scratch: str, sql: str, memory_limit: str, queue) -> None:
    import duckdb

    profile = Path(scratch).with_suffix(".profile.json")
    with duckdb.connect(scratch, config={"memory_limit": memory_limit}) as con:
        con.execute(f"pragma enable_profiling='json'; pragma profiling_output='{profile}'")
        started = time.perf_counter()
        con.execute(f"create or replace table fit_output as {sql}")
        wall = time.perf_counter() - started
        con.execute("pragma disable_profiling")
        rows = con.execute("select count(*) from fit_output").fetchone()[0]
    system = json.loads(profile.read_text()).get("system", {})
    queue.put(
        {
            "wall_s": round(wall, 1),
            "rows": rows,
            "peak_buffer_mb": round(system.get("peak_buffer_memory", 0) / 2**20),
            "spilled_mb": round(system.get("total_bytes_spilled", 0) / 2**20),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        }
    )


def run_fit(scratch: Path, sql: str, memory_limit: str) -> dict:
    """One fit in a fresh process (so that its peak RSS is its own)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_run_fit, args=(str(scratch), sql, memory_limit, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def compiled_sql(target: Path, model: str, warehouse: Path) -> str:
    """The model's compiled SQL with the build's database name dropped."""
    text = (target / COMPILED / f"{model}.sql").read_text()
    return text.replace(f'"{warehouse.stem}".', "")


def build_code(target: Path) -> str:
    """The commit the build ran at (eval_training.py's code.txt beside the target), else
    this checkout's."""
    noted = target.parent / "code.txt"
    if noted.exists():
        return noted.read_text().strip()
    head = ["git", "rev-parse", "--short", "HEAD"]
    return subprocess.run(head, capture_output=True, text=True, check=False).stdout.strip()


def markdown(rows: list[dict], args: argparse.Namespace, code: str) -> str:
    columns = [
        "model", "copies", "lifters", "sets", "reps", "rows", "wall_s", "peak_buffer_mb",
        "spilled_mb", "peak_rss_mb",
    ]  # fmt: skip
    lines = [
        "# Memory of the load-velocity fits, up to 10M reps",
        "",
        "Generated by `benchmarks/bench_training_memory.py` (see its docstring); the command:",
        "",
        f"    .venv/bin/python benchmarks/bench_training_memory.py --copies "
        f"{' '.join(map(str, args.copies))} --memory-limit {args.memory_limit} ...",
        "",
        f"At {code}, on {args.warehouse.name} (the study-scale build) x copies, each fit in a "
        f"fresh process under DuckDB memory_limit {args.memory_limit} (2 CPUs). sets / reps "
        "are the fits' input (int_lv_set_points: kept sets of a known lift with a time and "
        "a valid load, and their reps); rows the fit's output (lifter x lift x window end x "
        "window length).",
        "",
        "| " + " | ".join(columns) + " |",
        "| " + " | ".join("---" for _ in columns) + " |",
    ]
    lines += ["| " + " | ".join(str(row[c]) for c in columns) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--target", type=Path, required=True, help="the build's dbt target")
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    code = build_code(args.target)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_training_memory_") as tmp:
        for copies in args.copies:
            scratch = Path(tmp) / f"points_x{copies}.duckdb"
            sizes = replicate(args.warehouse, scratch, copies)
            for model in FITS:
                sql = compiled_sql(args.target, model, args.warehouse)
                row = {"model": model, **sizes, **run_fit(scratch, sql, args.memory_limit)}
                print(json.dumps(row), flush=True)
                rows.append(row)
            scratch.unlink()
    text = markdown(rows, args, code)
    if args.out:
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
