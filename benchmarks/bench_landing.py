"""Benchmark: landing a JSON array of tiny objects, at several sizes in one run (not a test).

Each size is a file `[{"setID": "s0000001", "reps": []}, ...]`, one object per line,
landed by `liftlab.landing.land` into a fresh DuckDB file in a child process (wall time,
and the split alone; peak RSS; the one-off import of pandas / pyarrow that the first batch
insert triggers is done before timing). Time per object stays flat when landing is linear.
`--baseline REV` also lands the sizes up to `--baseline-max` with the landing module of a
git revision before the package split (the quadratic splitter of issue 17: `main` before
it was merged, e.g. 09da4d5).

    .venv/bin/python benchmarks/bench_landing.py                          # 10k, 100k, 1M
    .venv/bin/python benchmarks/bench_landing.py --baseline 09da4d5 --record

`--record` writes the table and the command to docs/bench/landing.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "bench" / "landing.md"
SCALES = (10_000, 100_000, 1_000_000)


def write_array(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write("[\n")
        for start in range(0, n, 100_000):
            stop = min(n, start + 100_000)
            handle.write(
                ",\n".join(f'{{"setID": "s{i:07d}", "reps": []}}' for i in range(start, stop))
            )
            handle.write(",\n" if stop < n else "\n")
        handle.write("]\n")


def measure(path: Path, module_file: str | None) -> dict:
    """In this (child) process: split time and landing time of ``path``."""
    import duckdb

    if module_file:  # an older single-file landing module
        import importlib.util

        spec = importlib.util.spec_from_file_location("landing_baseline", module_file)
        landing = importlib.util.module_from_spec(spec)
        sys.modules["landing_baseline"] = landing
        spec.loader.exec_module(landing)
    else:
        import liftlab.landing as landing
    import pandas  # noqa: F401  # imported by the first batch insert: a fixed cost, not timed
    import pyarrow  # noqa: F401

    text = path.read_text(encoding="utf-8")
    started = time.perf_counter()
    documents = sum(1 for _ in landing.split_array(text))
    split_s = time.perf_counter() - started
    del text
    with tempfile.TemporaryDirectory() as folder:
        con = duckdb.connect(str(Path(folder) / "bench.duckdb"))
        started = time.perf_counter()
        summary = landing.land(str(path), con)
        land_s = time.perf_counter() - started
        con.close()
    return {
        "documents": documents,
        "landed": summary.documents_landed,
        "split_s": split_s,
        "land_s": land_s,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_child(path: Path, module_file: str | None) -> dict:
    argv = [sys.executable, __file__, "--child", str(path)]
    if module_file:
        argv += ["--module-file", module_file]
    completed = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=REPO)
    if completed.returncode != 0:
        raise SystemExit(f"bench_landing: child failed on {path.name}:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def baseline_module(rev: str, folder: Path) -> str:
    source = subprocess.run(
        ["git", "show", f"{rev}:liftlab/landing.py"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    ).stdout
    path = folder / "landing_baseline.py"
    path.write_text(source, encoding="utf-8")
    return str(path)


def table(rows: list[dict]) -> str:
    lines = [
        "| objects | file MB | landing | land s | µs / object | split s | peak RSS MB |",
        "| ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['n']:,} | {r['mb']:.1f} | {r['impl']} | {r['land_s']:.2f} |"
            f" {1e6 * r['land_s'] / r['n']:.1f} | {r['split_s']:.2f} | {r['peak_rss_mb']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=list(SCALES))
    parser.add_argument("--baseline", help="git revision whose liftlab/landing.py to compare")
    parser.add_argument("--baseline-max", type=int, default=30_000)
    parser.add_argument("--record", action="store_true", help="write docs/bench/landing.md")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--module-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(Path(args.child), args.module_file)))
        return
    rows = []
    revision = git_rev()  # the code measured: HEAD when the run starts
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        old = baseline_module(args.baseline, folder) if args.baseline else None
        for n in args.scales:
            path = folder / f"tiny_{n}.json"
            write_array(path, n)
            mb = path.stat().st_size / 1e6
            runs = [("liftlab", None)]
            if old and n <= args.baseline_max:
                runs.append((f"baseline {args.baseline}", old))
            for impl, module in runs:
                result = run_child(path, module)
                assert result["landed"] == result["documents"] == n, result
                rows.append({"n": n, "mb": mb, "impl": impl, **result})
                print(table(rows[-1:]).splitlines()[-1], flush=True)
            path.unlink()
    text = table(rows)
    print(text)
    if args.record:
        command = "python benchmarks/bench_landing.py " + " ".join(sys.argv[1:])
        OUT.write_text(
            "# Landing a JSON array of tiny objects\n\n"
            f"`{command.strip()}` at {revision} on {platform.node()} "
            f"({os.cpu_count()} CPUs, Python {platform.python_version()}; the machine is shared,"
            " so absolute times vary with its load: the per-object time across sizes is the"
            " figure).\n\n"
            f"{text}\n",
            encoding="utf-8",
        )
        print(f"wrote {OUT}")


def git_rev() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO
    ).stdout.strip()


if __name__ == "__main__":
    main()
