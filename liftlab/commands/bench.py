"""`liftlab bench`: time liftlab against the pandas baseline at several scales."""

from __future__ import annotations

import argparse
from pathlib import Path

from liftlab.bench.runner import BENCH_MEMORY_LIMIT, DEFAULT_SCALES, FULL_SCALE


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scales",
        type=lambda text: [int(float(x)) for x in text.split(",")],
        default=list(DEFAULT_SCALES),
        help="comma-separated rep counts (default 10000,211000,2000000)",
    )
    parser.add_argument("--full", action="store_true", help="add the 10M-rep scale")
    parser.add_argument(
        "--baseline-max-reps",
        type=int,
        default=2_000_000,
        help="run the pandas baseline up to this scale (default 2,000,000)",
    )
    parser.add_argument("--work", type=Path, default=Path("build/bench"), help="scratch folder")
    parser.add_argument(
        "--out", type=Path, default=Path("."), help="where BENCHMARKS.md and docs/bench go"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--memory-limit",
        default=BENCH_MEMORY_LIMIT,
        help=f"DuckDB memory_limit of liftlab's stages (default {BENCH_MEMORY_LIMIT})",
    )
    parser.add_argument(
        "--add",
        action="store_true",
        help="keep the other scales of the results already in --out (docs/bench/results.json)"
        " and add or replace the scales run now, e.g. --scales 10000000 --add",
    )


def run(args: argparse.Namespace) -> int:
    from liftlab.bench.runner import run_benchmarks

    scales = sorted(set(args.scales + ([FULL_SCALE] if args.full else [])))
    command = "liftlab bench" + (" --full" if args.full else "")
    if args.add:
        command += " --scales " + ",".join(str(s) for s in scales) + " --add"
    run_benchmarks(
        scales,
        args.work,
        args.out,
        baseline_max_reps=args.baseline_max_reps,
        seed=args.seed,
        command=command,
        add=args.add,
        memory_limit=args.memory_limit,
    )
    return 0
