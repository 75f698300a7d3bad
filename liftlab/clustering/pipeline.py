"""The clustering pipeline and the tables the dbt models return.

``fit_clustering(features, cfg)`` clusters each lift (or the pooled ``all`` lift) of a
feature table from :func:`liftlab.clustering.features.build_features` (``fit_sets`` does
both from a sets frame); the ``*_table`` functions turn the fits into tables (the dbt
models go through ``liftlab.clustering.fit_table``: one model fits, the others ``ref`` it).
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.neighbors import KNeighborsClassifier

from liftlab.clustering import model
from liftlab.clustering.config import FEATURES, config_hash, config_json, validate_config
from liftlab.clustering.features import build_features, feature_names

TRAINING = "training"
ASSIGNED = "assigned"


@dataclass
class LiftFit:
    lift: str
    rows: pd.DataFrame  # key columns of every row of the lift (group_key, lifter_id, ...)
    columns: list[str]  # feature columns used
    x: np.ndarray  # scaled matrix of all rows
    usable: np.ndarray  # rows with features (``drop`` imputation excludes incomplete rows)
    training: np.ndarray  # bool mask of training rows
    labels: np.ndarray  # cluster id per row (0 = unassigned)
    tree: model.Tree
    height: float
    preprocessor: model.Preprocessor | None  # None when rebuilt from the fit table
    assigner: KNeighborsClassifier | None
    seed: int
    fit_seconds: float
    pca_components: np.ndarray = field(default_factory=lambda: np.empty((0, 3)))
    pca_variance: list[float] = field(default_factory=list)

    @property
    def membership(self) -> np.ndarray:
        out = np.where(self.training, TRAINING, ASSIGNED).astype(object)
        out[~self.usable] = None
        return out

    def assign(self, values: np.ndarray) -> np.ndarray:
        """Cluster ids for new rows of feature values (same columns, original units)."""
        x, usable = self.preprocessor.transform(values)
        out = np.zeros(len(x), dtype="int64")
        if self.assigner is not None and usable.any():
            out[usable] = self.assigner.predict(x[usable])
        elif usable.any():
            out[usable] = 1
        return out


def _holdout_mask(rows: pd.DataFrame, eligible: np.ndarray, fraction: float, seed: int):
    """Hold out ``fraction`` of the eligible lifters (whole lifters, seeded)."""
    held = np.zeros(len(rows), dtype=bool)
    if fraction <= 0:
        return held
    lifters = np.unique(rows.loc[eligible, "lifter_id"].to_numpy())
    n_out = int(np.floor(fraction * len(lifters)))
    if n_out == 0:
        return held
    rng = np.random.default_rng(seed)
    out = rng.choice(lifters, size=n_out, replace=False)
    return rows["lifter_id"].isin(out).to_numpy() & eligible


MAX_MEASUREMENT = 1e12


def fit_lift(feats: pd.DataFrame, cfg: dict[str, Any], lift: str) -> LiftFit:
    started = time.perf_counter()
    seed = model.lift_seed(cfg["seed"], lift)
    columns = [c for c in feature_names(cfg) if c in feats.columns]
    key_cols = [c for c in ("group_key", "lifter_id", "lift", "workout_id", "n_sets") if c in feats]
    rows = feats[key_cols].reset_index(drop=True)
    values = feats[columns].to_numpy(dtype="float64")
    # a magnitude beyond MAX_MEASUREMENT is device garbage (1e308 loads, say), not a
    # measurement: missing, so that scaling and distances cannot overflow
    with np.errstate(invalid="ignore"):
        values = np.where(np.abs(values) <= MAX_MEASUREMENT, values, np.nan)
    # columns with no finite value at all (e.g. duration on V1-only data) carry nothing
    has_data = np.isfinite(values).any(axis=0)
    columns = [c for c, ok in zip(columns, has_data, strict=True) if ok]
    values = values[:, has_data]

    enough = rows["n_sets"].to_numpy() >= cfg["min_sets"]
    complete = np.isfinite(values).all(axis=1) if values.shape[1] else np.ones(len(rows), bool)
    eligible = enough & (complete if cfg["imputation"] == "drop" else True)
    held = _holdout_mask(rows, eligible, cfg["holdout_fraction"], seed)
    training = eligible & ~held

    prep = model.fit_preprocessor(values[training], cfg["imputation"], cfg["scaler"])
    x, usable = prep.transform(values)
    if values.shape[1] == 0:
        usable = np.zeros(len(rows), dtype=bool)
        training = usable.copy()
    x_train = x[training]
    tree, train_labels, height = model.cluster_matrix(x_train, cfg, seed)
    labels = np.zeros(len(rows), dtype="int64")
    labels[training] = train_labels
    assigner = None
    to_assign = usable & ~training
    if len(x_train) >= 1 and len(np.unique(train_labels)) >= 2:
        assigner = KNeighborsClassifier(
            n_neighbors=min(cfg["neighbors"], len(x_train)),
            metric=cfg["distance"],
            algorithm="brute",
        )
        assigner.fit(x_train, train_labels)
        if to_assign.any():
            labels[to_assign] = assigner.predict(x[to_assign])
    elif len(x_train):
        labels[to_assign] = 1
    else:
        usable = np.zeros(len(rows), dtype=bool)

    fit = LiftFit(
        lift=lift,
        rows=rows,
        columns=columns,
        x=x,
        usable=usable,
        training=training,
        labels=labels,
        tree=tree,
        height=height,
        preprocessor=prep,
        assigner=assigner,
        seed=seed,
        fit_seconds=0.0,
    )
    n_comp = min(3, x_train.shape[1], len(x_train))
    comps = np.full((len(rows), 3), np.nan)
    if n_comp >= 1:
        pca = PCA(n_components=n_comp, random_state=seed).fit(x_train)
        comps[usable, :n_comp] = pca.transform(x[usable])
        fit.pca_variance = [float(v) for v in pca.explained_variance_ratio_]
    fit.pca_components = comps
    fit.pca_variance += [float("nan")] * (3 - len(fit.pca_variance))
    fit.fit_seconds = time.perf_counter() - started
    return fit


def fit_clustering(feats: pd.DataFrame, config: dict[str, Any]) -> dict[str, LiftFit]:
    """One fit per lift present in the feature table (sorted by lift name)."""
    cfg = validate_config(config)
    fits: dict[str, LiftFit] = {}
    for lift in sorted(feats["lift"].dropna().unique()):
        part = feats[feats["lift"] == lift].reset_index(drop=True)
        fits[lift] = fit_lift(part, cfg, lift)
    return fits


def data_fingerprint(frame: pd.DataFrame) -> str:
    h = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    digest = hashlib.sha256(h.tobytes() + ",".join(map(str, frame.columns)).encode())
    return digest.hexdigest()[:16]


def fit_sets(sets: pd.DataFrame, config: dict[str, Any]):
    """(features, fits) of a sets frame (``fct_sets`` columns) for the configuration."""
    cfg = validate_config(config)
    feats = build_features(sets, cfg)
    return feats, fit_clustering(feats, cfg)


# -- tables --------------------------------------------------------------------------------


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


RUN_COLUMNS = [
    "run_id",
    "run_at",
    "source",
    "experiment",
    "config_json",
    "config_hash",
    "data_fingerprint",
    "lift",
    "method",
    "n_rows",
    "n_training",
    "n_assigned",
    "n_clusters",
    "cluster_sizes",
    "cut_height",
    "silhouette",
    "cophenetic_correlation",
    "calinski_harabasz",
    "davies_bouldin",
    "stability",
    "ari",
    "ari_n",
    "fit_seconds",
]


def evaluate(
    fits: dict[str, LiftFit],
    config: dict[str, Any],
    *,
    truth: pd.DataFrame | None = None,
    source: str = "dbt",
    data_fingerprint: str = "",
    run_id: str | None = None,
    run_at: datetime | None = None,
) -> pd.DataFrame:
    """One ``cluster_runs`` row per lift: metrics of the fit (+ ARI when ``truth`` is given).

    ``truth`` has columns ``lifter_id`` and ``archetype``; ARI is computed over the lift's
    clustered rows (training and assigned) whose lifter has a known archetype.
    """
    cfg = validate_config(config)
    cfg_json = config_json({k: v for k, v in cfg.items() if k != "description"})
    run_at = run_at or datetime.now(UTC).replace(tzinfo=None)
    run_id = run_id or uuid.uuid4().hex[:16]
    truth_map = (
        dict(zip(truth["lifter_id"], truth["archetype"].astype(str), strict=True))
        if truth is not None
        else None
    )
    rows = []
    for lift, fit in fits.items():
        started = time.perf_counter()
        x_train = fit.x[fit.training]
        labels = fit.labels[fit.training]
        sizes = np.bincount(labels)[1:].tolist() if len(labels) else []
        row = {
            "run_id": run_id,
            "run_at": run_at,
            "source": source,
            "experiment": str(cfg.get("name", "")),
            "config_json": cfg_json,
            "config_hash": config_hash(cfg),
            "data_fingerprint": data_fingerprint,
            "lift": lift,
            "method": fit.tree.method,
            "n_rows": len(fit.rows),
            "n_training": int(fit.training.sum()),
            "n_assigned": int((fit.usable & ~fit.training).sum()),
            "n_clusters": len(sizes),
            "cluster_sizes": json.dumps(sizes),
            "cut_height": fit.height,
            "silhouette": model.silhouette(x_train, labels, cfg["distance"], fit.seed),
            "cophenetic_correlation": model.cophenetic_correlation(fit.tree, cfg["distance"]),
            "calinski_harabasz": model.calinski_harabasz(x_train, labels),
            "davies_bouldin": model.davies_bouldin(x_train, labels),
            "stability": model.stability(x_train, labels, cfg, fit.seed),
            "ari": np.nan,
            "ari_n": 0,
        }
        if truth_map is not None:
            lifters = fit.rows["lifter_id"].to_numpy()
            known = fit.usable & np.array([lid in truth_map for lid in lifters], dtype=bool)
            if known.any():
                row["ari"] = model.ari(
                    [truth_map[lid] for lid in lifters[known]], fit.labels[known]
                )
                row["ari_n"] = int(known.sum())
        row["fit_seconds"] = fit.fit_seconds + time.perf_counter() - started
        rows.append(row)
    out = pd.DataFrame(rows, columns=RUN_COLUMNS)
    out["ari"] = out["ari"].astype("float64")
    return out


def load_truth(path: str) -> pd.DataFrame:
    """Generator ground truth (``user_id``, ``archetype``) keyed by the warehouse lifter_id."""
    from liftlab.privacy import pseudonymize

    truth = pd.read_parquet(path, columns=["user_id", "archetype"])
    truth["lifter_id"] = [pseudonymize(str(u)) for u in truth["user_id"]]
    return truth[["lifter_id", "archetype"]]
