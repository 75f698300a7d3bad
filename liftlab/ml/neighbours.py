"""Within-lifter neighbour smoothing of set probabilities (issue 13: a classifier that transfers).

A model trained on generated lifters meets a real lifter whose numbers sit off its training
distribution: this real lifter's deadlifts travel 453 mm and peak at 73 %, between the
generated squat and deadlift. One lifter's sets of one lift, however, lie close together
(the same body, the same technique) and apart from the lifter's other lifts, in the
measurements that barely change with the load: range of motion, where the peak comes, peak
over mean velocity. So each set's class probabilities are spread over the lifter's
k-nearest-neighbour graph in that profile (label spreading: every round, a set keeps part
of its own probabilities and takes the rest from its neighbours, weighted by a Gaussian
kernel of the distance). Sets whose lift is known (typed and matched) are anchors: they
spread their typed lift (one-hot) and never change. A set alone among other lifts keeps
its own prediction.

Measured in docs/bench/transfer.md (benchmarks/eval_transfer.py): trained on generated data
only, labels hidden, accuracy_unsmoothed against accuracy there.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

# per set, medians over its reps (columns of ml_rep_features), and the distance that counts
# as one unit: about the spread of one lifter's sets of one lift (range of motion and where
# the peak comes barely change with the load, unlike velocity and load themselves)
PROFILE_SCALES: dict[str, float] = {
    "rom_mm": 40.0,
    "peak_velocity_location_pct": 8.0,
    "peak_to_mean_velocity": 0.25,
}
PROFILE_COLUMNS: tuple[str, ...] = tuple(PROFILE_SCALES)
BANDWIDTH = 1.0  # kernel width, in those units
SPREAD = 0.9  # weight of the neighbours against the set's own probabilities, each round


# the columns of ml_rep_features that set_profiles reads
REP_COLUMNS: tuple[str, ...] = (
    "set_id",
    "lifter_id",
    "rom_mm",
    "peak_velocity_location_pct",
    "peak_velocity_m_s",
    "mean_velocity_m_s",
)


def set_profiles(features: pd.DataFrame) -> pd.DataFrame:
    """One row per set (index set_id): lifter_id and the medians of PROFILE_COLUMNS over the
    set's reps (ml_rep_features rows, REP_COLUMNS)."""
    frame = features[list(REP_COLUMNS)].copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = frame.pop("peak_velocity_m_s") / frame.pop("mean_velocity_m_s")
    frame["peak_to_mean_velocity"] = ratio.to_numpy(dtype=float)
    frame["lifter_id"] = frame["lifter_id"].fillna("")
    grouped = frame.groupby("set_id", sort=True)
    profiles = grouped[list(PROFILE_COLUMNS)].median()
    profiles.insert(0, "lifter_id", grouped["lifter_id"].first())
    return profiles


def _scaled(values: np.ndarray) -> np.ndarray:
    """Profile columns in PROFILE_SCALES units; a missing value takes the lifter's median."""
    values = np.where(np.isfinite(values), values, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing column
        median = np.nan_to_num(np.nanmedian(values, axis=0))
    filled = np.where(np.isnan(values), median, values)
    return filled / np.array([PROFILE_SCALES[c] for c in PROFILE_COLUMNS])


def _neighbour_weights(points: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each point's k nearest points (itself first) and their weights, a Gaussian kernel of
    the distance (exp(-d² / 2 BANDWIDTH²)), normalised per point: a set of another lift,
    several units away, weighs next to nothing, so a lifter with few sets is not pulled
    toward their overall lift mix."""
    from sklearn.neighbors import NearestNeighbors

    k = min(k, len(points))
    distance, nearest = NearestNeighbors(n_neighbors=k).fit(points).kneighbors(points)
    weight = np.exp(-0.5 * (distance / BANDWIDTH) ** 2)
    return nearest, weight / weight.sum(axis=1, keepdims=True)


def smooth_within_lifter(
    proba: pd.DataFrame,
    profiles: pd.DataFrame,
    anchors: pd.Series | None,
    k: int,
    rounds: int,
) -> pd.DataFrame:
    """``proba`` (index set_id, one column per class) after ``rounds`` rounds of label
    spreading over each set's ``k`` nearest sets of the same lifter (``profiles`` from
    :func:`set_profiles`, weights from :func:`_neighbour_weights`). ``anchors`` (index
    set_id, a class name) are sets whose lift is known: they take part as one-hot rows and
    stay fixed. Only the rows of ``proba`` come back; ``k`` below 2 returns ``proba``
    unchanged. The settings are ClassifierConfig's neighbour_k / neighbour_rounds."""
    if k < 2 or rounds < 1 or proba.empty:
        return proba
    classes = list(proba.columns)
    anchors = anchors if anchors is not None else pd.Series(dtype=object)
    anchors = anchors[anchors.isin(classes) & anchors.index.isin(profiles.index)]
    anchors = anchors[~anchors.index.isin(proba.index)]
    one_hot = pd.DataFrame(0.0, index=anchors.index, columns=classes)
    for name in classes:
        one_hot.loc[anchors == name, name] = 1.0
    start = pd.concat([proba.astype(float), one_hot])
    fixed = np.r_[np.zeros(len(proba), bool), np.ones(len(one_hot), bool)]
    lifters = profiles["lifter_id"].reindex(start.index).fillna("").to_numpy()
    points = profiles[list(PROFILE_COLUMNS)].reindex(start.index).to_numpy(dtype=float)
    values = start.to_numpy()
    out = values.copy()
    for rows in pd.Series(np.arange(len(start))).groupby(lifters).indices.values():
        if len(rows) < 2:
            continue
        nearest, weight = _neighbour_weights(_scaled(points[rows]), k)
        nearest = rows[nearest]
        keep = fixed[rows]
        own = values[rows]
        for _ in range(rounds):
            # label spreading: the set's own evidence, restarted each round, plus what its
            # neighbours say now (a set alone among other lifts keeps its own)
            spread = (out[nearest] * weight[:, :, None]).sum(axis=1)
            current = np.where(keep[:, None], own, (1 - SPREAD) * own + SPREAD * spread)
            out[rows] = current
    result = pd.DataFrame(out[: len(proba)], index=proba.index, columns=classes)
    return result.div(result.sum(axis=1).where(lambda s: s > 0, 1.0), axis=0)
