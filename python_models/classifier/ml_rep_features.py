"""One row per kept usable rep: the classifier's features (liftlab.ml.features)."""

from liftlab.ml.warehouse import rep_features


def model(dbt, session):
    dbt.config(materialized="table")
    return rep_features(dbt.ref("int_reps_decoded"), dbt.ref("int_sets_aggregated"))
