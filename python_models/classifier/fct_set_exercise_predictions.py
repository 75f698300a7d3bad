"""Every kept set labelled by this build's classifier, with the resolved lift and its source."""

from liftlab.ml.warehouse import artifact_root, classifier_config, predictions


def model(dbt, session):
    dbt.config(materialized="table")
    relabel_min_probability = dbt.config.get("classifier_relabel_min_probability")
    relabel_max_typed_probability = dbt.config.get("classifier_relabel_max_typed_probability")
    label_min_probability = dbt.config.get("classifier_label_min_probability")
    artifact_dir = dbt.config.get("classifier_artifact_dir")
    config = classifier_config(
        relabel_min_probability=relabel_min_probability,
        relabel_max_typed_probability=relabel_max_typed_probability,
        label_min_probability=label_min_probability,
    )
    return predictions(
        dbt.ref("int_sets_aggregated"),
        dbt.ref("ml_rep_features"),
        dbt.ref("ml_classifier_metrics"),
        artifact_root(session, artifact_dir),
        config,
    )
