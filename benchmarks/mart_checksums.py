"""Compare the marts, metrics and clusters of warehouses built from the same input.

``python benchmarks/mart_checksums.py A.duckdb B.duckdb`` prints, per table, the row count,
a digest of every column but the floating-point ones (exact, as text), and, after aligning
B's rows to A's by those columns, the largest relative difference of the floating-point
columns; it exits 1 when a digest or a row count differs, or a float differs by more than
``--atol`` + ``--rtol`` x the value. Floats are not compared bit for bit because DuckDB
sums doubles in parallel in an order that varies from run to run: two builds of one commit
differ in the last bits of sums and of what is fitted from them. Columns that record when
or how long (seconds, artifact versions) are left out.
"""

from __future__ import annotations

import argparse
import sys

import duckdb
import numpy as np

# table -> columns left out (they differ between two runs of the same build)
TABLES: dict[str, tuple[str, ...]] = {
    "fct_reps": (),
    "fct_sets": (),
    "fct_workouts": (),
    "dim_lifters": (),
    "fct_record_counts": (),
    "rejected_records": (),
    "ml_rep_features": (),
    "fct_set_exercise_predictions": ("model_version",),
    "ml_classifier_metrics": ("cv_seconds", "model_version", "evaluated_at"),
    "ml_confusion_matrix": ("model_version",),
    "lifter_clusters": (),
    "cluster_profiles": (),
    "fct_load_velocity_profiles": (),
    "fct_lifter_readiness": (),
    "fct_set_velocity_loss": (),
    "lifter_peer_comparison": (),
}
FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")


def columns_of(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f"describe {table}").fetchall()]


def read_table(con: duckdb.DuckDBPyConnection, table: str, leave_out: tuple[str, ...]):
    """(exact text per row, float matrix in the same row order), rows sorted by the text."""
    kept = [(c, t) for c, t in columns_of(con, table) if c not in leave_out]
    exact = [c for c, t in kept if t not in FLOAT_TYPES]
    floats = [c for c, t in kept if t in FLOAT_TYPES]
    text = "concat_ws('|', " + ", ".join(f"coalesce(\"{c}\"::varchar, '∅')" for c in exact)
    text += ")" if exact else "'')"
    numbers = ", ".join(f'"{c}"::double' for c in floats) or "0::double"
    rows = con.execute(f"select {text}, {numbers} from {table} order by 1, 2").fetchall()
    keys = [r[0] for r in rows]
    width = max(len(floats), 1)
    values = np.array([r[1:] for r in rows], dtype=float).reshape(len(rows), width)
    return keys, values


def compare(a, b, rtol: float, atol: float) -> tuple[bool, float, int]:
    """(exact columns the same, largest relative float difference, rows with a float
    beyond ``atol + rtol * |value|``) of two read tables."""
    (keys_a, values_a), (keys_b, values_b) = a, b
    if keys_a != keys_b:
        return False, float("nan"), len(keys_a)
    if not values_a.size:
        return True, 0.0, 0
    same = (values_a == values_b) | (np.isnan(values_a) & np.isnan(values_b))
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = np.where(same, 0.0, np.abs(values_a - values_b))
        diff = np.where(np.isnan(diff), np.inf, diff)
        scale = np.maximum(np.abs(values_a), np.abs(values_b))
        rel = np.where(diff == 0, 0.0, diff / scale)
    beyond = (diff > atol + rtol * np.nan_to_num(scale)).any(axis=1)
    return True, float(np.nanmax(rel)), int(beyond.sum())


def digest(keys: list[str]) -> str:
    import hashlib

    return hashlib.md5("\n".join(keys).encode()).hexdigest()[:12]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference")
    parser.add_argument("other")
    parser.add_argument("--rtol", type=float, default=1e-9)
    parser.add_argument("--atol", type=float, default=1e-9)
    args = parser.parse_args(argv)
    cons = [duckdb.connect(p, read_only=True) for p in (args.reference, args.other)]
    present = [{r[0] for r in c.execute("show tables").fetchall()} for c in cons]
    differ = False
    print(
        "| table | rows | exact columns (digest) | same | largest relative float difference"
        " | rows beyond tolerance |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for table, leave_out in TABLES.items():
        if not all(table in p for p in present):
            print(f"| {table} | missing in {'/'.join(str(table in p) for p in present)} | | | | |")
            differ = True
            continue
        # columns one side has and the other not (a change that adds a column) are listed,
        # and the rest compared
        names = [{c for c, _ in columns_of(con, table)} for con in cons]
        only = sorted(names[0] ^ names[1])
        left_out = (*leave_out, *only)
        a, b = (read_table(c, table, left_out) for c in cons)
        same, rel, beyond = compare(a, b, args.rtol, args.atol)
        ok = same and beyond == 0
        differ |= not ok
        rows = f"{len(a[0])}" + ("" if len(a[0]) == len(b[0]) else f" / {len(b[0])}")
        digests = digest(a[0]) + ("" if same else f" / {digest(b[0])}")
        verdict = "yes" if ok else "NO"
        extra = f" (not in both: {', '.join(only)})" if only else ""
        print(f"| {table}{extra} | {rows} | {digests} | {verdict} | {rel:.1e} | {beyond} |")
    for con in cons:
        con.close()
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
