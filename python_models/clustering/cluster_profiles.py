"""Per cluster: size and each feature's mean / median in original units (the study's
profile table)."""

from liftlab.clustering.dbt_support import fit, resolve, with_run_keys
from liftlab.clustering.pipeline import profiles_table


def model(dbt, session):
    dbt.config(materialized="table")
    experiment = dbt.config.get("clustering_experiment")
    overrides = dbt.config.get("clustering")
    experiments_file = dbt.config.get("clustering_experiments_file")
    promoted_file = dbt.config.get("clustering_promoted_file")
    warehouse = dbt.config.get("clustering_warehouse")
    cfg = resolve(experiment, overrides, experiments_file, promoted_file, warehouse)
    feats, fits = fit(dbt.ref("fct_sets"), cfg)
    return with_run_keys(profiles_table(feats, fits, cfg), cfg)
