"""`liftlab generate`: write a synthetic export with ground truth."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from liftlab.generator.faults import PROFILES
from liftlab.generator.run import (
    BATCH_LINES,
    DEFAULT_LIFTERS,
    DEFAULT_OUT,
    DEFAULT_SEED,
    DEFAULT_SETS,
    GenerateConfig,
    generate,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the subcommand."""
    parser.add_argument(
        "--sets",
        type=int,
        default=DEFAULT_SETS,
        help=f"set documents (lines) to write (default {DEFAULT_SETS})",
    )
    parser.add_argument(
        "--lifters", type=int, default=DEFAULT_LIFTERS, help=f"lifters (default {DEFAULT_LIFTERS})"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"output .jsonl or .jsonl.gz (default {DEFAULT_OUT})",
    )
    parser.add_argument(
        "--faults",
        choices=sorted(PROFILES),
        default="realistic",
        help="fault profile (default realistic)",
    )
    parser.add_argument("--batch-lines", type=int, default=BATCH_LINES, help=argparse.SUPPRESS)
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes building batches (default 1; output is identical for any value)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Generate and print a one-line summary."""
    if args.sets < 1 or args.lifters < 1 or args.batch_lines < 1:
        print("liftlab generate: --sets and --lifters must be positive", file=sys.stderr)
        return 2
    config = GenerateConfig(
        sets=args.sets,
        lifters=args.lifters,
        seed=args.seed,
        out=args.out,
        faults=args.faults,
        batch_lines=args.batch_lines,
        progress=not args.quiet,
        workers=max(1, args.workers),
    )
    result = generate(config)
    counts = result["counts"]
    print(
        f"wrote {counts['lines']} set documents, {counts['reps']} reps, "
        f"{counts['lifters']} lifters to {config.out}"
    )
    return 0
