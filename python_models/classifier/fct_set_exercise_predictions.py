"""Fits the model ml_classifier_metrics chose (with the configuration it was evaluated
with), saves the versioned artifact for `liftlab classify`, and gives every kept set its
probabilities (fct_sets resolves the lift); labelled in buckets of whole lifters of about
var ml_batch_reps reps (bounded memory). Nothing is fitted when the version is saved and
this table was labelled by it (liftlab.ml.reuse)."""

from liftlab.ml.reuse import own_table
from liftlab.ml.warehouse import (
    artifact_root,
    classifier_config,
    parse_setting,
    prediction_batches,
)


def model(dbt, session):
    dbt.config(materialized="table")
    neighbour_k = dbt.config.get("classifier_neighbour_k")
    workout_links = dbt.config.get("classifier_workout_links")
    artifact_dir = dbt.config.get("classifier_artifact_dir")
    batch_reps = parse_setting(dbt.config.get("ml_batch_reps"))
    config = classifier_config(
        neighbour_k=neighbour_k,
        workout_links=workout_links,
    )
    return prediction_batches(
        dbt.ref("int_sets_aggregated"),
        dbt.ref("ml_rep_features"),
        dbt.ref("ml_classifier_metrics"),
        artifact_root(session, artifact_dir),
        config,
        batch_reps,
        # the last build's rows: with the same model version, its model is loaded, not fitted
        own_table(session, dbt.this),
    )
