"""Benchmark of `liftlab generate` (prints figures; not a test).

Usage: .venv/bin/python benchmarks/bench_generator.py --reps 1000000 [--gzip] [--keep DIR]
       [--all-cores] [--record docs/bench/generator.md]

The process is pinned to one CPU (``os.sched_setaffinity``) unless ``--all-cores``: every
thread (batch building, compression and the truth writer) then shares one core, so the
wall-clock rate is the one-core throughput. Prints reps written, wall time and reps/s,
the CPU of batch building and of writing, process CPU, and peak RSS of the process.
``--record FILE`` also appends the figures as a row of a Markdown table (created with its
header when missing).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import platform
import resource
import tempfile
import threading
import time
from pathlib import Path

from liftlab.generator import run
from liftlab.generator.run import GenerateConfig, generate

REPS_PER_SET = 1.65


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1_000_000, help="approximate reps")
    parser.add_argument("--lifters", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--gzip", action="store_true", help="write .jsonl.gz")
    parser.add_argument("--keep", type=Path, help="write into this directory and keep it")
    parser.add_argument("--all-cores", action="store_true", help="do not pin to one CPU")
    parser.add_argument("--record", type=Path, help="append the figures to this Markdown file")
    args = parser.parse_args()
    cores = "all cores" if args.all_cores else _pin_to_one_cpu()
    sets = max(1, round(args.reps / REPS_PER_SET))
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        out = folder / ("bench.jsonl.gz" if args.gzip else "bench.jsonl")
        writing = _time_writes()
        wall0, cpu0, thread0 = time.perf_counter(), time.process_time(), time.thread_time()
        result = generate(
            GenerateConfig(
                sets=sets, lifters=args.lifters, seed=args.seed, out=out, workers=args.workers
            )
        )
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
        thread = time.thread_time() - thread0
        size = out.stat().st_size
    reps = result["counts"]["reps"]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"cores           {cores}")
    print(f"sets            {result['counts']['lines']}")
    print(f"reps            {reps}")
    print(f"output          {size / 1e6:.1f} MB ({'gzip' if args.gzip else 'plain'})")
    print(f"wall            {wall:.2f} s  -> {reps / wall:,.0f} reps/s")
    main_id = threading.get_ident()
    building = thread - writing[main_id]  # the main thread writes itself on one CPU
    written = sum(writing.values())
    print(f"batch building  {building:.2f} s  -> {reps / building:,.0f} reps/s (CPU)")
    print(f"writing         {written:.2f} s  (gzip / file and Parquet truth, CPU)")
    print(f"process CPU     {cpu:.2f} s  -> {reps / cpu:,.0f} reps/s")
    print(f"peak RSS        {peak_mb:.0f} MB")
    if args.record:
        row = [
            dt.date.today().isoformat(),
            "1" if not args.all_cores else str(os.cpu_count()),
            "gzip" if args.gzip else "plain",
            f"{args.lifters:,}",
            f"{reps:,}",
            f"{wall:.1f}",
            f"{reps / wall:,.0f}",
            f"{reps / building:,.0f}",
            f"{reps / cpu:,.0f}",
            f"{peak_mb:.0f}",
        ]
        _record(args.record, row)


RECORD_HEADER = """# Generator benchmark

Rows appended by `benchmarks/bench_generator.py --record`; do not edit by hand. With one
core the process (batch building, ISA-L gzip and the Parquet truth writer) is pinned to a
single CPU, so wall reps/s is the one-core rate (the generator then writes each batch in
its main thread); "batch building" is the CPU spent building batches, writing excluded.
Machine: {machine}.

"""
RECORD_COLUMNS = (
    "date",
    "cores",
    "output",
    "lifters",
    "reps",
    "wall s",
    "reps/s (wall)",
    "reps/s (batch building)",
    "reps/s (process CPU)",
    "peak RSS MB",
)


def _record(path: Path, row: list[str]) -> None:
    """Append ``row`` to the Markdown table in ``path``."""
    if not path.exists():
        machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"
        path.parent.mkdir(parents=True, exist_ok=True)
        table_head = "| " + " | ".join(RECORD_COLUMNS) + " |\n"
        rule = "| --- | ---: | --- |" + " ---: |" * (len(RECORD_COLUMNS) - 3) + "\n"
        path.write_text(RECORD_HEADER.format(machine=machine) + table_head + rule, "utf-8")
    with path.open("a", encoding="utf-8") as handle:
        handle.write("| " + " | ".join(row) + " |\n")


def _time_writes() -> collections.Counter:
    """CPU seconds spent writing batches, per thread (wraps the generator's writer)."""
    spent: collections.Counter = collections.Counter()
    write = run._write

    def timed(*args):
        start = time.thread_time()
        try:
            return write(*args)
        finally:
            spent[threading.get_ident()] += time.thread_time() - start

    run._write = timed
    return spent


def _pin_to_one_cpu() -> str:
    """Pin this process (and the threads it starts) to one of its allowed CPUs."""
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"one (pinned to CPU {cpu})"


if __name__ == "__main__":
    main()
