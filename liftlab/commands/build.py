"""`liftlab build`: land an export, run `dbt build` and the quality gate over it, and
publish the result (write-audit-publish, liftlab/publish.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from liftlab.privacy import DefaultSaltRefused, check_default_salt
from liftlab.warehouse import BUILD_ARGUMENTS, DbtFailed, connect, run_dbt, warehouse_path


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
        "--ground-truth",
        metavar="FILE",
        help="the generator's <stem>.truth_lifters.parquet of this input: cluster_runs then "
        "scores the clusters against it (ARI); never looked for beside the input",
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
        ground_truth=getattr(args, "ground_truth", None),
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
    ground_truth: str | Path | None = None,
) -> None:
    """Land ``data``, build every model and test, run the quality checkpoint, all on a
    private build file beside ``warehouse``; publish it onto ``warehouse`` only when every
    step passed. ``ground_truth``: the generator's truth file of ``data``, for ARI (var
    ``clustering_ground_truth``). Raises NothingToBuild, WarehouseBusy, FileNotFoundError,
    DbtFailed or liftlab.quality.QualityFailed (a DbtFailed); the published file is then
    unchanged. An ``--append`` with nothing to land and the fingerprint of the last build
    (liftlab.uptodate) leaves the published file as it is."""
    from liftlab import publish, uptodate
    from liftlab.warehouse import project_dir

    check_default_salt(data, strict=strict)
    warehouse = Path(warehouse).resolve()
    files = publish.check_inputs(data)
    if ground_truth and not Path(ground_truth).is_file():
        raise FileNotFoundError(f"no ground-truth file {ground_truth}")
    dbt_vars = build_vars(warehouse, ground_truth)
    fingerprint = uptodate.build_fingerprint(project_dir(), dbt_vars, skip_quality=skip_quality)
    last = uptodate.up_to_date(warehouse, data, fingerprint) if append else None
    if last is not None:
        print(
            f"nothing to build: every input file is landed with the same content, and the"
            f" project, liftlab, the packages, the settings and the salt are those of build"
            f" {last}; {warehouse} is up to date"
        )
        return
    session = publish.BuildSession(warehouse, append=append, discard_failed=discard_failed)
    with session:
        _land_build_check_publish(
            session,
            data,
            files,
            quiet=quiet,
            skip_quality=skip_quality,
            dbt_vars=dbt_vars,
            build_fingerprint=fingerprint,
        )
    print(f"published build {session.build_id} to {warehouse}")


def build_vars(warehouse: Path, ground_truth: str | Path | None) -> dict[str, str]:
    """The dbt vars a build sets: the published warehouse's promoted clustering (the
    models would look beside the build file otherwise) unless $LIFTLAB_CLUSTERING_PROMOTED
    names one, and the ground truth when given."""
    from liftlab import environment
    from liftlab.clustering.dbt_support import promoted_file_for

    promoted = environment.setting(environment.CLUSTERING_PROMOTED)
    dbt_vars = {"clustering_promoted_file": str(promoted or promoted_file_for(warehouse))}
    if ground_truth:
        dbt_vars["clustering_ground_truth"] = str(Path(ground_truth).resolve())
    return dbt_vars


def _land_build_check_publish(
    session,
    data: str,
    files,
    *,
    quiet: bool,
    skip_quality: bool,
    dbt_vars: dict[str, str],
    build_fingerprint: str,
):
    from liftlab import publish, restage, uptodate
    from liftlab.landing import land
    from liftlab.warehouse import project_dir

    fingerprint = restage.staging_fingerprint(project_dir())
    with connect(session.path) as con:
        summary = land(data, con, replace_all=not session.append)
        previous = restage.last_fingerprint(con) if session.append else fingerprint
    publish.abort_point("landing")
    publish.refuse_if_empty(data, summary)
    print(
        f"landed {summary.documents_landed} documents from {summary.files_landed} file(s)"
        f" ({summary.files_unchanged} unchanged, {summary.file_problems} file problem(s))"
        f" for {session.warehouse} (build {session.build_id})"
    )
    restage_all = restage.restage_needed(previous, fingerprint)
    if restage_all:
        print(
            "the staging code, the project's vars or the salt changed since the last build"
            " (or it recorded none): every landed file is staged again"
        )
    dbt_vars = {**dbt_vars, restage.RESTAGE_VAR: restage_all}
    run_dbt(list(BUILD_ARGUMENTS), session.path, quiet=quiet, dbt_vars=dbt_vars)
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
    session.publish(
        {
            **row,
            restage.FINGERPRINT_COLUMN: fingerprint,
            uptodate.FINGERPRINT_COLUMN: build_fingerprint,
        }
    )
