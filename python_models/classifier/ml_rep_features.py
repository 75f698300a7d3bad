"""One row per kept usable rep: the classifier's features (liftlab.ml.features), computed in
buckets of whole lifters of about var ml_batch_reps reps (bounded memory at any scale)."""

from liftlab.ml.warehouse import parse_setting, rep_feature_batches


def model(dbt, session):
    dbt.config(materialized="table")
    batch_reps = parse_setting(dbt.config.get("ml_batch_reps"))
    return rep_feature_batches(
        dbt.ref("int_reps_decoded"), dbt.ref("int_sets_aggregated"), batch_reps
    )
