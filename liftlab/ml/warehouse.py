"""Glue between the dbt Python models in ``python_models/classifier/`` and :mod:`liftlab.ml`.

The model files only read their config (``dbt.config.get`` with literal keys, as dbt needs)
and call these functions, which take DuckDB relations or DataFrames and return DataFrames.

Data flow (one training per build)::

    int_reps_decoded + int_sets_aggregated -> ml_rep_features
    ml_rep_features -> ml_classifier_metrics   (CV, final fit, saves the versioned artifact)
    ml_classifier_metrics -> ml_confusion_matrix            (read from the artifact)
    ml_classifier_metrics + ml_rep_features + int_sets_aggregated
        -> fct_set_exercise_predictions                     (labels every kept set)
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import numpy as np
import pandas as pd

from liftlab.lifts import LIFTS
from liftlab.ml.artifact import default_root, load_artifact, save_artifact
from liftlab.ml.config import LABELLED_STATUS, ClassifierConfig
from liftlab.ml.evaluation import (
    confusion_frame,
    isin,
    labelled_reps,
    metrics_frame,
    train_and_evaluate,
    unevaluated_rows,
)
from liftlab.ml.features import (
    ALL_FEATURES,
    CLASSIFIER_REP,
    ID_COLUMNS,
    build_rep_features,
    trace_features_csr,
)
from liftlab.ml.labelling import label_sets
from liftlab.ml.neighbours import REP_COLUMNS as SMOOTHING_COLUMNS

REP_COLUMNS = (
    "rep_id",
    "set_id",
    "lifter_id",
    "rep_index",
    CLASSIFIER_REP,
    "mean_velocity_m_s",
    "rom_mm",
    "peak_velocity_m_s",
    "peak_velocity_location_pct",
    "duration_s",
    "bulk_tick_intervals_us",
)
SET_COLUMNS = (
    "set_id",
    "lifter_id",
    "workout_id",
    "typed_lift",
    "typed_lift_status",
    "load_kg",
    "is_load_outlier",
    "velocity_loss_pct",
)
PREDICTION_COLUMNS = (
    "set_id",
    "lifter_id",
    "typed_lift",
    "typed_lift_status",
    "predicted_lift",
    "probability",
    "margin",
    "runner_up_lift",
    "typed_lift_probability",
    "prediction_origin",
    "model_name",
    "model_version",
)


def parse_setting(value):
    """A dbt config value as Python: None / '' stay None; '[...]' strings become lists."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if text in ("", "None", "none", "default"):
            return None
        if text.startswith("["):
            return list(ast.literal_eval(text))
        return text
    return value


def classifier_config(**settings) -> ClassifierConfig:
    return ClassifierConfig.from_mapping({k: parse_setting(v) for k, v in settings.items()})


def database_path(session) -> str | None:
    """The file of the DuckDB database the session writes to (None for in-memory)."""
    try:
        rows = session.execute(
            "select path from duckdb_databases() where database_name = current_database()"
        ).fetchall()
    except Exception:  # pragma: no cover - only on unexpected connections
        return None
    return rows[0][0] if rows and rows[0][0] else None


def artifact_root(session, configured=None) -> Path:
    """The configured artifact directory, else ``<warehouse dir>/models/exercise_classifier``."""
    configured = parse_setting(configured)
    if configured:
        return Path(os.path.expanduser(str(configured)))
    return default_root(database_path(session))


def _frame(relation_or_frame, columns, where: str | None = None) -> pd.DataFrame:
    if isinstance(relation_or_frame, pd.DataFrame):
        return relation_or_frame
    relation = relation_or_frame
    if where:
        relation = relation.filter(where)
    if not columns:
        return relation.df()
    available = set(relation.columns)
    return relation.project(", ".join(c for c in columns if c in available)).df()


# the reps the classifier reads, as a SQL predicate: the same one column as the DataFrame
# path (liftlab.ml.features.CLASSIFIER_REP)
KEPT_REPS = CLASSIFIER_REP
TRACE_BATCH_REPS = 200_000


def rep_features(reps, sets) -> pd.DataFrame:
    """ml_rep_features: one row per rep the classifier reads (int_reps_decoded.is_plausible).

    From DuckDB relations the bulk series never become Python objects: they stream as Arrow
    list batches into :func:`trace_features_csr`, and only the numeric features are kept.
    """
    sets_df = _frame(sets, SET_COLUMNS)
    if isinstance(reps, pd.DataFrame):
        return with_workout_ids(build_rep_features(reps, sets_df), sets_df)
    scalar_columns = tuple(c for c in REP_COLUMNS if c != "bulk_tick_intervals_us")
    reps_df = _frame(reps, scalar_columns, KEPT_REPS)
    trace = stream_trace_features(reps.filter(KEPT_REPS))
    return with_workout_ids(build_rep_features(reps_df, sets_df, trace), sets_df)


# Beside liftlab.ml.features.ID_COLUMNS in ml_rep_features: the set's workout, the group of
# the workout-grouped cross-validation (liftlab.ml.classifier.cv_groups).
FEATURE_EXTRA_IDS = ("workout_id",)


def with_workout_ids(features: pd.DataFrame, sets: pd.DataFrame) -> pd.DataFrame:
    """``features`` with the ``workout_id`` of each rep's set (null when ``sets`` has none),
    placed after the id columns."""
    out = features.drop(columns=[c for c in FEATURE_EXTRA_IDS if c in features])
    if "workout_id" in sets:
        workouts = sets.drop_duplicates("set_id").set_index("set_id")["workout_id"]
        values = out["set_id"].map(workouts)
    else:
        values = pd.Series(None, index=out.index, dtype=object)
    out.insert(len(ID_COLUMNS), "workout_id", values.astype(object))
    return out


# Reps per batch of the batched Python models (ml_rep_features, fct_set_exercise_predictions):
# the work is split into buckets of whole lifters of about this many reps, so memory stays
# bounded whatever the warehouse's size (dbt var ml_batch_reps).
BATCH_REPS = 250_000


def lifter_bucket(n_buckets: int, bucket: int, column: str = "lifter_id") -> str:
    """SQL predicate selecting bucket ``bucket`` of ``n_buckets`` (by a hash of the lifter, so
    that every rep and set of one lifter falls in the same bucket; a null lifter too)."""
    return f"hash(coalesce({column}, '')) % {int(n_buckets)} = {int(bucket)}"


def bucket_count(relation, batch_reps: int | None = None) -> int:
    """Buckets of about ``batch_reps`` rows that ``relation`` splits into (at least one)."""
    batch_reps = int(batch_reps or BATCH_REPS)
    n_rows = relation.aggregate("count(*)").fetchall()[0][0]
    return max(1, -(-int(n_rows) // max(1, batch_reps)))


def rep_features_schema():
    """Arrow schema of ml_rep_features: the id columns as strings, every feature as double."""
    import pyarrow as pa

    return pa.schema(
        [(c, pa.string()) for c in (*ID_COLUMNS, *FEATURE_EXTRA_IDS)]
        + [(c, pa.float64()) for c in ALL_FEATURES]
    )


def rep_feature_batches(reps, sets, batch_reps: int | None = None):
    """ml_rep_features as an Arrow RecordBatchReader, computed bucket by bucket of whole
    lifters (:func:`lifter_bucket`): every feature of a rep depends only on its set and its
    lifter, so the rows equal :func:`rep_features`'s, while memory holds one bucket at a time.

    The reader is lazy: dbt-duckdb's materialization pulls it batch by batch into the table.
    """
    import pyarrow as pa

    schema = rep_features_schema()
    n_buckets = bucket_count(reps.filter(KEPT_REPS), batch_reps)
    scalar_columns = tuple(c for c in REP_COLUMNS if c != "bulk_tick_intervals_us")

    def batches():
        for bucket in range(n_buckets):
            in_bucket = lifter_bucket(n_buckets, bucket)
            kept = f"({KEPT_REPS}) and {in_bucket}"
            sets_df = _frame(sets, SET_COLUMNS, in_bucket)
            frame = build_rep_features(
                _frame(reps, scalar_columns, kept),
                sets_df,
                stream_trace_features(reps.filter(kept)),
            )
            frame = with_workout_ids(frame, sets_df)
            if len(frame):
                yield pa.RecordBatch.from_pandas(
                    frame[schema.names], schema=schema, preserve_index=False
                )

    return pa.RecordBatchReader.from_batches(schema, batches())


def stream_trace_features(relation, batch_reps: int = TRACE_BATCH_REPS) -> pd.DataFrame:
    """rep_id and the trace features of every row of ``relation`` (a DuckDB relation with
    rep_id and bulk_tick_intervals_us), computed batch by batch from Arrow list arrays."""
    import pyarrow as pa
    import pyarrow.compute as pc

    reader = relation.project("rep_id, bulk_tick_intervals_us").to_arrow_reader(batch_reps)
    frames = []
    for batch in reader:
        ticks = batch.column(1)
        lengths = pc.fill_null(pc.list_value_length(ticks), 0).to_numpy()
        missing = pc.is_null(ticks).to_numpy(zero_copy_only=False)
        flat = pc.cast(ticks.flatten(), pa.float64()).to_numpy(zero_copy_only=False)
        frame = trace_features_csr(flat, lengths, missing)
        frame.insert(0, "rep_id", batch.column(0).to_pandas())
        frames.append(frame)
    if not frames:
        return trace_features_csr(np.empty(0), np.empty(0)).assign(rep_id=None)
    return pd.concat(frames, ignore_index=True)


def train(features, config: ClassifierConfig, root: Path) -> pd.DataFrame:
    """ml_classifier_metrics: cross-validate, fit the chosen model, save the artifact.

    Returns the metrics rows with ``model_version`` and ``is_chosen``. When the warehouse holds
    fewer than two labelled lifts nothing can be trained: the result is empty (with its
    columns) and no artifact is written.
    """
    features_df = labelled_features(features, config)
    try:
        result = train_and_evaluate(features_df, config)
    except ValueError as exc:
        if "at least two lifts" not in str(exc):
            raise
        return metrics_table(metrics_frame([]), version=None, chosen=None)
    training = labelled_reps(features_df, LIFTS)
    version, _ = save_artifact(result, training, root)
    metrics = result.metrics
    if metrics.empty:
        # Trained but not evaluated: say so, and keep the version.
        metrics = metrics_frame(
            unevaluated_rows(result.model_name, "all6", training, "not cross-validated")
        )
    return metrics_table(metrics, version=version, chosen=result.model_name)


def metrics_table(metrics: pd.DataFrame, version: str | None, chosen: str | None) -> pd.DataFrame:
    out = metrics.copy()
    out.insert(0, "metric_id", out["model"] + "|" + out["level"] + "|" + out["lifts"])
    out["is_chosen"] = (out["model"] == chosen).astype(bool)
    out["model_version"] = pd.Series([version] * len(out), index=out.index, dtype="string")
    out["chosen_model"] = pd.Series([chosen] * len(out), index=out.index, dtype="string")
    for c in (
        "metric_id",
        "model",
        "estimator",
        "feature_set",
        "level",
        "lifts",
        "cv_grouping",
        "metric_note",
    ):
        out[c] = out[c].astype("string")
    for c in ("n_folds", "n", "n_lifters"):
        out[c] = out[c].astype("int64")
    out["cv_seconds"] = out["cv_seconds"].astype(float)
    return out


def labelled_features(features, config: ClassifierConfig) -> pd.DataFrame:
    """The reps training reads: labelled sets of the six lifts only (all that
    train_and_evaluate uses), the id columns and the configured models' features, in the
    order build_rep_features gives (set, then position in the set) whatever the table's."""
    if isinstance(features, pd.DataFrame):
        return features
    model_columns = {c for name in config.models for c in config.features_for(name)}
    ids = ["set_id", "lifter_id", "workout_id"]
    ids = [c for c in ids if c in set(features.columns)]  # workout_id: the CV's fallback groups
    columns = [
        *ids,
        "typed_lift",
        "typed_lift_status",
        *[c for c in ALL_FEATURES if c in model_columns],
    ]
    lifts = ", ".join(f"'{lift}'" for lift in LIFTS)
    sql = (
        f"select {', '.join(columns)} from labelled_features_input "
        f"where typed_lift_status = '{LABELLED_STATUS}' and typed_lift in ({lifts}) "
        "order by set_id, rep_position"
    )
    # through Arrow, each column freed as soon as it is converted (self_destruct, one block
    # per column): DuckDB's own .df() peaked at 1.4x the memory at 2M reps
    reader = features.query("labelled_features_input", sql).to_arrow_reader(TRACE_BATCH_REPS)
    return reader.read_all().to_pandas(self_destruct=True, split_blocks=True)


def trained_version(metrics) -> str | None:
    """The artifact version recorded in ml_classifier_metrics (None when nothing trained)."""
    df = _frame(metrics, ("model_version",))
    versions = df["model_version"].dropna().unique() if len(df) else []
    return str(versions[0]) if len(versions) else None


def confusion(metrics, root: Path) -> pd.DataFrame:
    """ml_confusion_matrix: the confusion rows saved with the artifact of this build."""
    version = trained_version(metrics)
    frame = confusion_frame([]) if version is None else load_artifact(root, version).confusion()
    if frame.empty:
        frame = confusion_frame([])
    out = pd.DataFrame(
        {
            "confusion_id": (
                frame["model"]
                + "|"
                + frame["level"]
                + "|"
                + frame["lifts"]
                + "|"
                + frame["true_lift"]
                + "|"
                + frame["predicted_lift"]
            ).astype("string"),
            **{
                c: frame[c].astype("string")
                for c in ("model", "level", "lifts", "true_lift", "predicted_lift")
            },
            "n": frame["n"].astype("int64"),
        }
    )
    out["model_version"] = pd.Series([version] * len(out), index=out.index, dtype="string")
    return out


def predictions(sets, features, metrics, root: Path, config: ClassifierConfig) -> pd.DataFrame:
    """fct_set_exercise_predictions: every kept set with its prediction and resolved lift."""
    artifact, cross_fitted = _trained_artifact(metrics, root)
    return _label_frame(sets, features, artifact, cross_fitted, config)


def _trained_artifact(metrics, root: Path):
    """(artifact, out-of-fold set probabilities) of this build's model; (None, None) when
    nothing was trained."""
    version = trained_version(metrics)
    if version is None:
        return None, None
    artifact = load_artifact(root, version)
    return artifact, artifact.cross_fitted()


def prediction_batches(
    sets,
    features,
    metrics,
    root: Path,
    config: ClassifierConfig,
    batch_reps: int | None = None,
):
    """:func:`predictions` as an Arrow RecordBatchReader, bucket by bucket of whole lifters
    (:func:`lifter_bucket`): a set's prediction depends on its own reps only, so the rows are
    the same, while memory holds one bucket of reps at a time."""
    import pyarrow as pa

    artifact, cross_fitted = _trained_artifact(metrics, root)
    schema = predictions_schema()
    n_buckets = bucket_count(features, batch_reps)

    def batches():
        for bucket in range(n_buckets):
            in_bucket = lifter_bucket(n_buckets, bucket)
            frame = _label_frame(
                sets.filter(in_bucket), features.filter(in_bucket), artifact, cross_fitted, config
            )
            if len(frame):
                yield pa.RecordBatch.from_pandas(frame, schema=schema, preserve_index=False)

    return pa.RecordBatchReader.from_batches(schema, batches())


def predictions_schema():
    """Arrow schema of fct_set_exercise_predictions."""
    import pyarrow as pa

    numeric = ("probability", "margin", "typed_lift_probability")
    return pa.schema(
        [(c, pa.float64() if c in numeric else pa.string()) for c in PREDICTION_COLUMNS]
    )


def _label_frame(sets, features, artifact, cross_fitted, config: ClassifierConfig):
    sets_df = _frame(sets, SET_COLUMNS)
    if artifact is None:
        empty = _frame(features, ("set_id",)).iloc[0:0]
        labels = label_sets(sets_df, empty, _NoModel(), [], config)
        model_name = version = None
    else:
        # only the columns the model and the neighbour smoothing read: at millions of reps
        # the rest is gigabytes
        columns = dict.fromkeys(("set_id", *artifact.feature_columns, *SMOOTHING_COLUMNS))
        features_df = _frame(features, tuple(columns))
        if cross_fitted is not None and len(cross_fitted):
            # this bucket's sets only (label_sets would take the same rows from a copy of all)
            cross_fitted = cross_fitted[isin(cross_fitted.index, sets_df["set_id"])]
        labels = label_sets(
            sets_df,
            features_df,
            artifact.model,
            artifact.feature_columns,
            config,
            cross_fitted,
        )
        model_name, version = artifact.model_name, artifact.version
    labels = labels.merge(sets_df[["set_id", "lifter_id"]], on="set_id", how="left")
    labels["model_name"] = model_name
    labels["model_version"] = version
    out = labels[list(PREDICTION_COLUMNS)].copy()
    for c in ("probability", "margin", "typed_lift_probability"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    for c in PREDICTION_COLUMNS:
        if c not in ("probability", "margin", "typed_lift_probability"):
            out[c] = out[c].astype("string")
    return out


class _NoModel:
    """Stands in for a model when none could be trained: predicts nothing."""

    classes_ = ()

    def predict_proba(self, x):  # pragma: no cover - never called on an empty frame
        raise RuntimeError("no classifier was trained")
