"""`liftlab build`: land an export, run `dbt build` and the quality gate over it, and
publish the result (write-audit-publish, liftlab/publish.py)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from liftlab.privacy import DefaultSaltRefused, check_default_salt
from liftlab.warehouse import DbtFailed, connect, dbt_environment, run_dbt, warehouse_path


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
    parser.add_argument(
        "--discard-failed",
        action="store_true",
        help="remove a failed build instead of keeping it as <warehouse>.failed",
    )


def run(args: argparse.Namespace) -> int:
    return run_build(
        "liftlab build",
        args.data,
        warehouse_path(args.warehouse),
        append=args.append,
        quiet=args.quiet,
        skip_quality=args.skip_quality,
        discard_failed=getattr(args, "discard_failed", False),
        strict=getattr(args, "strict", False),
    )


def run_build(command: str, data: str, warehouse: Path, **options) -> int:
    """:func:`build` with every refusal and failure as one line on stderr and an exit code:
    2 bad input or a busy warehouse, 1 a failed dbt build or quality gate."""
    from liftlab.publish import NothingToBuild, WarehouseBusy, failed_copy_of

    try:
        build(data, warehouse, **options)
    except (FileNotFoundError, NothingToBuild, WarehouseBusy, DefaultSaltRefused, DbtFailed) as exc:
        failed = isinstance(exc, DbtFailed)
        message = str(exc).splitlines()[0].rstrip(":")
        kept = failed_copy_of(exc)
        if kept:
            message += f"; {warehouse} is unchanged; the failed build is kept at {kept}"
        elif failed:
            message += f"; {warehouse} is unchanged; the failed build was removed"
        print(f"{command}: {message}", file=sys.stderr)
        return 1 if failed else 2
    return 0


def build(
    data: str,
    warehouse,
    *,
    append: bool = False,
    quiet: bool = False,
    skip_quality: bool = False,
    strict: bool = False,
    discard_failed: bool = False,
) -> None:
    """Land ``data``, build every model and test, run the quality checkpoint, all on a
    private build file beside ``warehouse``; publish it onto ``warehouse`` only when every
    step passed. Raises NothingToBuild, WarehouseBusy, FileNotFoundError, DbtFailed or
    liftlab.quality.QualityFailed (a DbtFailed); the published file is then unchanged."""
    from liftlab import publish

    check_default_salt(data, strict=strict)
    warehouse = Path(warehouse).resolve()
    files = publish.check_inputs(data)
    session = publish.BuildSession(warehouse, append=append, discard_failed=discard_failed)
    try:
        with session, _promoted_file_of(warehouse):
            _land_build_check_publish(session, data, files, quiet=quiet, skip_quality=skip_quality)
    finally:
        # as before the build file: a later dbt run of this process targets the warehouse
        dbt_environment(warehouse)
    print(f"published build {session.build_id} to {warehouse}")


def _land_build_check_publish(session, data: str, files, *, quiet: bool, skip_quality: bool):
    from liftlab import publish
    from liftlab.landing import land
    from liftlab.warehouse import project_dir

    with connect(session.path) as con:
        summary = land(data, con, replace_all=not session.append)
    publish.abort_point("landing")
    publish.refuse_if_empty(data, summary)
    print(
        f"landed {summary.documents_landed} documents from {summary.files_landed} file(s)"
        f" ({summary.files_unchanged} unchanged, {summary.file_problems} file problem(s))"
        f" for {session.warehouse} (build {session.build_id})"
    )
    run_dbt(["build"], session.path, quiet=quiet)
    publish.abort_point("dbt")
    report = None
    if not skip_quality:
        from liftlab.quality import QualityFailed, run_checkpoint

        report = run_checkpoint(session.path, raise_on_failure=False)
        publish.abort_point("checkpoint")
        print(report.summary())
        if not report.success:
            raise QualityFailed(report.summary())
    row = publish.build_log_row(
        session=session,
        data=data,
        files=files,
        summary=summary,
        project=project_dir(),
        report=report,
    )
    session.publish(row)


@contextlib.contextmanager
def _promoted_file_of(warehouse: Path) -> Iterator[None]:
    """Point the clustering models at the published warehouse's promoted configuration
    (they would look beside the build file otherwise), unless one is set explicitly."""
    from liftlab.clustering.dbt_support import promoted_file_for

    name = "LIFTLAB_CLUSTERING_PROMOTED"
    if os.environ.get(name):
        yield
        return
    os.environ[name] = str(promoted_file_for(warehouse))
    try:
        yield
    finally:
        os.environ.pop(name, None)
