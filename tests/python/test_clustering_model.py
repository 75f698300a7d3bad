"""Clustering algorithms: weighted linkage, two-stage path, cut-offs, metrics."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.cluster import hierarchy
from sklearn.metrics import adjusted_rand_score

from liftlab.clustering import model
from liftlab.clustering.config import validate_config


def _blobs(n_per=40, k=3, dim=4, seed=0, sd=0.3):
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 3, (k, dim))
    x = np.vstack([c + rng.normal(0, sd, (n_per, dim)) for c in centers])
    return x, np.repeat(np.arange(k), n_per)


@pytest.mark.parametrize(
    "method", ["ward", "complete", "average", "single", "weighted", "centroid"]
)
def test_weighted_linkage_matches_scipy_with_unit_weights(method):
    x = np.random.default_rng(1).normal(size=(80, 3))
    z_ref = hierarchy.linkage(x, method=method)
    z = model.weighted_linkage(x, np.ones(len(x)), method)
    assert np.allclose(np.sort(z[:, 2]), np.sort(z_ref[:, 2]))
    assert np.array_equal(
        hierarchy.fcluster(z, 5, "maxclust"), hierarchy.fcluster(z_ref, 5, "maxclust")
    )
    assert hierarchy.is_valid_linkage(z)


def test_weighted_ward_equals_ward_on_duplicated_points():
    """A weight-w point behaves like w coincident points under Ward."""
    rng = np.random.default_rng(2)
    pts = rng.normal(size=(12, 2))
    sizes = rng.integers(1, 4, len(pts))
    expanded = np.repeat(pts, sizes, axis=0)
    z_ref = hierarchy.linkage(expanded, method="ward")
    z = model.weighted_linkage(pts, sizes, "ward")
    top_ref = np.sort(z_ref[:, 2])[-(len(pts) - 1) :]
    assert np.allclose(np.sort(z[:, 2]), top_ref)
    assert z[-1, 3] == len(pts)
    assert model.merge_row_counts(z, sizes)[-1] == sizes.sum()


def test_cut_methods():
    x, truth = _blobs()
    cfg = validate_config({"cut": {"method": "n_clusters", "value": 3}})
    tree, labels, height = model.cluster_matrix(x, cfg, 0)
    assert adjusted_rand_score(truth, labels) == 1.0
    assert sorted(np.unique(labels)) == [1, 2, 3]
    # the cut height lies between the merges that give 3 clusters
    assert (hierarchy.fcluster(tree.z, height, "distance") == labels).all() or (
        len(np.unique(hierarchy.fcluster(tree.z, height, "distance"))) == 3
    )
    frac = validate_config({"cut": {"method": "fraction", "value": 0.55}})
    _, labels_f, h_f = model.cluster_matrix(x, frac, 0)
    assert h_f == pytest.approx(0.55 * tree.z[:, 2].max())
    absolute = validate_config({"cut": {"method": "height", "value": h_f}})
    _, labels_h, _ = model.cluster_matrix(x, absolute, 0)
    assert (labels_h == labels_f).all()
    one = validate_config({"cut": {"method": "fraction", "value": 1.0}})
    assert len(np.unique(model.cluster_matrix(x, one, 0)[1])) == 1


def test_canonical_labels_order_by_size():
    assert model.canonical_labels(np.array([7, 7, 3, 9, 9, 9])).tolist() == [2, 2, 3, 1, 1, 1]


def test_two_stage_agrees_with_exact_and_is_deterministic():
    x, truth = _blobs(n_per=400, k=4, seed=3, sd=0.5)
    exact = validate_config({"cut": {"method": "n_clusters", "value": 4}})
    staged = dict(exact, two_stage_threshold=100, micro_clusters=60)
    tree_e, lab_e, _ = model.cluster_matrix(x, exact, 0)
    tree_s, lab_s, _ = model.cluster_matrix(x, staged, 0)
    assert tree_e.method == "exact" and tree_s.method == "two_stage"
    assert len(tree_s.z) + 1 == len(tree_s.leaf_points) <= 60
    assert adjusted_rand_score(lab_e, lab_s) > 0.95
    assert adjusted_rand_score(truth, lab_s) > 0.95
    again = model.cluster_matrix(x, staged, 0)[1]
    assert (again == lab_s).all()


def test_metrics():
    x, _truth = _blobs()
    cfg = validate_config({"cut": {"method": "n_clusters", "value": 3}, "stability_resamples": 5})
    tree, labels, _ = model.cluster_matrix(x, cfg, 0)
    assert model.silhouette(x, labels, "euclidean", 0) > 0.7
    assert 0.5 < model.cophenetic_correlation(tree, "euclidean") <= 1
    assert model.calinski_harabasz(x, labels) > 100
    assert 0 < model.davies_bouldin(x, labels) < 0.5
    assert model.stability(x, labels, cfg, 0) == pytest.approx(1.0)
    one = np.ones(len(x), dtype=int)
    assert np.isnan(model.silhouette(x, one, "euclidean", 0))
    assert np.isnan(model.stability(x, one, cfg, 0))


def test_dendrogram_truncated_to_last_25_merges():
    x, _ = _blobs(n_per=30)
    z = hierarchy.linkage(x, "ward")
    dn = model.dendrogram_coordinates(z)
    assert len(dn["icoord"]) == len(dn["dcoord"]) == 24
    assert len(dn["ivl"]) == 25


def test_preprocessor_imputation_and_scaling():
    v = np.array([[1.0, np.nan], [3.0, 4.0], [5.0, 8.0]])
    prep = model.fit_preprocessor(v, "median", "standard")
    x, usable = prep.transform(v)
    assert usable.all() and np.isfinite(x).all()
    assert np.allclose(x[:, 0].mean(), 0) and np.allclose(x[:, 0].std(), 1)
    drop = model.fit_preprocessor(v, "drop", "robust")
    _, usable = drop.transform(v)
    assert usable.tolist() == [False, True, True]
