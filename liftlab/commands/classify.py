"""`liftlab classify`: label the sets of a new export with the saved exercise classifier.

No retraining: the export is landed into a temporary DuckDB file and only the staging and
intermediate models are built over it (the same SQL as the warehouse build), the rep
features are computed by the same SQL as ``int_rep_features`` (macros/rep_features.sql) and
the same trace code as ``ml_rep_trace_features``, and the saved model predicts each kept set
(its reps' probabilities averaged; a set whose lift the export does not type is then
smoothed over the lifter's nearest sets and the sets before and after it in the workout,
the typed ones as anchors, exactly as ``fct_set_exercise_predictions`` does:
liftlab.ml.neighbours). Writes CSV, or Parquet when the output name ends in ``.parquet``,
with columns ``set_id``, ``predicted_lift``, ``probability`` (empty for a set without a
usable rep whose workout neighbours give none).

Which model: ``--model-dir`` (an artifact root or one version's directory) and
``--version``; otherwise the artifacts beside the warehouse
(``<warehouse dir>/models/exercise_classifier``), in the version that warehouse's
``ml_classifier_metrics`` records, or the latest one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

OUTPUT_COLUMNS = ("set_id", "predicted_lift", "probability")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="export file(s): a file, directory or glob")
    parser.add_argument("--out", required=True, help="output file: .csv, or .parquet")
    parser.add_argument(
        "--warehouse",
        help="warehouse whose classifier to use (default: warehouse/liftlab.duckdb)",
    )
    parser.add_argument("--model-dir", help="artifact root or version directory (overrides)")
    parser.add_argument("--version", help="artifact version (default: the warehouse's / latest)")
    parser.add_argument("--quiet", action="store_true", help="less dbt output")


def run(args: argparse.Namespace) -> int:
    from liftlab.warehouse import DbtFailed

    try:
        labels = classify(
            args.data,
            warehouse=args.warehouse,
            model_dir=args.model_dir,
            version=args.version,
            quiet=args.quiet,
        )
    except (FileNotFoundError, ValueError) as exc:
        print(f"liftlab classify: {exc}", file=sys.stderr)
        return 2
    except DbtFailed as exc:
        print(f"liftlab classify: {exc}", file=sys.stderr)
        return 1
    out = write_output(labels, args.out)
    print(f"labelled {labels['predicted_lift'].notna().sum()} of {len(labels)} sets -> {out}")
    return 0


def warehouse_version(warehouse: Path) -> str | None:
    """The artifact version a built warehouse labelled its sets with (None if unknown)."""
    import duckdb

    if not warehouse.exists():
        return None
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            rows = con.execute(
                "select distinct model_version from ml_classifier_metrics"
                " where model_version is not null"
            ).fetchall()
    except duckdb.Error:
        return None
    return rows[0][0] if len(rows) == 1 else None


def find_artifact(warehouse=None, model_dir=None, version=None):
    from liftlab.ml.artifact import default_root, load_artifact
    from liftlab.warehouse import warehouse_path

    if model_dir:
        return load_artifact(Path(model_dir), version)
    path = warehouse_path(warehouse)
    return load_artifact(default_root(path), version or warehouse_version(path))


def build_intermediate(data: str, database: Path, *, quiet: bool = True) -> None:
    """Land ``data`` into ``database`` and build only what the classifier reads."""
    import duckdb

    from liftlab.landing import land
    from liftlab.warehouse import run_dbt

    with duckdb.connect(str(database)) as con:
        land(data, con, replace_all=True)
    run_dbt(
        [
            "build",
            "--select",
            "+int_reps_decoded",
            "+int_sets_aggregated",
            "--exclude-resource-type",
            "test",
            "unit_test",
        ],
        database,
        quiet=quiet,
    )


def classify(data: str, *, warehouse=None, model_dir=None, version=None, quiet=True):
    """Every kept set of the export with the saved model's prediction (a DataFrame)."""
    import tempfile

    import duckdb

    from liftlab.landing import resolve_inputs
    from liftlab.ml.classifier import predict_sets, typed_lifts
    from liftlab.ml.warehouse import rep_features

    if not resolve_inputs(data):  # raises FileNotFoundError when nothing matches
        raise FileNotFoundError(f"no export file in {data!r}")
    artifact = find_artifact(warehouse, model_dir, version)
    print(f"classifier {artifact.version} ({artifact.directory})", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="liftlab-classify-") as tmp:
        database = Path(tmp) / "export.duckdb"
        build_intermediate(data, database, quiet=quiet)
        with duckdb.connect(str(database)) as con:  # dbt may still hold it open
            sets = con.sql(
                "select set_id, lifter_id, workout_id, started_at, set_number, load_kg,"
                " is_load_outlier, typed_lift, typed_lift_status from int_sets_aggregated"
            ).df()
            features = rep_features(con)
    # the export's own typed sets anchor the within-lifter smoothing, as in the warehouse
    predictions = predict_sets(
        artifact.model, artifact.feature_columns, features, typed=typed_lifts(sets), sets=sets
    )
    labels = sets.merge(predictions, on="set_id", how="left")
    labels = labels.sort_values("set_id", kind="stable").reset_index(drop=True)
    return labels[list(OUTPUT_COLUMNS)]


def write_output(labels, out: str) -> Path:
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() in (".parquet", ".pq"):
        labels.to_parquet(path, index=False)
    else:
        labels.to_csv(path, index=False)
    return path
