"""Drawing coordinates of the last 25 merges per lift (the study's truncated dendrogram),
with the cut-off height; read from cluster_linkage."""

from liftlab.clustering.pipeline import dendrogram_table


def model(dbt, session):
    dbt.config(materialized="table")
    linkage = dbt.ref("cluster_linkage").df()
    out = dendrogram_table(linkage)
    keys = linkage[["experiment", "config_hash"]].drop_duplicates()
    out["experiment"] = keys["experiment"].iloc[0] if len(keys) else None
    out["config_hash"] = keys["config_hash"].iloc[0] if len(keys) else None
    return out
