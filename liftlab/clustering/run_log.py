"""The two logs of clustering runs, and how ``liftlab tune`` reads and writes them.

- ``cluster_runs``: a dbt model (python_models/clustering), each build's own runs.
- ``cluster_tuning_runs``: ``liftlab tune``'s own table (source ``liftlab.cluster_tuning_runs``),
  the runs of ``--grid`` sweeps and of the ``--ui`` form. dbt never rebuilds it, so a
  ``--full-refresh`` keeps tuning history. Its DDL is the dbt macro
  ``create_cluster_tuning_runs``, which the project's ``on-run-start`` hook runs; every
  built warehouse has it. Same columns and types as ``cluster_runs`` (both are the rows of
  ``scores.evaluate``; a test compares the two tables of a build).
"""

from __future__ import annotations

import pandas as pd

from liftlab.clustering import scores

BUILD_RUNS = "cluster_runs"
TUNING_RUNS = "cluster_tuning_runs"


def _tables(con) -> set[str]:
    return {
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main'"
            " and table_name in (?, ?)",
            [BUILD_RUNS, TUNING_RUNS],
        ).fetchall()
    }


def append_tuning_runs(con, runs: pd.DataFrame) -> None:
    """Append ``liftlab tune`` rows (``source = 'tune'``) to ``cluster_tuning_runs``; in a
    warehouse no dbt build has run on since the table existed, create it from the rows'
    columns first (what ``cluster_runs`` is made of too)."""
    con.register("_new_runs", runs[scores.RUN_COLUMNS])
    try:
        if TUNING_RUNS not in _tables(con):
            con.execute(f"create table main.{TUNING_RUNS} as from _new_runs limit 0")
        con.execute(f"insert into main.{TUNING_RUNS} by name select * from _new_runs")
    finally:
        con.unregister("_new_runs")


def read_runs(con) -> pd.DataFrame:
    """Every logged run, the builds' and the tuning ones (empty frame when none)."""
    present = [t for t in (BUILD_RUNS, TUNING_RUNS) if t in _tables(con)]
    if not present:
        return pd.DataFrame(columns=scores.RUN_COLUMNS)
    # table names from the fixed pair above, never from input
    union = " union all by name ".join(f"select * from main.{t}" for t in present)
    return con.execute(f"select * from ({union}) order by run_at, run_id, lift").df()
