"""The scores of a clustering run, one ``cluster_runs`` / ``cluster_tuning_runs`` row per
lift (silhouette, cophenetic correlation, Calinski-Harabasz, Davies-Bouldin, bootstrap
stability, ARI against ground truth when given), and the ground truth's reader."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from liftlab.clustering import model
from liftlab.clustering.config import config_hash, config_json, validate_config
from liftlab.clustering.pipeline import LiftFit

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
