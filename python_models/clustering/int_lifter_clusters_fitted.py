"""The clustering fit of a build, the one model that fits: the configuration in force (and
those of `clustering_also_log`, for cluster_runs) resolved once, each fitted on fct_sets;
one row per configuration x lift x group x feature column (liftlab.clustering.fit_table).
The cluster tables downstream ref this one."""

from liftlab.clustering.dbt_support import fit_logged, logged_configs, resolve


def model(dbt, session):
    dbt.config(materialized="table")
    experiment = dbt.config.get("clustering_experiment")
    overrides = dbt.config.get("clustering")
    experiments_file = dbt.config.get("clustering_experiments_file")
    promoted_file = dbt.config.get("clustering_promoted_file")
    warehouse = dbt.config.get("clustering_warehouse")
    also_log = dbt.config.get("clustering_also_log")
    cfg = resolve(experiment, overrides, experiments_file, promoted_file, warehouse)
    configs = logged_configs(cfg, also_log, experiments_file)
    return fit_logged(dbt.ref("fct_sets"), configs)
