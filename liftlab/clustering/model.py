"""Clustering algorithms: imputation, scaling, linkage (exact or two-stage), cut, metrics.

Exact path (training rows <= ``two_stage_threshold``): ``scipy.cluster.hierarchy.linkage``
on the scaled matrix. It holds the condensed distance matrix, n(n-1)/2 doubles: 5,000 rows
are 100 MB, 100,000 rows would be 40 GB, so above the threshold the library switches to a
**two-stage** method:

1. ``MiniBatchKMeans`` (seeded) compresses the rows into ``micro_clusters`` centroids
   (memory O(n x features + micro x features), time linear in n);
2. :func:`weighted_linkage` runs the chosen linkage on the centroids, each weighted by its
   number of rows (Lance-Williams updates with the real cluster sizes, so Ward's criterion
   is that of the full data with each micro-cluster collapsed onto its centroid);
3. the cut is made on that tree and every row inherits its micro-cluster's label.

Memory is O(micro^2) for the centroid distance matrix (1,000 centroids: 8 MB), whatever n.
The price: two rows of one micro-cluster can never be separated, and for
average/complete/single linkage the distance between micro-clusters is approximated by the
distance between centroids. With ~1,000 micro-clusters and a handful of final clusters
the effect on the cut is small (``tests/python/test_clustering_model.py`` checks the
agreement with the exact path on data small enough for both).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.cluster import hierarchy
from scipy.spatial.distance import pdist, squareform
from sklearn.cluster import MiniBatchKMeans
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)

SILHOUETTE_SAMPLE = 3000
STABILITY_MAX_ROWS = 2000


def lift_seed(seed: int, lift: str) -> int:
    """A per-lift seed, stable across processes (no Python hash randomization)."""
    return (int(seed) * 1_000_003 + zlib.crc32(lift.encode())) % (2**32)


# -- imputation and scaling ----------------------------------------------------------------


@dataclass
class Preprocessor:
    """Fitted imputation + scaling, applied to training rows and to rows to be assigned."""

    fill: np.ndarray
    center: np.ndarray
    scale: np.ndarray
    imputation: str

    def transform(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(scaled matrix, mask of usable rows). ``drop`` leaves incomplete rows unusable."""
        x = np.asarray(values, dtype="float64").copy()
        missing = ~np.isfinite(x)
        usable = ~missing.any(axis=1) if self.imputation == "drop" else np.ones(len(x), bool)
        x[missing] = np.broadcast_to(self.fill, x.shape)[missing]
        return (x - self.center) / self.scale, usable


def fit_preprocessor(values: np.ndarray, imputation: str, scaler: str) -> Preprocessor:
    x = np.asarray(values, dtype="float64")
    with np.errstate(all="ignore"):
        finite = np.where(np.isfinite(x), x, np.nan)
        if imputation == "mean":
            fill = np.nanmean(finite, axis=0) if len(x) else np.zeros(x.shape[1])
        elif imputation == "zero":
            fill = np.zeros(x.shape[1])
        else:  # median, and drop (for rows assigned later)
            fill = np.nanmedian(finite, axis=0) if len(x) else np.zeros(x.shape[1])
    fill = np.where(np.isfinite(fill), fill, 0.0)
    filled = np.where(np.isfinite(x), x, fill)
    if imputation == "drop":
        filled = filled[np.isfinite(x).all(axis=1)]
    if scaler == "standard" and len(filled):
        center, scale = filled.mean(axis=0), filled.std(axis=0)
    elif scaler == "robust" and len(filled):
        center = np.median(filled, axis=0)
        q75, q25 = np.percentile(filled, [75, 25], axis=0)
        scale = q75 - q25
    else:
        center, scale = np.zeros(x.shape[1]), np.ones(x.shape[1])
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    return Preprocessor(fill=fill, center=center, scale=scale, imputation=imputation)


# -- linkage -------------------------------------------------------------------------------


def weighted_linkage(
    points: np.ndarray, sizes: np.ndarray, method: str, metric: str = "euclidean"
) -> np.ndarray:
    """Agglomerative linkage of weighted points (micro-cluster centroids) in scipy's format.

    Lance-Williams updates with the given initial sizes; with all sizes 1 this reproduces
    ``scipy.cluster.hierarchy.linkage`` (up to ties). Memory O(m^2), time about O(m^2) for
    m points, using a nearest-neighbour cache. ``Z[:, 3]`` counts leaves (points), as scipy
    requires; :func:`merge_row_counts` gives the weighted counts.
    """
    pts = np.asarray(points, dtype="float64")
    m = len(pts)
    size = np.asarray(sizes, dtype="float64").copy()
    if m < 2:
        return np.empty((0, 4))
    d = squareform(pdist(pts, metric=metric))
    if method == "ward":
        d = d * np.sqrt(2.0 * np.outer(size, size) / np.add.outer(size, size))
    np.fill_diagonal(d, np.inf)
    active = np.ones(m, dtype=bool)
    ids = np.arange(m, dtype="float64")
    leaves = np.ones(m)
    nn = d.argmin(axis=1)
    nnd = d[np.arange(m), nn]
    z = np.empty((m - 1, 4))
    for step in range(m - 1):
        i = int(np.argmin(nnd))
        j = int(nn[i])
        dij = float(nnd[i])
        if j < i:
            i, j = j, i
        di, dj = d[i].copy(), d[j].copy()
        ni, nj = size[i], size[j]
        with np.errstate(invalid="ignore", over="ignore"):
            if method == "ward":
                nk = size
                new = np.sqrt(
                    np.maximum(
                        ((ni + nk) * di**2 + (nj + nk) * dj**2 - nk * dij**2) / (ni + nj + nk),
                        0.0,
                    )
                )
            elif method == "complete":
                new = np.maximum(di, dj)
            elif method == "single":
                new = np.minimum(di, dj)
            elif method == "average":
                new = (ni * di + nj * dj) / (ni + nj)
            elif method == "weighted":
                new = (di + dj) / 2.0
            elif method == "centroid":
                new = np.sqrt(
                    np.maximum(
                        (ni * di**2 + nj * dj**2) / (ni + nj) - ni * nj * dij**2 / (ni + nj) ** 2,
                        0.0,
                    )
                )
            else:  # pragma: no cover - validated upstream
                raise ValueError(method)
        a, b = sorted((ids[i], ids[j]))
        size[i] = ni + nj
        leaves[i] += leaves[j]
        z[step] = (a, b, dij, leaves[i])
        ids[i] = m + step
        active[j] = False
        new[~active] = np.inf
        new[i] = np.inf
        d[i, :] = new
        d[:, i] = new
        d[j, :] = np.inf
        d[:, j] = np.inf
        nnd[j] = np.inf
        stale = np.flatnonzero(active & ((nn == i) | (nn == j)))
        for k in stale:
            nn[k] = int(np.argmin(d[k]))
            nnd[k] = d[k, nn[k]]
        closer = active & (new < nnd)
        nn[closer] = i
        nnd[closer] = new[closer]
        if active[i]:
            nn[i] = int(np.argmin(d[i]))
            nnd[i] = d[i, nn[i]]
    return z


def merge_row_counts(z: np.ndarray, leaf_sizes: np.ndarray) -> np.ndarray:
    """Rows under each merge of ``z`` when leaf i stands for ``leaf_sizes[i]`` rows."""
    n = len(z) + 1
    counts = np.concatenate([np.asarray(leaf_sizes, dtype="float64"), np.zeros(len(z))])
    for step, (a, b) in enumerate(z[:, :2].astype(int)):
        counts[n + step] = counts[a] + counts[b]
    return counts[n:].astype("int64")


@dataclass
class Tree:
    """A fitted hierarchy over the training rows."""

    z: np.ndarray  # scipy linkage matrix over the leaves
    method: str  # "exact" or "two_stage"
    leaf_of_row: np.ndarray | None  # two-stage: micro-cluster of each training row
    leaf_points: np.ndarray  # the leaves' coordinates (rows, or micro-cluster centroids)
    leaf_sizes: np.ndarray


def fit_tree(x: np.ndarray, cfg: dict[str, Any], seed: int) -> Tree:
    n = len(x)
    if n > cfg["two_stage_threshold"]:
        m = min(cfg["micro_clusters"], n)
        km = MiniBatchKMeans(
            n_clusters=m,
            random_state=seed,
            batch_size=4096,
            n_init=1,
            max_iter=10,  # early stopping usually ends it sooner
            init_size=min(n, 3 * m),
        )
        micro = km.fit_predict(x)
        sizes = np.bincount(micro, minlength=m)
        keep = np.flatnonzero(sizes > 0)
        remap = np.full(m, -1)
        remap[keep] = np.arange(len(keep))
        return tree_of_leaves(x, cfg, remap[micro], km.cluster_centers_[keep])
    return tree_of_leaves(x, cfg, None, None)


def tree_of_leaves(
    x: np.ndarray,
    cfg: dict[str, Any],
    leaf_of_row: np.ndarray | None,
    centroids: np.ndarray | None,
) -> Tree:
    """The hierarchy over the training rows ``x``: on the rows themselves (exact), or, with
    ``leaf_of_row`` (0..m-1, every leaf used) and the ``centroids`` of the m micro-clusters,
    on the centroids weighted by their rows (two-stage). Deterministic: the dbt models
    downstream of the fit rebuild a lift's tree from the fit's table with it."""
    if leaf_of_row is not None:
        sizes = np.bincount(leaf_of_row, minlength=len(centroids))
        z = weighted_linkage(centroids, sizes, cfg["linkage"], cfg["distance"])
        return Tree(z, "two_stage", leaf_of_row, centroids, sizes)
    n = len(x)
    if n < 2:
        return Tree(np.empty((0, 4)), "exact", None, x, np.ones(n))
    z = hierarchy.linkage(x, method=cfg["linkage"], metric=cfg["distance"])
    return Tree(z, "exact", None, x, np.ones(n))


def cut_height(z: np.ndarray, cut: dict[str, Any]) -> float:
    """The drawing height of the cut: fraction x largest merge, absolute, or between merges."""
    if len(z) == 0:
        return 0.0
    heights = np.sort(z[:, 2])
    if cut["method"] == "fraction":
        return float(cut["value"] * heights[-1])
    if cut["method"] == "height":
        return float(cut["value"])
    k = int(cut["value"])
    n_leaves = len(z) + 1
    if k <= 1:
        return float(heights[-1] * 1.05)
    if k >= n_leaves:
        return float(heights[0] / 2)
    # k clusters: above the (n-k)-th merge, below the next one
    return float((heights[n_leaves - k - 1] + heights[n_leaves - k]) / 2)


def canonical_labels(raw: np.ndarray) -> np.ndarray:
    """Relabel 1..k by decreasing size, ties by first appearance: stable across runs."""
    raw = np.asarray(raw)
    if raw.size == 0:
        return raw.astype("int64")
    uniq, first, counts = np.unique(raw, return_index=True, return_counts=True)
    order = sorted(range(len(uniq)), key=lambda i: (-counts[i], first[i]))
    mapping = {uniq[i]: rank + 1 for rank, i in enumerate(order)}
    return np.array([mapping[v] for v in raw], dtype="int64")


def cut_tree(tree: Tree, cut: dict[str, Any]) -> tuple[np.ndarray, float]:
    """Labels (1..k) of the training rows, and the cut height."""
    n_leaves = len(tree.z) + 1 if len(tree.z) else len(tree.leaf_points)
    if len(tree.z) == 0:
        leaf_labels = np.ones(n_leaves, dtype="int64")
        height = 0.0
    else:
        height = cut_height(tree.z, cut)
        if cut["method"] == "n_clusters":
            leaf_labels = hierarchy.fcluster(tree.z, t=int(cut["value"]), criterion="maxclust")
        else:
            leaf_labels = hierarchy.fcluster(tree.z, t=height, criterion="distance")
    labels = leaf_labels if tree.leaf_of_row is None else leaf_labels[tree.leaf_of_row]
    return canonical_labels(labels), height


def cluster_matrix(x: np.ndarray, cfg: dict[str, Any], seed: int):
    """Tree, labels and cut height of a scaled matrix (exact or two-stage by size)."""
    tree = fit_tree(x, cfg, seed)
    labels, height = cut_tree(tree, cfg["cut"])
    return tree, labels, height


# -- metrics -------------------------------------------------------------------------------


def _k_ok(labels: np.ndarray) -> bool:
    k = len(np.unique(labels))
    return 2 <= k <= len(labels) - 1


def silhouette(x, labels, metric: str, seed: int) -> float:
    if not _k_ok(labels):
        return float("nan")
    sample = min(len(x), SILHOUETTE_SAMPLE) if len(x) > SILHOUETTE_SAMPLE else None
    return float(silhouette_score(x, labels, metric=metric, sample_size=sample, random_state=seed))


def cophenetic_correlation(tree: Tree, metric: str) -> float:
    """Correlation of cophenetic and input distances (over micro-clusters when two-stage)."""
    if len(tree.z) < 2:
        return float("nan")
    c, _ = hierarchy.cophenet(tree.z, pdist(tree.leaf_points, metric=metric))
    return float(c)


def calinski_harabasz(x, labels) -> float:
    return float(calinski_harabasz_score(x, labels)) if _k_ok(labels) else float("nan")


def davies_bouldin(x, labels) -> float:
    return float(davies_bouldin_score(x, labels)) if _k_ok(labels) else float("nan")


def stability(x: np.ndarray, labels: np.ndarray, cfg: dict[str, Any], seed: int) -> float:
    """Mean ARI between the labels and re-clusterings of random subsamples.

    ``stability_resamples`` subsamples of ``stability_fraction`` of the rows (capped at
    2,000 rows to keep sweeps fast), each re-clustered with the same configuration; 1.0 is
    perfectly stable. NaN when there are no resamples or fewer than 2 clusters.
    """
    b = cfg["stability_resamples"]
    if b == 0 or len(np.unique(labels)) < 2:
        return float("nan")
    rng = np.random.default_rng(seed)
    size = max(2, min(round(cfg["stability_fraction"] * len(x)), STABILITY_MAX_ROWS))
    scores = []
    for r in range(b):
        idx = np.sort(rng.choice(len(x), size=size, replace=False))
        _, sub, _ = cluster_matrix(x[idx], cfg, seed + r + 1)
        scores.append(adjusted_rand_score(labels[idx], sub))
    return float(np.mean(scores))


def ari(truth, labels) -> float:
    return float(adjusted_rand_score(truth, labels)) if len(labels) else float("nan")


def dendrogram_coordinates(z: np.ndarray, p: int = 25) -> dict[str, Any]:
    """scipy's drawing coordinates for the last ``p`` merges (the study's truncated view)."""
    if len(z) == 0:
        return {"icoord": [], "dcoord": [], "ivl": []}
    return hierarchy.dendrogram(z, no_plot=True, truncate_mode="lastp", p=p)
