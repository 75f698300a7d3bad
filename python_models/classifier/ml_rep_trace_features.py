"""The shape of each classifier rep's speed trace (what SQL cannot do), computed in buckets
of whole lifters of about var ml_batch_reps reps (bounded memory at any scale); the other
features are SQL (int_rep_features), joined in ml_rep_features."""

from liftlab.ml.warehouse import parse_setting, trace_feature_batches


def model(dbt, session):
    dbt.config(materialized="table")
    batch_reps = parse_setting(dbt.config.get("ml_batch_reps"))
    return trace_feature_batches(dbt.ref("int_reps_decoded"), batch_reps)
