"""The clustering fit as one table, and the fit rebuilt from it.

The dbt model ``int_lifter_clusters_fitted`` is the one place a build fits: it returns
:func:`fit_table` (one row per configuration x lift x group x feature column). The models
downstream ``ref`` it: ``lifter_cluster_features``, ``lifter_clusters``, ``lifter_pca`` and
``cluster_profiles`` are SQL over it; ``cluster_linkage`` and ``cluster_runs`` rebuild each
lift's hierarchy and metrics inputs with :func:`fits_from_table` (the hierarchy from the
stored scaled rows, or micro-cluster centroids, through the same deterministic
``model.tree_of_leaves`` the fit used), so nothing passes between models outside dbt.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from liftlab.clustering import model
from liftlab.clustering.config import FEATURES, config_hash, config_json, validate_config
from liftlab.clustering.features import feature_names
from liftlab.clustering.pipeline import TRAINING, LiftFit, data_fingerprint

GROUP_KEYS = ["group_key", "lifter_id", "lift", "workout_id", "n_sets"]

COLUMNS: dict[str, str] = {
    # configuration (the same on every row of one configuration)
    "experiment": "object",
    "config_hash": "object",
    "config_json": "object",
    "is_in_force": "bool",
    "data_fingerprint": "object",
    # lift
    "lift": "object",
    "method": "object",
    "cut_height": "float64",
    "fit_seconds": "float64",
    "pc1_explained_variance": "float64",
    "pc2_explained_variance": "float64",
    "pc3_explained_variance": "float64",
    # group (lifter, or lifter x workout)
    "row_index": "int64",
    "group_key": "object",
    "lifter_id": "object",
    "workout_id": "object",
    "n_sets": "int64",
    "cluster_id": "Int64",
    "membership": "object",
    "micro_cluster_id": "Int64",
    "pc1": "float64",
    "pc2": "float64",
    "pc3": "float64",
    # feature column
    "feature_index": "int64",
    "feature": "object",
    "aggregator": "object",
    "feature_column": "object",
    "unit": "object",
    "value": "float64",
    "scaled_value": "float64",
    "centroid_value": "float64",
}


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in COLUMNS.items()})


def _lift_rows(part: pd.DataFrame, fit: LiftFit, cols: list[str]) -> pd.DataFrame:
    """Rows of one lift: each group repeated once per feature column."""
    n, k = len(fit.rows), len(cols)
    group = pd.DataFrame(
        {
            "row_index": np.arange(n, dtype="int64"),
            "group_key": fit.rows["group_key"].to_numpy(),
            "lifter_id": fit.rows["lifter_id"].to_numpy(),
            "workout_id": (fit.rows["workout_id"].to_numpy() if "workout_id" in fit.rows else None),
            "n_sets": fit.rows["n_sets"].to_numpy(dtype="int64"),
            "cluster_id": pd.array(np.where(fit.usable, fit.labels, 0), dtype="Int64"),
            "membership": fit.membership,
        }
    )
    group.loc[~fit.usable, "cluster_id"] = pd.NA
    micro = pd.array([pd.NA] * n, dtype="Int64")
    if fit.tree.leaf_of_row is not None:
        micro[fit.training] = fit.tree.leaf_of_row
    group["micro_cluster_id"] = micro
    for i in range(3):
        group[f"pc{i + 1}"] = fit.pca_components[:, i]
    out = group.loc[group.index.repeat(k)].reset_index(drop=True)
    position = {c: j for j, c in enumerate(fit.columns)}
    scaled = np.full((n, k), np.nan)
    centroid = np.full((n, k), np.nan)
    for j, col in enumerate(cols):
        if col in position:
            scaled[:, j] = fit.x[:, position[col]]
            if fit.tree.leaf_of_row is not None:
                centroid[fit.training, j] = fit.tree.leaf_points[
                    fit.tree.leaf_of_row, position[col]
                ]
    features = [c.split("__", 1) for c in cols]
    out["feature_index"] = np.tile(np.arange(k, dtype="int64"), n)
    out["feature"] = np.tile([f for f, _ in features], n)
    out["aggregator"] = np.tile([a for _, a in features], n)
    out["feature_column"] = np.tile(cols, n)
    out["unit"] = np.tile([FEATURES[f][1] for f, _ in features], n)
    out["value"] = part[cols].to_numpy(dtype="float64").reshape(-1) if k else []
    out["scaled_value"] = scaled.reshape(-1)
    out["centroid_value"] = centroid.reshape(-1)
    out["lift"] = fit.lift
    out["method"] = fit.tree.method
    out["cut_height"] = fit.height
    out["fit_seconds"] = fit.fit_seconds
    for i in range(3):
        out[f"pc{i + 1}_explained_variance"] = fit.pca_variance[i]
    return out


def fit_table(
    feats: pd.DataFrame, fits: dict[str, LiftFit], config: dict[str, Any], *, in_force: bool
) -> pd.DataFrame:
    """One configuration's fit: one row per lift x group x feature column, with the
    configuration (``config_json``) written on every row."""
    cfg = validate_config(config)
    cols = [c for c in feature_names(cfg) if c in feats.columns]
    frames = [
        _lift_rows(feats[feats["lift"] == lift].reset_index(drop=True), fit, cols)
        for lift, fit in fits.items()
    ]
    frames = [f for f in frames if len(f)]
    out = pd.concat(frames, ignore_index=True) if frames else _empty()
    out["experiment"] = str(cfg.get("name", ""))
    out["config_hash"] = config_hash(cfg)
    out["config_json"] = config_json(cfg)
    out["is_in_force"] = in_force
    out["data_fingerprint"] = data_fingerprint(feats)
    return out[list(COLUMNS)].astype(COLUMNS)


def configs_of(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The configurations of a fit table, the one in force first."""
    keys = table.drop_duplicates("config_hash").sort_values(
        ["is_in_force", "experiment"], ascending=[False, True], kind="stable"
    )
    return [validate_config(json.loads(text)) for text in keys["config_json"]]


def _lift_fit(part: pd.DataFrame, cfg: dict[str, Any], lift: str) -> LiftFit:
    part = part.sort_values(["row_index", "feature_index"], kind="stable")
    n_features = part["feature_index"].nunique()
    groups = part.iloc[::n_features]  # the rows are a full group x feature grid
    keys = [c for c in GROUP_KEYS if c != "workout_id" or cfg["group_by"] == "lifter_workout"]
    rows = groups[keys].reset_index(drop=True)
    rows["n_sets"] = rows["n_sets"].astype("int64")
    grid = part["scaled_value"].to_numpy(dtype="float64").reshape(len(rows), n_features)
    used = np.flatnonzero(np.isfinite(grid).any(axis=0))
    x = grid[:, used]
    membership = groups["membership"].to_numpy(dtype=object)
    usable = pd.notna(membership)
    training = membership == TRAINING
    labels = pd.to_numeric(groups["cluster_id"]).fillna(0).to_numpy(dtype="int64")
    first = groups.iloc[0]
    if first["method"] == "two_stage":
        leaf_of_row = pd.to_numeric(groups["micro_cluster_id"]).to_numpy()[training]
        leaf_of_row = leaf_of_row.astype("int64")
        centroid_grid = part["centroid_value"].to_numpy(dtype="float64")
        centroid_grid = centroid_grid.reshape(len(rows), n_features)[training][:, used]
        centroids = np.empty((int(leaf_of_row.max()) + 1, len(used)))
        centroids[leaf_of_row] = centroid_grid
        tree = model.tree_of_leaves(x[training], cfg, leaf_of_row, centroids)
    else:
        tree = model.tree_of_leaves(x[training], cfg, None, None)
    names = part["feature_column"].to_numpy()[:n_features]
    return LiftFit(
        lift=lift,
        rows=rows,
        columns=[str(names[j]) for j in used],
        x=x,
        usable=usable,
        training=training,
        labels=labels,
        tree=tree,
        height=float(first["cut_height"]),
        preprocessor=None,
        assigner=None,
        seed=model.lift_seed(cfg["seed"], lift),
        fit_seconds=float(first["fit_seconds"]),
        pca_components=groups[["pc1", "pc2", "pc3"]].to_numpy(dtype="float64"),
        pca_variance=[float(first[f"pc{i}_explained_variance"]) for i in (1, 2, 3)],
    )


def fits_from_table(table: pd.DataFrame, config: dict[str, Any]) -> dict[str, LiftFit]:
    """The fits of one configuration rebuilt from its rows of the fit table (without the
    preprocessor and the assignment model: the table holds the rows they produced)."""
    cfg = validate_config(config)
    part = table[table["config_hash"] == config_hash(cfg)]
    return {
        lift: _lift_fit(rows, cfg, lift)
        for lift, rows in sorted(part.groupby("lift", sort=False), key=lambda kv: kv[0])
    }
