"""The clustering pipeline: fitting.

``fit_clustering(features, cfg)`` clusters each lift (or the pooled ``all`` lift) of a
feature table from :func:`liftlab.clustering.features.build_features` (``fit_sets`` does
both from a sets frame). :mod:`liftlab.clustering.tables` turns the fits into the tables
the dbt models return (they go through ``liftlab.clustering.fit_table``: one model fits,
the others ``ref`` it), :mod:`liftlab.clustering.scores` into a run's scores.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.neighbors import KNeighborsClassifier

from liftlab.clustering import model
from liftlab.clustering.config import validate_config
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
    if len(x_train) == 1:
        # one lifter (a personal export): the lone point is the centre, no variance to explain
        comps[usable, 0] = 0.0
    elif n_comp >= 1:
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
