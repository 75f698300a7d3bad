"""Glue between the dbt Python models in ``python_models/classifier/`` and :mod:`liftlab.ml`.

The model files only read their config (``dbt.config.get`` with literal keys, as dbt needs)
and call these functions, which take DuckDB relations or DataFrames and return DataFrames.

Data flow (one training per build)::

    int_reps_decoded + int_sets_aggregated -> int_rep_features   (SQL: macros/rep_features.sql)
    int_reps_decoded -> ml_rep_trace_features                    (the trace shape)
    int_rep_features + ml_rep_trace_features -> ml_rep_features  (SQL join)
    ml_rep_features -> ml_classifier_metrics   (CV: scores, confusion counts, chosen model)
    ml_classifier_metrics -> ml_confusion_matrix            (SQL over its confusion_json)
    ml_classifier_metrics + ml_rep_features + int_sets_aggregated
        -> fct_set_exercise_predictions   (final fit, saves the artifact for `liftlab
                                           classify`, labels every kept set)

What a model needs comes through its refs. Training runs only on change
(:mod:`liftlab.ml.reuse`): ml_classifier_metrics returns its own last table when the
training digest is the same (and keeps its scores when few labelled sets changed), and
fct_set_exercise_predictions then loads the saved model of the announced version (the
model, never rows) instead of fitting it.
"""

from __future__ import annotations

import ast
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from liftlab.lifts import LIFTS
from liftlab.ml.artifact import default_root, mark_latest, save_artifact, version_of
from liftlab.ml.config import LABELLED_STATUS, ClassifierConfig
from liftlab.ml.evaluation import (
    Evaluation,
    confusion_frame,
    evaluate_models,
    fit_chosen,
    isin,
    labelled_reps,
    metrics_frame,
    training_sets,
    unevaluated_rows,
)
from liftlab.ml.features import (
    CLASSIFIER_REP,
    TRACE_FEATURES,
    rep_features_query,
    trace_features_csr,
    with_trace_features,
)
from liftlab.ml.labelling import label_sets
from liftlab.ml.neighbours import REP_COLUMNS as SMOOTHING_COLUMNS
from liftlab.ml.reuse import (
    Fitted,
    Trained,
    evaluation_digest,
    kept_evaluation,
    kept_fit,
    labelled_sketch,
    same_training,
    settings_digest,
    sketch_text,
)

SET_COLUMNS = (
    "set_id",
    "lifter_id",
    "workout_id",
    "started_at",
    "set_number",
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
# what a labelled set keeps from the last build's row when the model was not trained again
# (its ids and the model's name and version come from this build)
KEPT_COLUMNS = tuple(
    c for c in PREDICTION_COLUMNS if c not in ("set_id", "lifter_id", "model_name", "model_version")
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


def _frame(relation_or_frame, columns) -> pd.DataFrame:
    if isinstance(relation_or_frame, pd.DataFrame):
        return relation_or_frame
    relation = relation_or_frame
    if not columns:
        return relation.df()
    available = set(relation.columns)
    return relation.project(", ".join(c for c in columns if c in available)).df()


# the reps the classifier reads, as a SQL predicate: the same one column as the DataFrame
# path (liftlab.ml.features.CLASSIFIER_REP)
KEPT_REPS = CLASSIFIER_REP
TRACE_BATCH_REPS = 200_000


def rep_features(con, reps: str = "int_reps_decoded", sets: str = "int_sets_aggregated"):
    """ml_rep_features' rows computed outside dbt (``liftlab classify``, the benchmarks) from
    the tables ``reps`` and ``sets`` of ``con``: the SQL of int_rep_features
    (liftlab.ml.features.rep_features_query) beside the trace features, streamed from the
    bulk series as Arrow batches (never Python objects per rep)."""
    features = con.sql(rep_features_query(reps, sets)).df()
    trace = stream_trace_features(con.table(reps).filter(KEPT_REPS))
    return with_trace_features(features, trace)


# Reps per batch of the batched Python models (ml_rep_trace_features,
# fct_set_exercise_predictions): the work is split into buckets of whole lifters of about
# this many reps, so memory stays bounded whatever the warehouse's size (dbt var
# ml_batch_reps).
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


def trace_features_schema():
    """Arrow schema of ml_rep_trace_features: rep_id, every trace feature as double."""
    import pyarrow as pa

    return pa.schema([("rep_id", pa.string())] + [(c, pa.float64()) for c in TRACE_FEATURES])


def trace_feature_batches(reps, batch_reps: int | None = None):
    """ml_rep_trace_features as an Arrow RecordBatchReader: the trace features of every rep
    of ``reps`` (int_reps_decoded) the classifier reads, bucket by bucket of whole lifters
    (:func:`lifter_bucket`), so memory holds one bucket at a time; the rows do not depend on
    the bucket size. Lazy: dbt-duckdb's materialization pulls it batch by batch."""
    import pyarrow as pa

    schema = trace_features_schema()
    kept = reps.filter(KEPT_REPS)
    n_buckets = bucket_count(kept, batch_reps)

    def batches():
        for bucket in range(n_buckets):
            frame = stream_trace_features(kept.filter(lifter_bucket(n_buckets, bucket)))
            if len(frame):
                # a table, not one batch: rep_id may arrive in several Arrow chunks
                table = pa.Table.from_pandas(
                    frame[schema.names], schema=schema, preserve_index=False
                )
                yield from table.to_batches()

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


def cross_validation(
    features, config: ClassifierConfig, previous: pd.DataFrame | None = None
) -> pd.DataFrame:
    """ml_classifier_metrics: cross-validate every configured model, choose one.

    Returns the metrics rows with ``is_chosen``, ``chosen_model``, the ``model_version`` the
    chosen model's fit will have (its content digest: fct_set_exercise_predictions fits and
    saves it), each row's confusion counts (``confusion_json``), the configuration
    (``config_json``), which the models downstream read from this table, and the
    ``training_digest`` of what was evaluated. ``previous`` (the table as the last build
    left it, :func:`liftlab.ml.reuse.own_table`) is returned as it is when its digest is
    this build's: the same labelled reps, settings and code give the same scores, so the
    CV is not run again. Its rows are kept too, with this build's ``model_version`` and
    ``labelled_change_share``, when the settings and code are the same and at most
    ``reevaluate_share`` of the labelled sets changed (:func:`liftlab.ml.reuse.kept_evaluation`).
    With fewer than two labelled lifts nothing can be trained: the result is empty (with
    its columns).
    """
    features_df = labelled_features(features, config)
    try:
        labelled, _, classes = training_sets(features_df, config)
    except ValueError as exc:
        if "at least two lifts" not in str(exc):
            raise
        return metrics_table(metrics_frame([]), version=None, chosen=None)
    digest = evaluation_digest(config, classes, labelled)
    if same_training(previous, digest):
        return previous
    settings = settings_digest(config, classes)
    sketch = labelled_sketch(labelled)
    share = kept_evaluation(previous, settings, sketch, config.reevaluate_share)
    if share is not None:
        # few labelled sets changed: the scores stay, the chosen model is fitted again
        chosen = str(previous["chosen_model"].dropna().iloc[0])
        version = version_of(chosen, config, config.features_for(chosen), classes, labelled)
        kept = previous.copy()
        kept["model_version"] = pd.Series(version, index=kept.index, dtype="string")
        kept["labelled_change_share"] = share
        return kept
    evaluation = evaluate_models(features_df, config)
    chosen = evaluation.chosen
    version = version_of(chosen, config, config.features_for(chosen), classes, labelled)
    metrics = evaluation.metrics
    if metrics.empty:
        # Trained but not evaluated: say so, and keep the version.
        metrics = metrics_frame(unevaluated_rows(chosen, "all6", labelled, "not cross-validated"))
    return metrics_table(
        metrics,
        version=version,
        chosen=chosen,
        confusion=evaluation.confusion,
        config=config,
        training_digest=digest,
        settings=settings,
        sketch=sketch,
    )


def confusion_cells(confusion: pd.DataFrame, row: pd.Series) -> str | None:
    """The confusion counts of one metrics row (model x level x lifts) as JSON, or None."""
    cells = confusion[
        (confusion["model"] == row["model"])
        & (confusion["level"] == row["level"])
        & (confusion["lifts"] == row["lifts"])
    ]
    if cells.empty:
        return None
    records = cells[["true_lift", "predicted_lift", "n"]].astype({"n": "int64"})
    return json.dumps(records.to_dict(orient="records"))


def metrics_table(
    metrics: pd.DataFrame,
    version: str | None,
    chosen: str | None,
    confusion: pd.DataFrame | None = None,
    config: ClassifierConfig | None = None,
    training_digest: str | None = None,
    settings: str | None = None,
    sketch: np.ndarray | None = None,
) -> pd.DataFrame:
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
    cells = [
        confusion_cells(confusion, row) if confusion is not None else None
        for _, row in out.iterrows()
    ]
    out["confusion_json"] = pd.Series(cells, index=out.index, dtype="string")
    config_text = json.dumps(config.to_dict(), sort_keys=True) if config else None
    out["config_json"] = pd.Series([config_text] * len(out), index=out.index, dtype="string")
    for name, value in (
        ("training_digest", training_digest),
        ("settings_digest", settings),
        ("labelled_sets_sketch", None if sketch is None else sketch_text(sketch)),
    ):
        out[name] = pd.Series([value] * len(out), index=out.index, dtype="string")
    out["labelled_change_share"] = 0.0 if training_digest else np.nan
    evaluated_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    out["evaluated_at"] = pd.Series(
        [evaluated_at] * len(out), index=out.index, dtype="datetime64[us]"
    )
    return out


def labelled_features(features, config: ClassifierConfig) -> pd.DataFrame:
    """The reps training reads: labelled sets of the six lifts only (all that
    train_and_evaluate uses), the id columns and the configured models' features, in the
    order build_rep_features gives (set, then position in the set) whatever the table's."""
    if isinstance(features, pd.DataFrame):
        return features
    ids = ["set_id", "lifter_id", "workout_id"]
    ids = [c for c in ids if c in set(features.columns)]  # workout_id: the CV's fallback groups
    columns = [
        *ids,
        "typed_lift",
        "typed_lift_status",
        *config.model_features(),
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


def predictions(
    sets,
    features,
    metrics,
    root: Path,
    config: ClassifierConfig,
    previous: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """fct_set_exercise_predictions in one pass (see :func:`prediction_batches`)."""
    fitted = fit_and_save(features, metrics, root, previous)
    return _label_frame(sets, features, fitted, config)


def evaluation_from_table(metrics) -> tuple[Evaluation, ClassifierConfig, str] | None:
    """The cross-validation as ml_classifier_metrics holds it (scores, confusion counts,
    chosen model), its configuration and the version it announces; None when nothing could
    be trained."""
    frame = _frame(metrics, ())
    version = trained_version(frame)
    if version is None:
        return None
    confusion = [
        {"model": r["model"], "level": r["level"], "lifts": r["lifts"], **cell}
        for _, r in frame.iterrows()
        if isinstance(r["confusion_json"], str)
        for cell in json.loads(r["confusion_json"])
    ]
    evaluation = Evaluation(
        # metrics_frame keeps its own columns of the rows (not this table's additions)
        metrics=metrics_frame(frame.to_dict(orient="records")),
        confusion=confusion_frame(confusion),
        chosen=str(frame["chosen_model"].dropna().iloc[0]),
    )
    config = ClassifierConfig.from_mapping(json.loads(frame["config_json"].dropna().iloc[0]))
    return evaluation, config, version


def fit_and_save(features, metrics, root: Path, previous: pd.DataFrame | None = None) -> Fitted:
    """Fit the model ml_classifier_metrics chose, with the configuration it was evaluated
    with, predict the labelled sets out of fold, and save the versioned artifact (for
    ``liftlab classify``); nothing is trained when nothing can be. The version saved is the
    one the metrics table announced. When that version is saved already and ``previous``
    (this table as the last build left it) was labelled by it, the saved model is loaded
    and the labelled sets keep their rows (:func:`kept_fit`): no training at all."""
    evaluated = evaluation_from_table(metrics)
    if evaluated is None:
        return Fitted(None)
    evaluation, config, announced = evaluated
    kept = kept_fit(root, announced, previous, config)
    if kept is not None:
        mark_latest(root, announced)  # the model this warehouse labels with, as a fit would
        return kept
    features_df = labelled_features(features, config)
    result = fit_chosen(features_df, config, evaluation)
    version, _ = save_artifact(result, labelled_reps(features_df, LIFTS), root)
    if version != announced:
        raise RuntimeError(
            f"the fit saved classifier {version}, ml_classifier_metrics says {announced}"
        )
    trained = Trained(result.model, result.model_name, result.feature_columns, version)
    return Fitted(trained, cross_fitted=result.cross_fitted)


def prediction_batches(
    sets,
    features,
    metrics,
    root: Path,
    config: ClassifierConfig,
    batch_reps: int | None = None,
    previous: pd.DataFrame | None = None,
):
    """:func:`predictions` as an Arrow RecordBatchReader, bucket by bucket of whole lifters
    (:func:`lifter_bucket`): a set's prediction depends on its own reps only, so the rows are
    the same, while memory holds one bucket of reps at a time."""
    import pyarrow as pa

    fitted = fit_and_save(features, metrics, root, previous)
    schema = predictions_schema()
    n_buckets = bucket_count(features, batch_reps)

    def batches():
        for bucket in range(n_buckets):
            in_bucket = lifter_bucket(n_buckets, bucket)
            frame = _label_frame(sets.filter(in_bucket), features.filter(in_bucket), fitted, config)
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


def _label_frame(sets, features, fitted: Fitted, config: ClassifierConfig):
    sets_df = _frame(sets, SET_COLUMNS)
    artifact, cross_fitted, kept = fitted.trained, fitted.cross_fitted, fitted.kept_rows
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
        if kept is not None:
            kept = kept[isin(kept.index, sets_df["set_id"])]
        labels = label_sets(
            sets_df,
            features_df,
            artifact.model,
            artifact.feature_columns,
            config,
            cross_fitted,
            held_out=None if kept is None else kept.index,
        )
        model_name, version = artifact.model_name, artifact.version
        if kept is not None and len(kept):
            # the labelled sets' own rows, as the same training gave them last build
            kept_labels = kept[list(KEPT_COLUMNS)].reset_index()
            labels = pd.concat([labels[~isin(labels["set_id"], kept.index)], kept_labels])
            labels = labels.sort_values("set_id", kind="stable").reset_index(drop=True)
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
