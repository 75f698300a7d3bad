"""What the form shows for one configuration, from the clustering library itself.

Nothing here clusters: the fit is ``build_features`` + ``pipeline.fit_clustering`` (what
the dbt model ``int_lifter_clusters_fitted`` runs), the scores are ``scores.evaluate`` (the rows
``liftlab tune`` logs to ``cluster_runs``), and the tables are the library's
``profiles_table`` / ``pca_table`` / ``linkage_table`` / ``dendrogram_table`` (the dbt
tables' rows: ``cluster_profiles`` is the same mean / median in SQL).
This module only arranges them and draws the figures.
"""

from __future__ import annotations

import json
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from liftlab.clustering import model, pipeline, scores
from liftlab.clustering.config import FEATURES
from liftlab.clustering.features import build_features

SCORES = (
    ("silhouette", "silhouette", "higher is better, -1..1"),
    ("cophenetic_correlation", "cophenetic", "tree vs distances, higher is better"),
    ("calinski_harabasz", "Calinski-Harabasz", "higher is better"),
    ("davies_bouldin", "Davies-Bouldin", "lower is better"),
    ("stability", "bootstrap stability", "mean ARI on resamples, 1 = stable"),
    ("ari", "ARI vs truth", "against the generator's archetypes"),
)
MAX_CUT_CLUSTERS = 30


FEATURE_SETTINGS = ("lifts", "group_by", "features", "aggregators")  # what build_features reads
_FEATURES: OrderedDict[tuple[str, str], pd.DataFrame] = OrderedDict()


def features(sets: pd.DataFrame, fingerprint: str, cfg: dict[str, Any]) -> pd.DataFrame:
    """``build_features`` of the configuration, kept for the last few feature settings:
    moving the cut or changing the linkage does not aggregate the sets again."""
    key = (json.dumps({k: cfg[k] for k in FEATURE_SETTINGS}, sort_keys=True), fingerprint)
    if key not in _FEATURES:
        _FEATURES[key] = build_features(sets, cfg)
        while len(_FEATURES) > 4:
            _FEATURES.popitem(last=False)
    _FEATURES.move_to_end(key)
    return _FEATURES[key]


def fit(sets: pd.DataFrame, fingerprint: str, cfg: dict[str, Any]):
    """(features, fits per lift) of a configuration: the dbt models' ``fit_clustering``.

    One BLAS / OpenMP thread: the server runs a session per browser tab, and on a shared
    2-core machine MiniBatchKMeans' threads oversubscribe (25,000 lifters: 2.4 s on one
    thread against 9 s on two under load; ``benchmarks/bench_tune_ui.py``)."""
    with threadpool_limits(limits=1):
        feats = features(sets, fingerprint, cfg)
        return feats, pipeline.fit_clustering(feats, cfg)


def evaluate(
    feats: pd.DataFrame,
    fits: dict[str, pipeline.LiftFit],
    cfg: dict[str, Any],
    truth: pd.DataFrame | None,
    progress: Callable[[int, int, str], None] | None = None,
) -> pd.DataFrame:
    """The ``cluster_runs`` rows of the configuration (one per lift, one run id), lift by
    lift so that ``progress(done, total, lift)`` can be shown."""
    run_id, run_at = uuid.uuid4().hex[:16], datetime.now(UTC).replace(tzinfo=None)
    fingerprint = pipeline.data_fingerprint(feats)
    frames = []
    with threadpool_limits(limits=1):  # as in fit
        for done, (lift, lift_fit) in enumerate(fits.items()):
            if progress:
                progress(done, len(fits), lift)
            frames.append(
                scores.evaluate(
                    {lift: lift_fit},
                    cfg,
                    truth=truth,
                    source="tune",
                    data_fingerprint=fingerprint,
                    run_id=run_id,
                    run_at=run_at,
                )
            )
    return pd.concat(frames, ignore_index=True)


def cut_options(z: np.ndarray) -> dict[float, int]:
    """Cut heights between consecutive merges of the tree's top, each with its number of
    clusters: the slider's stops (``model.cut_height`` of ``n_clusters`` k, k = 2..30)."""
    n_leaves = len(z) + 1
    options: dict[float, int] = {}
    for k in range(min(MAX_CUT_CLUSTERS, n_leaves - 1), 1, -1):
        h = round(model.cut_height(z, {"method": "n_clusters", "value": k}), 6)
        options.setdefault(h, k)
    return dict(sorted(options.items()))


def nearest(options: list[float], value: float) -> float:
    return min(options, key=lambda h: abs(h - value))


def profile_frame(profiles: pd.DataFrame, lift: str) -> pd.DataFrame:
    """One row per cluster: size, then the mean of every feature column (original units)."""
    part = profiles[profiles["lift"] == lift]
    if part.empty:
        return pd.DataFrame()
    part = part.assign(column=part["feature_column"] + " (" + part["unit"] + ")")
    wide = part.pivot_table(index="cluster_id", columns="column", values="mean", sort=False)
    sizes = part.groupby("cluster_id")[["n_members", "n_training"]].first()
    out = sizes.join(wide[list(dict.fromkeys(part["column"]))])
    out.index.name = "cluster"
    return out.reset_index()


def run_summary(runs: pd.DataFrame) -> pd.DataFrame:
    """Logged runs side by side: one row per run (metrics averaged over its lifts, as
    ``liftlab tune`` ranks them) with the settings that tell runs apart."""
    if runs.empty:
        return pd.DataFrame()
    from liftlab.commands.tune import RANK_METRICS

    rows = []
    for run_id, part in runs.groupby("run_id", sort=False):
        cfg = json.loads(part["config_json"].iloc[0])
        cut = cfg.get("cut", {})
        rows.append(
            {
                "run_id": run_id,
                "run_at": part["run_at"].max(),
                "experiment": part["experiment"].iloc[0],
                "lifts": cfg.get("lifts"),
                "group_by": cfg.get("group_by"),
                "features": ", ".join(cfg.get("features", [])),
                "aggregators": ", ".join(cfg.get("aggregators", [])),
                "imputation": cfg.get("imputation"),
                "scaler": cfg.get("scaler"),
                "linkage": cfg.get("linkage"),
                "distance": cfg.get("distance"),
                "cut": f"{cut.get('method')} {cut.get('value')}",
                "n_clusters": "/".join(map(str, part["n_clusters"])),
                **{m: part[m].mean() for m in RANK_METRICS if m in part},
            }
        )
    return pd.DataFrame(rows).sort_values("run_at", ascending=False, ignore_index=True)


# -- figures -------------------------------------------------------------------------------


def dendrogram_figure(dendrogram: pd.DataFrame, lift: str):
    """The last 25 merges (``cluster_dendrogram``'s drawing) with the cut line."""
    import plotly.graph_objects as go

    part = dendrogram[dendrogram["lift"] == lift]
    links = part[part["element"] == "link"]
    leaves = part[part["element"] == "leaf"]
    cut = float(part["cut_height"].iloc[0]) if len(part) else 0.0
    xs: list[float | None] = []
    ys: list[float | None] = []
    for row in links.itertuples():
        xs += [row.x1, row.x2, row.x3, row.x4, None]
        ys += [row.y1, row.y2, row.y3, row.y4, None]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": "#4c72b0"}, name="merges"))
    fig.add_trace(
        go.Scatter(
            x=[0, 10 * max(len(leaves), 1)],
            y=[cut, cut],
            mode="lines",
            line={"color": "#c44e52", "dash": "dash"},
            name=f"cut {cut:.3g}",
        )
    )
    fig.update_layout(
        height=360,
        margin={"l": 40, "r": 10, "t": 30, "b": 60},
        xaxis={
            "tickmode": "array",
            "tickvals": leaves["x1"].tolist(),
            "ticktext": leaves["leaf_label"].tolist(),
            "title": "leaves ((n) = rows under a collapsed branch)",
        },
        yaxis={"title": "merge height"},
        showlegend=True,
        title="dendrogram (last 25 merges)",
    )
    return fig


def pca_figure(pca: pd.DataFrame, lift: str):
    """The 3-D PCA scatter, one trace per cluster (rotatable)."""
    import plotly.graph_objects as go

    part = pca[(pca["lift"] == lift) & pca["cluster_id"].notna()]
    fig = go.Figure()
    for cluster in sorted(part["cluster_id"].unique()):
        members = part[part["cluster_id"] == cluster]
        fig.add_trace(
            go.Scatter3d(
                x=members["pc1"],
                y=members["pc2"],
                z=members["pc3"],
                mode="markers",
                marker={"size": 3},
                name=f"cluster {cluster} ({len(members)})",
                text=members["group_key"],
            )
        )
    var = [part[f"pc{i}_explained_variance"].iloc[0] if len(part) else np.nan for i in (1, 2, 3)]
    axis = {
        f"{a}axis": {"title": f"PC{i + 1} ({v:.0%})"}
        for i, (a, v) in enumerate(zip("xyz", var, strict=True))
    }
    fig.update_layout(
        height=480, margin={"l": 0, "r": 0, "t": 30, "b": 0}, scene=axis, title="PCA (3-D)"
    )
    return fig


def feature_label(feature: str) -> str:
    return f"{feature} ({FEATURES[feature][1]})"
