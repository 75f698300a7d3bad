"""`liftlab build`: land an export into the warehouse and run `dbt build` over it."""

from __future__ import annotations

import argparse
import sys

from liftlab.privacy import DefaultSaltRefused, check_default_salt
from liftlab.warehouse import DbtFailed, connect, run_dbt, warehouse_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        required=True,
        help="an export file, a directory of them, or a glob (JSON, JSON Lines, .gz)",
    )
    parser.add_argument("--warehouse", help="DuckDB file (default: warehouse/liftlab.duckdb)")
    parser.add_argument(
        "--append",
        action="store_true",
        help="keep what earlier builds landed and add this input to it "
        "(default: the warehouse is rebuilt from this input alone)",
    )
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    parser.add_argument(
        "--skip-quality",
        action="store_true",
        help="do not run the quality checkpoint (Great Expectations) after dbt build",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="refuse real data (input `liftlab generate` did not write) with the public demo "
        "salt, instead of warning (set LIFTLAB_ID_SALT)",
    )


def run(args: argparse.Namespace) -> int:
    warehouse = warehouse_path(args.warehouse)
    try:
        build(
            args.data,
            warehouse,
            append=args.append,
            quiet=args.quiet,
            skip_quality=args.skip_quality,
            strict=args.strict,
        )
    except DefaultSaltRefused as exc:
        print(f"liftlab build: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"liftlab build: {exc}", file=sys.stderr)
        return 2
    except DbtFailed as exc:
        print(f"liftlab build: {exc}", file=sys.stderr)
        return 1
    return 0


def build(
    data: str,
    warehouse,
    *,
    append: bool = False,
    quiet: bool = False,
    skip_quality: bool = False,
    strict: bool = False,
) -> None:
    """Land ``data`` into ``warehouse``, build every model and test, then run the quality
    checkpoint (raises liftlab.quality.QualityFailed, a DbtFailed, when it fails)."""
    from liftlab.landing import land

    check_default_salt(data, strict=strict)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with connect(warehouse) as con:
        summary = land(data, con, replace_all=not append)
    print(
        f"landed {summary.documents_landed} documents from {summary.files_landed} file(s)"
        f" ({summary.files_unchanged} unchanged, {summary.file_problems} file problem(s))"
        f" into {warehouse}"
    )
    run_dbt(["build"], warehouse, quiet=quiet)
    if not skip_quality:
        from liftlab.quality import run_checkpoint

        report = run_checkpoint(warehouse)
        print(report.summary())
