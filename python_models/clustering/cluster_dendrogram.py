"""Drawing coordinates of the last 25 merges per lift (the study's truncated dendrogram),
with the cut-off height; read from cluster_linkage."""

import pandas as pd

from liftlab.clustering.tables import dendrogram_table


def model(dbt, session):
    dbt.config(materialized="table")
    linkage = dbt.ref("cluster_linkage").df()
    out = dendrogram_table(linkage)
    keys = linkage[["experiment", "config_hash"]].drop_duplicates()
    for key in ("experiment", "config_hash"):
        value = keys[key].iloc[0] if len(keys) else None
        out[key] = pd.Series(value, index=out.index, dtype="string")
    return out
