"""The merge matrix of each lift's hierarchy (scipy's linkage format, one row per merge),
rebuilt from the fit's rows: the training rows' scaled features, or the micro-cluster
centroids (two-stage)."""

from liftlab.clustering.dbt_support import in_force, with_run_keys
from liftlab.clustering.fit_table import fits_from_table
from liftlab.clustering.tables import linkage_table


def model(dbt, session):
    dbt.config(materialized="table")
    fitted, cfg = in_force(dbt.ref("int_lifter_clusters_fitted"))
    if cfg is None:
        return linkage_table({}).assign(experiment=None, config_hash=None)
    return with_run_keys(linkage_table(fits_from_table(fitted, cfg)), cfg)
