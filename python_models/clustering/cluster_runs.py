"""Append-only log of clustering runs: one row per lift per run (dbt builds and
`liftlab tune` sweeps), with the full configuration and the quality metrics; ARI against
the generator's archetypes when a ground-truth file is configured."""

from liftlab.clustering.dbt_support import fit, resolve, truth
from liftlab.clustering.pipeline import data_fingerprint, evaluate


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="append")
    experiment = dbt.config.get("clustering_experiment")
    overrides = dbt.config.get("clustering")
    experiments_file = dbt.config.get("clustering_experiments_file")
    promoted_file = dbt.config.get("clustering_promoted_file")
    warehouse = dbt.config.get("clustering_warehouse")
    cfg = resolve(experiment, overrides, experiments_file, promoted_file, warehouse)
    ground_truth = dbt.config.get("clustering_ground_truth")
    feats, fits = fit(dbt.ref("fct_sets"), cfg)
    return evaluate(
        fits,
        cfg,
        truth=truth(ground_truth),
        source="dbt",
        data_fingerprint=data_fingerprint(feats),
    )
