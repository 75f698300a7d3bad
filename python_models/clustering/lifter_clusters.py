"""Cluster of every lifter (x lift): trained on, or assigned by the nearest-neighbour model
(held out, or fewer sets than the minimum)."""

from liftlab.clustering.dbt_support import fit, resolve, with_run_keys
from liftlab.clustering.pipeline import clusters_table


def model(dbt, session):
    dbt.config(materialized="table")
    experiment = dbt.config.get("clustering_experiment")
    overrides = dbt.config.get("clustering")
    experiments_file = dbt.config.get("clustering_experiments_file")
    promoted_file = dbt.config.get("clustering_promoted_file")
    warehouse = dbt.config.get("clustering_warehouse")
    cfg = resolve(experiment, overrides, experiments_file, promoted_file, warehouse)
    _, fits = fit(dbt.ref("fct_sets"), cfg)
    return with_run_keys(clusters_table(fits), cfg)
