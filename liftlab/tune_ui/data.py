"""The warehouse side of ``liftlab tune --ui``: a read-only snapshot, and brief writes.

Reading never blocks a build: :func:`read_snapshot` opens the warehouse read-only, copies
the ``fct_sets`` columns any clustering configuration can use (allow-listed names from
``liftlab.clustering.config.FEATURES``), the ground truth and the logged runs into memory,
and closes the connection. Writes ("log this run", "promote") open the warehouse for as
long as one insert takes; when a build holds DuckDB's lock they raise
:class:`WarehouseBusy` with a message for the form instead of waiting.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from liftlab import environment
from liftlab.clustering import dbt_support, pipeline, run_log, scores
from liftlab.clustering.config import FEATURES

KEY_COLUMNS = ("set_id", "lifter_id", "lift", "workout_id")


class WarehouseError(RuntimeError):
    """The warehouse cannot be read for the form (missing, unbuilt, empty); a message."""


class WarehouseBusy(WarehouseError):
    """Another process (a build) holds the warehouse's lock."""


@dataclass(frozen=True)
class Settings:
    """Where the form reads and writes: the same defaults as ``liftlab tune``."""

    warehouse: Path
    truth: str | None = None  # --truth / $LIFTLAB_GROUND_TRUTH; None: no ARI
    promoted_file: str | None = None  # None: <warehouse stem>.clustering_promoted.yml

    @classmethod
    def from_environment(cls) -> Settings:
        from liftlab.warehouse import DEFAULT_WAREHOUSE

        return cls(
            warehouse=Path(environment.setting(environment.WAREHOUSE) or DEFAULT_WAREHOUSE),
            truth=environment.setting(environment.GROUND_TRUTH),
            promoted_file=environment.setting(environment.CLUSTERING_PROMOTED),
        )


@dataclass
class Snapshot:
    """What the form works on, in memory."""

    sets: pd.DataFrame
    fingerprint: str  # of ``sets``: keys the cached fits
    truth: pd.DataFrame | None
    truth_path: str | None
    runs: pd.DataFrame  # the logged runs as read (run_log.read_runs; empty when none)


def _busy_message(warehouse: Path) -> str:
    return (
        f"{warehouse} is locked by another process (a `liftlab build` or `dbt build` "
        "running?): try again when it has finished"
    )


@contextlib.contextmanager
def connect(warehouse: Path, *, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection that is closed on exit; a held lock becomes :class:`WarehouseBusy`."""
    if not Path(warehouse).is_file():
        raise WarehouseError(
            f"no warehouse at {warehouse}: build it first "
            "(`liftlab build --data EXPORT --warehouse FILE`, or `make run`)"
        )
    with contextlib.ExitStack() as stack:
        if not read_only:  # a writer takes the lock of `liftlab build` (liftlab.publish)
            from liftlab.publish import WarehouseBusy as LockHeld
            from liftlab.publish import writer_lock

            try:
                stack.enter_context(writer_lock(warehouse, "liftlab tune --ui"))
            except LockHeld as exc:
                raise WarehouseBusy(str(exc)) from None
        try:
            con = duckdb.connect(str(warehouse), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise WarehouseBusy(_busy_message(warehouse)) from exc
            raise WarehouseError(f"cannot open {warehouse}: {exc}") from exc
        try:
            yield con
        finally:
            con.close()


def _has_table(con, name: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'main' and table_name = ?",
            [name],
        ).fetchall()[0][0]
    )


def read_snapshot(settings: Settings) -> Snapshot:
    """Copy what the form needs out of the warehouse, then close it."""
    with connect(settings.warehouse, read_only=True) as con:
        if not _has_table(con, "fct_sets"):
            raise WarehouseError(
                f"{settings.warehouse} has no fct_sets table: it was never built "
                "(`liftlab build --data EXPORT --warehouse FILE`)"
            )
        present = {r[0] for r in con.execute("describe main.fct_sets").fetchall()}
        wanted = list(KEY_COLUMNS)
        wanted += [c for c, _ in FEATURES.values() if c not in wanted]
        # fixed column names from the allow-list, never user text
        columns = [c for c in wanted if c in present]
        sets = con.execute(
            f"select {', '.join(chr(34) + c + chr(34) for c in columns)} from main.fct_sets"
        ).df()
        if sets.empty or sets["lifter_id"].notna().sum() == 0:
            raise WarehouseError(
                f"fct_sets in {settings.warehouse} has no sets with a lifter: nothing to "
                "cluster (build it from an export with data)"
            )
        truth_path = dbt_support.ground_truth_path(settings.truth)
        runs = run_log.read_runs(con)
    truth = scores.load_truth(str(truth_path)) if truth_path else None
    return Snapshot(
        sets=sets,
        fingerprint=pipeline.data_fingerprint(sets),
        truth=truth,
        truth_path=str(truth_path) if truth_path else None,
        runs=runs,
    )


def log_run(settings: Settings, runs: pd.DataFrame) -> pd.DataFrame:
    """Append a run's rows to ``cluster_tuning_runs`` (as ``liftlab tune --grid`` does);
    returns every logged run as it is now. A run already logged (same run id) is not
    appended twice."""
    with connect(settings.warehouse, read_only=False) as con:
        logged = run_log.read_runs(con)
        if not logged["run_id"].isin(runs["run_id"]).any():
            run_log.append_tuning_runs(con, runs)
            logged = run_log.read_runs(con)
    return logged


def promote_run(settings: Settings, run_id: str) -> tuple[dict, Path]:
    """Promote a logged run exactly as ``liftlab tune --best --run-id`` does."""
    from liftlab.commands.tune import promote

    with connect(settings.warehouse, read_only=False) as con:
        doc, path, _ = promote(con, run_id, None, settings.promoted_file, settings.warehouse)
    return doc, path


def reload_runs(settings: Settings) -> pd.DataFrame:
    with connect(settings.warehouse, read_only=True) as con:
        return run_log.read_runs(con)
