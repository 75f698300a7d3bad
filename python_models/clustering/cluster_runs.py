"""Append-only log of the builds' clustering runs: one row per lift per run, with the full
configuration and the quality metrics; ARI against the generator's archetypes when var
`clustering_ground_truth` names its truth file. Each build logs the configurations of
int_lifter_clusters_fitted: the one in force and, beside it, the experiments of
`clustering_also_log` (default: the study's). `liftlab tune` logs to its own table."""

from liftlab.clustering.dbt_support import evaluate_runs


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="append")
    ground_truth = dbt.config.get("clustering_ground_truth")
    fitted = dbt.ref("int_lifter_clusters_fitted").df()
    return evaluate_runs(fitted, ground_truth)
