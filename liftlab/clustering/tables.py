"""The tables the dbt clustering models return, from the fits of
:func:`liftlab.clustering.pipeline.fit_clustering`: clusters, profiles in original units,
the linkage (and the hierarchy rebuilt from it), the dendrogram's last merges, the PCA."""

from __future__ import annotations

import numpy as np
import pandas as pd

from liftlab.clustering import model
from liftlab.clustering.config import FEATURES, validate_config
from liftlab.clustering.features import feature_names
from liftlab.clustering.pipeline import LiftFit


def clusters_table(fits: dict[str, LiftFit]) -> pd.DataFrame:
    frames = []
    for fit in fits.values():
        df = fit.rows.copy()
        if "workout_id" not in df:
            df["workout_id"] = None
        df["cluster_id"] = np.where(fit.usable, fit.labels, np.nan)
        df["membership"] = fit.membership
        micro = np.full(len(df), np.nan)
        if fit.tree.leaf_of_row is not None:
            micro[fit.training] = fit.tree.leaf_of_row
        df["micro_cluster_id"] = micro
        df["method"] = fit.tree.method
        frames.append(df)
    cols = [
        "lift",
        "group_key",
        "lifter_id",
        "workout_id",
        "n_sets",
        "cluster_id",
        "membership",
        "micro_cluster_id",
        "method",
    ]
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)[cols]
    out["cluster_id"] = out["cluster_id"].astype("Int64")
    out["micro_cluster_id"] = out["micro_cluster_id"].astype("Int64")
    return out


def profiles_table(feats: pd.DataFrame, fits: dict[str, LiftFit], config) -> pd.DataFrame:
    """Per lift x cluster x feature column: size and mean / median in original units."""
    cfg = validate_config(config)
    rows = []
    units = {k: v[1] for k, v in FEATURES.items()}
    for lift, fit in fits.items():
        part = feats[feats["lift"] == lift].reset_index(drop=True)
        labels = pd.Series(np.where(fit.usable, fit.labels, 0))
        for cluster in sorted(set(labels) - {0}):
            members = labels == cluster
            n_members = int(members.sum())
            n_training = int((members & fit.training).sum())
            for col in feature_names(cfg):
                if col not in part:
                    continue
                v = part.loc[members.to_numpy(), col]
                feature, agg = col.split("__", 1)
                rows.append(
                    {
                        "lift": lift,
                        "cluster_id": int(cluster),
                        "n_members": n_members,
                        "n_training": n_training,
                        "feature": feature,
                        "aggregator": agg,
                        "feature_column": col,
                        "unit": units[feature],
                        "mean": float(v.mean()) if v.notna().any() else np.nan,
                        "median": float(v.median()) if v.notna().any() else np.nan,
                    }
                )
    return pd.DataFrame(
        rows,
        columns=[
            "lift",
            "cluster_id",
            "n_members",
            "n_training",
            "feature",
            "aggregator",
            "feature_column",
            "unit",
            "mean",
            "median",
        ],
    )


def linkage_table(fits: dict[str, LiftFit]) -> pd.DataFrame:
    frames = []
    for lift, fit in fits.items():
        z = fit.tree.z
        n_leaves = len(z) + 1 if len(z) else 0
        frames.append(
            pd.DataFrame(
                {
                    "lift": lift,
                    "merge_index": np.arange(len(z), dtype="int64"),
                    "cluster_index": np.arange(len(z), dtype="int64") + n_leaves,
                    "left_index": z[:, 0].astype("int64"),
                    "right_index": z[:, 1].astype("int64"),
                    "height": z[:, 2],
                    "n_leaves_under": z[:, 3].astype("int64"),
                    "n_rows": model.merge_row_counts(z, fit.tree.leaf_sizes),
                    "n_leaves": n_leaves,
                    "method": fit.tree.method,
                    "cut_height": fit.height,
                }
            )
        )
    cols = [
        "lift",
        "merge_index",
        "cluster_index",
        "left_index",
        "right_index",
        "height",
        "n_leaves_under",
        "n_rows",
        "n_leaves",
        "method",
        "cut_height",
    ]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def linkage_from_table(table: pd.DataFrame, lift: str) -> np.ndarray:
    """Rebuild scipy's linkage matrix of one lift from ``cluster_linkage`` rows."""
    part = table[table["lift"] == lift].sort_values("merge_index")
    cols = ["left_index", "right_index", "height", "n_leaves_under"]
    return part[cols].to_numpy(dtype="float64")


DENDROGRAM_DTYPES = {
    "lift": "string",
    "element": "string",
    "element_index": "int64",
    **{f"{axis}{i}": "float64" for axis in "xy" for i in range(1, 5)},
    "leaf_label": "string",
    "cut_height": "float64",
}


def dendrogram_table(linkage: pd.DataFrame, p: int = 25) -> pd.DataFrame:
    """Drawing coordinates of the last ``p`` merges per lift, with the cut-off height.

    ``element = 'link'`` rows are scipy's U-shaped links (x1..x4 / y1..y4); ``'leaf'`` rows
    give the truncated leaves' x position (5, 15, 25, ...) and label (``(n)`` = rows in a
    collapsed subtree).
    """
    rows = []
    for lift in sorted(linkage["lift"].unique()):
        z = linkage_from_table(linkage, lift)
        cut = float(linkage.loc[linkage["lift"] == lift, "cut_height"].iloc[0])
        dn = model.dendrogram_coordinates(z, p=p)
        for k, (xs, ys) in enumerate(zip(dn["icoord"], dn["dcoord"], strict=True)):
            rows.append(
                {
                    "lift": lift,
                    "element": "link",
                    "element_index": k,
                    **{f"x{i + 1}": float(v) for i, v in enumerate(xs)},
                    **{f"y{i + 1}": float(v) for i, v in enumerate(ys)},
                    "leaf_label": None,
                    "cut_height": cut,
                }
            )
        for k, label in enumerate(dn["ivl"]):
            rows.append(
                {
                    "lift": lift,
                    "element": "leaf",
                    "element_index": k,
                    "x1": 5.0 + 10.0 * k,
                    "leaf_label": str(label),
                    "cut_height": cut,
                }
            )
    # typed even when empty (one lifter: no linkage), so the table's columns keep their
    # types (an empty frame of object columns lands in DuckDB as type NULL)
    return pd.DataFrame(rows, columns=list(DENDROGRAM_DTYPES)).astype(DENDROGRAM_DTYPES)


def pca_table(fits: dict[str, LiftFit]) -> pd.DataFrame:
    frames = []
    for lift, fit in fits.items():
        df = fit.rows[["group_key", "lifter_id"]].copy()
        df.insert(0, "lift", lift)
        df["cluster_id"] = pd.array(np.where(fit.usable, fit.labels, 0), dtype="Int64")
        df.loc[~fit.usable, "cluster_id"] = pd.NA
        df["membership"] = fit.membership
        for i in range(3):
            df[f"pc{i + 1}"] = fit.pca_components[:, i]
        for i in range(3):
            df[f"pc{i + 1}_explained_variance"] = fit.pca_variance[i]
        frames.append(df)
    cols = ["lift", "group_key", "lifter_id", "cluster_id", "membership", "pc1", "pc2", "pc3"]
    cols += [f"pc{i}_explained_variance" for i in (1, 2, 3)]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)
