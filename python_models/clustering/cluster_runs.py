"""Append-only log of clustering runs: one row per lift per run (dbt builds and
`liftlab tune` sweeps), with the full configuration and the quality metrics; ARI against
the generator's archetypes when ground truth is known. Each build logs the configuration
in force and, beside it, the experiments of `clustering_also_log` (default: the study's)."""

from liftlab.clustering.dbt_support import evaluate_runs, resolve


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="append")
    experiment = dbt.config.get("clustering_experiment")
    overrides = dbt.config.get("clustering")
    experiments_file = dbt.config.get("clustering_experiments_file")
    promoted_file = dbt.config.get("clustering_promoted_file")
    warehouse = dbt.config.get("clustering_warehouse")
    cfg = resolve(experiment, overrides, experiments_file, promoted_file, warehouse)
    ground_truth = dbt.config.get("clustering_ground_truth")
    also_log = dbt.config.get("clustering_also_log")
    sets = dbt.ref("fct_sets")
    return evaluate_runs(sets, cfg, also_log, ground_truth, experiments_file)
