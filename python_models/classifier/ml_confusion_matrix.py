"""Confusion counts of the cross-validation, saved with this build's classifier artifact."""

from liftlab.ml.warehouse import artifact_root, confusion


def model(dbt, session):
    dbt.config(materialized="table")
    artifact_dir = dbt.config.get("classifier_artifact_dir")
    return confusion(dbt.ref("ml_classifier_metrics"), artifact_root(session, artifact_dir))
