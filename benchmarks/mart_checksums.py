"""Order-independent checksums of a warehouse's marts, metrics and clusters.

Compare two builds of the same input (before and after a refactor that must not change
outputs): ``python benchmarks/mart_checksums.py A.duckdb B.duckdb`` prints one row per
table with each warehouse's row count and digest, and exits 1 when any differs. Columns
that record when or how long (timestamps of a run, seconds, artifact versions and paths)
are left out; everything else is compared exactly, as text.
"""

from __future__ import annotations

import argparse
import sys

import duckdb

# table -> columns left out (they differ between two runs of the same build)
TABLES: dict[str, tuple[str, ...]] = {
    "fct_reps": (),
    "fct_sets": (),
    "fct_workouts": (),
    "dim_lifters": (),
    "fct_record_counts": (),
    "rejected_records": (),
    "fct_set_exercise_predictions": ("model_version",),
    "ml_classifier_metrics": ("cv_seconds", "model_version"),
    "ml_confusion_matrix": (),
    "lifter_clusters": (),
    "cluster_profiles": (),
    "fct_load_velocity_profiles": (),
    "fct_lifter_readiness": (),
    "fct_set_velocity_loss": (),
    "lifter_peer_comparison": (),
}


def checksum(con: duckdb.DuckDBPyConnection, table: str, leave_out: tuple[str, ...]):
    """(rows, digest) of ``table`` without ``leave_out``; None when the table is missing."""
    columns = [r[0] for r in con.execute(f"describe {table}").fetchall()]
    kept = [c for c in columns if c not in leave_out]
    row_text = "concat_ws('|', " + ", ".join(f"coalesce(\"{c}\"::varchar, '∅')" for c in kept) + ")"
    return con.execute(
        f"select count(*), md5(coalesce(string_agg(t, '\n' order by t), '')) "
        f"from (select {row_text} as t from {table})"
    ).fetchone()


def checksums(path: str) -> dict[str, tuple[int, str] | None]:
    with duckdb.connect(path, read_only=True) as con:
        present = {r[0] for r in con.execute("show tables").fetchall()}
        return {
            table: checksum(con, table, leave_out) if table in present else None
            for table, leave_out in TABLES.items()
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouses", nargs="+")
    args = parser.parse_args(argv)
    sums = [checksums(w) for w in args.warehouses]
    differ = False
    print("| table | " + " | ".join(args.warehouses) + " | same |")
    print("| --- |" + " --- |" * (len(sums) + 1))
    for table in TABLES:
        cells = [s[table] for s in sums]
        same = len({c for c in cells}) == 1
        differ |= not same
        shown = ["missing" if c is None else f"{c[0]} rows, {c[1][:12]}" for c in cells]
        print(f"| {table} | " + " | ".join(shown) + f" | {'yes' if same else 'NO'} |")
    return 1 if differ and len(sums) > 1 else 0


if __name__ == "__main__":
    sys.exit(main())
