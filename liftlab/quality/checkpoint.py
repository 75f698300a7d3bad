"""The quality checkpoint run after `dbt build`: every suite of :mod:`liftlab.quality.suites`
validated with Great Expectations, GX data docs (HTML) written to a folder, and one row
per expectation written to the warehouse table ``dq_expectation_results``.

Only what dbt tests do not do well is checked here (liftlab.quality.suites): each check
reads the columns it needs of the rows its SQL ``where`` selects (a projection, never a
whole mart) into pandas, validated through GX's pandas datasource in an ephemeral
context (GX's SQL route through duckdb-engine reports every expectation as failed with a
hidden error here: see the stack notes). Because a silently broken GX
would make the gate meaningless, every run also validates a small canary frame that
must fail one expectation and pass another; if GX gets the canary wrong the run fails.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from liftlab import environment
from liftlab.quality.suites import ERROR, LIFT_BOUNDS_SQL, WARN, Check, LiftBounds, all_checks
from liftlab.warehouse import DbtFailed, connect

RESULTS_TABLE = "dq_expectation_results"
DOCS_ENV_VAR = environment.QUALITY_DOCS
EXAMPLES_PER_EXPECTATION = 5
SUMMARY_LINES = 20


class QualityFailed(DbtFailed):
    """An expectation of the quality checkpoint failed (a build failure like a dbt test)."""


@dataclass(frozen=True)
class ExpectationResult:
    suite: str
    table_name: str
    expectation: str
    column_name: str | None
    success: bool
    unexpected_count: int | None
    element_count: int | None
    examples: str | None
    observed_value: str | None
    expectation_kwargs: str
    severity: str = ERROR  # a failed "warn" expectation is reported, never fails the build


@dataclass(frozen=True)
class CheckpointReport:
    results: list[ExpectationResult]
    docs_index: Path | None
    run_at: datetime

    @property
    def failures(self) -> list[ExpectationResult]:
        return [r for r in self.results if not r.success and r.severity != WARN]

    @property
    def warnings(self) -> list[ExpectationResult]:
        return [r for r in self.results if not r.success and r.severity == WARN]

    @property
    def success(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        failures = self.failures
        warnings = self.warnings
        passed = len(self.results) - len(failures) - len(warnings)
        head = f"quality checkpoint: {passed} of {len(self.results)} expectations passed"
        if warnings:
            head += f", {len(warnings)} warned"
        docs = f"  data docs: {self.docs_index}" if self.docs_index else None
        if not failures and not warnings:
            return head + (f" ({self.docs_index})" if self.docs_index else "")
        lines = [head + (f", {len(failures)} failed:" if failures else ":")]
        shown = (failures + warnings)[:SUMMARY_LINES]
        lines += [_summary_line(result) for result in shown]
        if len(failures) + len(warnings) > SUMMARY_LINES:
            lines.append(f"  ... and {len(failures) + len(warnings) - SUMMARY_LINES} more")
        if docs:
            lines.append(docs)
        return "\n".join(lines)


def _summary_line(result: ExpectationResult) -> str:
    column = f" [{result.column_name}]" if result.column_name else ""
    if result.unexpected_count is not None:
        count = f"{result.unexpected_count} unexpected"
        if result.element_count:
            count += f" of {result.element_count}"
    elif result.observed_value is not None:
        count = f"observed {result.observed_value}"
    else:
        count = "error"
    examples = f", e.g. {result.examples}" if result.examples else ""
    label = "warning: " if result.severity == WARN else ""
    return f"  {label}{result.suite}: {result.expectation}{column}: {count}{examples}"


def default_docs_dir() -> Path:
    """$LIFTLAB_QUALITY_DOCS, else build/quality of the project."""
    configured = environment.setting(DOCS_ENV_VAR)
    if configured:
        return Path(configured)
    from liftlab.warehouse import project_dir

    return project_dir() / "build" / "quality"


def _validate_all(context, checks, frames, missing) -> list[ExpectationResult]:
    results: list[ExpectationResult] = []
    for index, check in enumerate(checks):
        if check.suite in missing:
            if not check.optional:
                results.append(_missing_table_result(check))
            continue
        frame = frames[check.suite]
        if isinstance(frame, Exception):
            results.append(_error_result(check, "read_table", f"could not read: {frame}"))
            continue
        try:
            results.extend(_validate(context, index, check, frame))
        except Exception as exc:  # a GX error is a failed check, not a crashed build
            results.append(_error_result(check, "validate", f"{type(exc).__name__}: {exc}"))
    return results


def _offline_docs(docs_dir: Path) -> list[ExpectationResult]:
    """Point the data docs at pinned local assets (liftlab.quality.offline); a warning
    result (never a failed build) when the assets are not installed."""
    from liftlab.quality.offline import AssetsMissing, make_offline

    try:
        make_offline(docs_dir)
    except (AssetsMissing, OSError) as exc:
        return [
            ExpectationResult(
                "quality_checkpoint", "-", "checkpoint_data_docs_offline", None, False,
                None, None, f"{type(exc).__name__}: {exc}"[:300], None, "{}", WARN,
            )
        ]  # fmt: skip
    return []


def _swap_in(staging_dir: Path, docs_dir: Path) -> Path | None:
    """Replace ``docs_dir`` by the freshly built ``staging_dir``; the new index.html."""
    old = None
    try:
        if docs_dir.exists():
            old = docs_dir.with_name(f".{docs_dir.name}-old-{os.getpid()}")
            docs_dir.rename(old)
        staging_dir.rename(docs_dir)
    except OSError:
        # another build swapped its site in at the same moment: its site stays
        return None
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    index_html = docs_dir / "index.html"
    return index_html if index_html.exists() else None


def run_checkpoint(
    warehouse: Path,
    *,
    docs_dir: Path | None = None,
    checks: list[Check] | None = None,
    raise_on_failure: bool = True,
    write_results: bool = True,
    write_docs: bool = True,
) -> CheckpointReport:
    """Validate ``warehouse``; write data docs and ``dq_expectation_results``; raise
    :class:`QualityFailed` (with a short summary) when an expectation fails."""
    bounds_error = None
    if checks is None:
        bounds, bounds_error = read_lift_bounds(warehouse)
        checks = all_checks(bounds)
    if not write_docs:
        docs_dir = None
    else:
        docs_dir = default_docs_dir() if docs_dir is None else Path(docs_dir)
    run_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)

    frames, missing = _read_tables(warehouse, checks)
    # docs are written to a fresh folder beside the target, then swapped in, so that a
    # concurrent build never sees (or deletes) half a site
    staging_dir = None
    if docs_dir is not None:
        docs_dir.parent.mkdir(parents=True, exist_ok=True)
        staging_dir = Path(tempfile.mkdtemp(prefix=f".{docs_dir.name}-", dir=docs_dir.parent))
    try:
        context = _context(staging_dir)
        _assert_gx_is_honest(context)
        results = _validate_all(context, checks, frames, missing)
        if bounds_error is not None:
            results.append(bounds_error)
        docs_index = None
        if staging_dir is not None:
            try:
                context.build_data_docs()
            except Exception as exc:  # the docs are a by-product: report, do not crash
                results.append(
                    ExpectationResult(
                        "quality_checkpoint", "-", "checkpoint_data_docs", None, False,
                        None, None, f"{type(exc).__name__}: {exc}"[:300], None, "{}",
                    )
                )  # fmt: skip
            else:
                results.extend(_offline_docs(staging_dir))
                docs_index = _swap_in(staging_dir, docs_dir)
    finally:
        if staging_dir is not None and staging_dir.exists():
            shutil.rmtree(staging_dir, ignore_errors=True)

    report = CheckpointReport(results, docs_index, run_at)
    if write_results:
        write_results_table(warehouse, report)
    if raise_on_failure and not report.success:
        raise QualityFailed(report.summary())
    return report


# --------------------------------------------------------------------------------------
# reading the warehouse
# --------------------------------------------------------------------------------------


def read_lift_bounds(
    warehouse: Path,
) -> tuple[dict[str, LiftBounds], ExpectationResult | None]:
    """The lifts seed's plausibility bounds, or a failed result saying why they are missing
    (then no per-lift range check can run, and the build must not pass as if it had)."""
    try:
        with connect(warehouse, read_only=True) as con:
            rows = con.execute(LIFT_BOUNDS_SQL).fetchall()
    except duckdb.Error as exc:
        message = str(exc).splitlines()[0][:300]
        return {}, ExpectationResult(
            "reference.lifts", "lifts", "checkpoint_read_bounds", None, False,
            None, None, f"plausibility bounds unreadable: {message}", None, "{}",
        )  # fmt: skip
    return {row[0]: LiftBounds(*map(float, row[1:])) for row in rows}, None


def _read_tables(warehouse: Path, checks: list[Check]):
    """One pandas frame per check (only the columns it needs, only the rows of its
    ``where``), and the suites whose table is missing, read in one read-only connection."""
    frames: dict[str, object] = {}
    missing: set[str] = set()
    with connect(warehouse, read_only=True) as con:
        tables = {
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = 'main'"
            ).fetchall()
        }
        for check in checks:
            if check.table not in tables:
                missing.add(check.suite)
                continue
            present = {
                row[0]
                for row in con.execute(
                    "select column_name from information_schema.columns"
                    " where table_schema = 'main' and table_name = ?",
                    [check.table],
                ).fetchall()
            }
            # a missing column is selected as null-free nothing: GX then reports it missing
            columns = [c for c in check.columns if c in present] or ["1 as _row"]
            select = ", ".join(f'"{c}"' if not c.startswith("1 as") else c for c in columns)
            where = f" where {check.where}" if check.where else ""
            try:
                frames[check.suite] = con.sql(f'select {select} from "{check.table}"{where}').df()
            except duckdb.Error as exc:
                frames[check.suite] = exc
    return frames, missing


# --------------------------------------------------------------------------------------
# Great Expectations
# --------------------------------------------------------------------------------------


def _context(docs_dir: Path | None):
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    for site in list(context.list_data_docs_sites()):
        context.delete_data_docs_site(site)
    if docs_dir is not None:
        docs_dir.mkdir(parents=True, exist_ok=True)
        context.add_data_docs_site(
            site_name="liftlab_quality",
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir.resolve()),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    context.data_sources.add_pandas("liftlab_warehouse")
    return context


def _expectation(spec):
    import great_expectations.expectations as gxe

    kwargs = dict(spec.kwargs)
    if spec.note:
        kwargs["notes"] = spec.note
    return getattr(gxe, spec.expectation)(**kwargs), None


def _validate(context, index: int, check: Check, frame) -> list[ExpectationResult]:
    import great_expectations as gx

    name = f"{index:02d}_{check.suite}"
    source = context.data_sources.get("liftlab_warehouse")
    batch_definition = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe(
        "whole_table"
    )
    suite = context.suites.add(gx.ExpectationSuite(name=check.suite))
    broken: list[ExpectationResult] = []
    for spec in check.specs:
        expectation, error = _expectation(spec)
        if expectation is None:
            broken.append(
                ExpectationResult(
                    check.suite,
                    check.table,
                    _snake(spec.expectation),
                    spec.kwargs.get("column"),
                    False,
                    None,
                    None,
                    error,
                    None,
                    _json(spec.kwargs),
                )
            )
            continue
        suite.add_expectation(expectation)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=name,
            validation_definitions=[definition],
            result_format={
                "result_format": "SUMMARY",
                "partial_unexpected_count": EXAMPLES_PER_EXPECTATION,
            },
        )
    )
    outcome = checkpoint.run(batch_parameters={"dataframe": frame})
    results = list(broken)
    for run_result in outcome.run_results.values():
        for result in run_result.results:
            results.append(_result(check, result))
    expected = len(check.specs)
    if len(results) != expected:
        results.append(
            ExpectationResult(
                check.suite,
                check.table,
                "checkpoint_completeness",
                None,
                False,
                None,
                None,
                f"GX returned {len(results)} results for {expected} expectations",
                None,
                "{}",
            )
        )
    return results


def _result(check: Check, result) -> ExpectationResult:
    config = result.expectation_config
    kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
    info = result.result or {}
    error = _exception_message(result.exception_info)
    examples = info.get("partial_unexpected_list")
    if error:
        examples_text = error
    elif examples:
        examples_text = _json(examples[:EXAMPLES_PER_EXPECTATION])
    else:
        examples_text = None
    column = kwargs.get("column")
    if column is None and "column_A" in kwargs:
        column = f"{kwargs['column_A']},{kwargs['column_B']}"
    if column is None and "column_list" in kwargs:
        column = ",".join(kwargs["column_list"])
    observed = info.get("observed_value")
    return ExpectationResult(
        check.suite,
        check.table,
        config.type,
        column,
        bool(result.success),
        _int_or_none(info.get("unexpected_count")),
        _int_or_none(info.get("element_count")),
        examples_text,
        None if observed is None else _json(observed),
        _json(kwargs),
        # an expectation that raised could not judge the data: never only a warning
        ERROR if error else check.severity,
    )


def _exception_message(info) -> str | None:
    """The message of an exception GX caught (its info is flat or keyed by metric)."""
    if not isinstance(info, dict):
        return None
    candidates = [info, *(v for v in info.values() if isinstance(v, dict))]
    for candidate in candidates:
        if candidate.get("raised_exception"):
            message = str(candidate.get("exception_message") or "GX raised an exception")
            return message.splitlines()[0][:300]
    return None


def _error_result(check: Check, step: str, message: str) -> ExpectationResult:
    return ExpectationResult(
        check.suite,
        check.table,
        f"checkpoint_{step}",
        None,
        False,
        None,
        None,
        message.splitlines()[0][:300] if message else message,
        None,
        "{}",
    )


def _missing_table_result(check: Check) -> ExpectationResult:
    return ExpectationResult(
        check.suite,
        check.table,
        "expect_table_to_exist",
        None,
        False,
        None,
        None,
        f"table {check.table} is missing from the warehouse",
        None,
        "{}",
    )


def _assert_gx_is_honest(context) -> None:
    """Fail loudly if GX would report a broken table as passing, or a good one failing."""
    import great_expectations as gx
    import great_expectations.expectations as gxe
    import pandas as pd

    source = context.data_sources.get("liftlab_warehouse")
    batch = (
        source.add_dataframe_asset("canary")
        .add_batch_definition_whole_dataframe("whole_table")
        .get_batch(batch_parameters={"dataframe": pd.DataFrame({"x": [1.0, 2.0, 99.0]})})
    )
    suite = gx.ExpectationSuite(name="canary")
    suite.add_expectation(gxe.ExpectColumnValuesToBeBetween(column="x", min_value=0, max_value=10))
    suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column="x"))
    outcome = batch.validate(suite)
    verdicts = [r.success for r in outcome.results]
    if verdicts != [False, True]:
        raise QualityFailed(
            "quality checkpoint: Great Expectations misjudged its canary (a value out of"
            f" range must fail, a null-free column must pass; got {verdicts}): not trusted"
        )


# --------------------------------------------------------------------------------------
# the results table
# --------------------------------------------------------------------------------------


def write_results_table(warehouse: Path, report: CheckpointReport) -> None:
    import pandas as pd

    rows = [
        {
            "suite": r.suite,
            "table_name": r.table_name,
            "expectation": r.expectation,
            "column_name": r.column_name,
            "success": r.success,
            "unexpected_count": r.unexpected_count,
            "element_count": r.element_count,
            "examples": r.examples,
            "observed_value": r.observed_value,
            "expectation_kwargs": r.expectation_kwargs,
            "severity": r.severity,
            "run_at": report.run_at,
        }
        for r in report.results
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "suite",
            "table_name",
            "expectation",
            "column_name",
            "success",
            "unexpected_count",
            "element_count",
            "examples",
            "observed_value",
            "expectation_kwargs",
            "severity",
            "run_at",
        ],
    )
    with connect(warehouse) as con:
        con.register("_dq_results", frame)
        try:
            con.execute(
                f"create or replace table main.{RESULTS_TABLE} as select"
                " suite::varchar as suite, table_name::varchar as table_name,"
                " expectation::varchar as expectation, column_name::varchar as column_name,"
                " success::boolean as success, unexpected_count::bigint as unexpected_count,"
                " element_count::bigint as element_count, examples::varchar as examples,"
                " observed_value::varchar as observed_value,"
                " expectation_kwargs::varchar as expectation_kwargs,"
                " severity::varchar as severity, run_at::timestamp as run_at from _dq_results"
            )
        finally:
            con.unregister("_dq_results")


def _json(value) -> str:
    return json.dumps(value, default=str, allow_nan=True, ensure_ascii=False)


def _int_or_none(value) -> int | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else int(number)


def _snake(name: str) -> str:
    out = []
    for i, char in enumerate(name):
        if char.isupper() and i:
            out.append("_")
        out.append(char.lower())
    return "".join(out)
