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

A lifter's sets of one lift also come in blocks: consecutive sets of a workout are the same
lift far more often than not (in the real 2017-2018 export, 98 % of the sets that follow
another in their workout follow one of the same lift). So consecutive sets are linked in the
same graph (:func:`set_sequence`), less strongly where the load drops to a fresh warm-up,
and a set without a usable rep, which has no probabilities of its own, takes its linked
neighbours'.

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
# Consecutive sets of a workout are most often the same lift (98 % of the real 2017-2018
# export's sets follow one of the same lift): each such pair is linked with the weight of a
# set in the same place in profile, less where the load drops to a fresh warm-up.
SEQUENCE_WEIGHT = 1.0
LOAD_DROP_RATIO = 0.5
LOAD_DROP_WEIGHT = 0.25
# A set whose lift is nearly a tie (margin below TIE_MARGIN) gives way to its runner-up when
# the lifter already has CLAIM_MIN_SETS sets that claim its lift (typed, or predicted with
# at least CLAIM_PROBABILITY) and it lies CLAIM_SEPARATION units or more from their median
# profile: one lifter's sets of one lift lie together (:func:`give_way`). Chosen on the two
# real exports (benchmarks/eval_transfer.py; no third one was held out).
TIE_MARGIN = 0.4
CLAIM_PROBABILITY = 0.8
CLAIM_MIN_SETS = 3
CLAIM_SEPARATION = 3.0
LINK_COLUMNS: tuple[str, ...] = ("earlier_set_id", "later_set_id", "weight")
SEQUENCE_COLUMNS: tuple[str, ...] = (
    "set_id",
    "workout_id",
    "started_at",
    "set_number",
    "load_kg",
)


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
    the distance (exp(-d² / 2 BANDWIDTH²)): a set of another lift, several units away,
    weighs next to nothing, so a lifter with few sets is not pulled toward their overall
    lift mix. The weights are normalised with the workout links, in :func:`_graph`."""
    from sklearn.neighbors import NearestNeighbors

    k = min(k, len(points))
    distance, nearest = NearestNeighbors(n_neighbors=k).fit(points).kneighbors(points)
    return nearest, np.exp(-0.5 * (distance / BANDWIDTH) ** 2)


def _graph(
    lifters: np.ndarray, points: np.ndarray, has_profile: np.ndarray, k: int, links: np.ndarray
):
    """The row-normalised weights (sparse, n x n) of the nodes' neighbours: the k nearest
    nodes of the same lifter in profile (nodes with a profile), plus the workout links
    (pairs of node positions and their weights, both ways). A node with neither keeps its
    own probabilities; one without evidence nor links stays empty."""
    from scipy import sparse

    n = len(lifters)
    pairs = links[:, :2].astype(int)
    rows, cols = [pairs[:, 0], pairs[:, 1]], [pairs[:, 1], pairs[:, 0]]
    weights = [links[:, 2], links[:, 2]]
    profiled = np.flatnonzero(has_profile)
    for members in pd.Series(profiled).groupby(lifters[profiled]).indices.values():
        nodes = profiled[members]
        if len(nodes) < 2:
            rows.append(nodes), cols.append(nodes), weights.append(np.ones(len(nodes)))
            continue
        nearest, weight = _neighbour_weights(_scaled(points[nodes]), k)
        rows.append(np.repeat(nodes, nearest.shape[1]))
        cols.append(nodes[nearest].ravel())
        weights.append(weight.ravel())
    matrix = sparse.csr_matrix(
        (np.concatenate(weights), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    )
    total = np.asarray(matrix.sum(axis=1)).ravel()
    return sparse.diags(np.divide(1.0, total, out=np.zeros(n), where=total > 0)) @ matrix


def smooth_within_lifter(
    proba: pd.DataFrame,
    profiles: pd.DataFrame,
    anchors: pd.Series | None,
    k: int,
    rounds: int,
    sequence: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``proba`` (index set_id, one column per class) after ``rounds`` rounds of label
    spreading over each set's ``k`` nearest sets of the same lifter (``profiles`` from
    :func:`set_profiles`, weights from :func:`_neighbour_weights`) and over the links
    between consecutive sets of a workout (``sequence`` from :func:`set_sequence`).
    ``anchors`` (index set_id, a class name) are sets whose lift is known: they take part as
    one-hot rows and stay fixed. The rows of ``proba`` come back, and the sets of
    ``sequence`` with no row of their own (no usable rep) that a link reaches: they take
    their neighbours' probabilities. ``k`` below 2 returns ``proba`` unchanged. The
    settings are ClassifierConfig's neighbour_k / neighbour_rounds."""
    sequence = sequence if sequence is not None else pd.DataFrame(columns=list(LINK_COLUMNS))
    if k < 2 or rounds < 1 or (proba.empty and sequence.empty):
        return proba
    classes = list(proba.columns)
    linked = pd.Index(pd.unique(sequence[["earlier_set_id", "later_set_id"]].to_numpy().ravel()))
    anchors = anchors if anchors is not None else pd.Series(dtype=object)
    # the linked sets to label: neither in proba nor known (a known lift the model lacks
    # is no anchor, and no set to label either: its row is the caller's)
    empty = linked.difference(proba.index).difference(anchors.index)
    anchors = anchors[
        anchors.isin(classes) & (anchors.index.isin(profiles.index) | anchors.index.isin(linked))
    ]
    anchors = anchors[~anchors.index.isin(proba.index)]
    one_hot = pd.DataFrame(0.0, index=anchors.index, columns=classes)
    for name in classes:
        one_hot.loc[anchors == name, name] = 1.0
    start = pd.concat(
        [proba.astype(float), one_hot, pd.DataFrame(0.0, index=empty, columns=classes)]
    )
    fixed = np.r_[
        np.zeros(len(proba), bool), np.ones(len(one_hot), bool), np.zeros(len(empty), bool)
    ]
    # only nodes with a profile are grouped by lifter (the nearest sets, give_way); a set
    # without one is reached by its workout links alone
    lifters = profiles["lifter_id"].reindex(start.index).fillna("").to_numpy()
    has_profile = start.index.isin(profiles.index)
    points = profiles[list(PROFILE_COLUMNS)].reindex(start.index).to_numpy(dtype=float)
    position = pd.Series(np.arange(len(start)), index=start.index)
    links = np.c_[
        position.reindex(sequence["earlier_set_id"]).to_numpy(),
        position.reindex(sequence["later_set_id"]).to_numpy(),
        sequence["weight"].to_numpy(dtype=float),
    ].reshape(-1, 3)
    links = links[np.isfinite(links).all(axis=1)]  # a set outside the graph has no links
    weights = _graph(lifters, points, has_profile, k, links)
    own = start.to_numpy()
    out = own.copy()
    for _ in range(rounds):
        # label spreading: the set's own evidence, restarted each round, plus what its
        # neighbours say now (a set alone among other lifts keeps its own)
        out = np.where(fixed[:, None], own, (1 - SPREAD) * own + SPREAD * (weights @ out))
    total = out.sum(axis=1)
    out = out / np.where(total > 0, total, 1.0)[:, None]
    out = give_way(out, own, fixed, lifters, np.where(has_profile[:, None], points, np.nan))
    result = pd.DataFrame(out, index=start.index.rename(proba.index.name), columns=classes)
    result = result[~fixed]
    return result[result.index.isin(proba.index) | (result.sum(axis=1) > 0)]


def give_way(
    proba: np.ndarray, own: np.ndarray, fixed: np.ndarray, lifters: np.ndarray, points: np.ndarray
) -> np.ndarray:
    """``proba`` (smoothed, rows summing to 1) where a near tie gives way: a free set whose
    top lift, by the smoothing and by its ``own`` probabilities alike, leads the runner-up
    by less than TIE_MARGIN, and that lies CLAIM_SEPARATION units or more from the median
    profile of the lifter's sets that claim that lift (``fixed`` anchors of it, or free sets
    at CLAIM_PROBABILITY or more; at least CLAIM_MIN_SETS), swaps its top two
    probabilities. The real 2017-2018 lifter's deadlifts (450 mm) read as weak squats
    beside their squats (650 mm, 0.99). ``points`` are the raw profiles, NaN without one."""
    out = proba.copy()
    for rows in pd.Series(np.arange(len(out))).groupby(lifters).indices.values():
        rows = rows[np.isfinite(points[rows]).all(axis=1)]
        if len(rows) <= CLAIM_MIN_SETS:
            continue
        scaled = _scaled(points[rows])
        order = np.argsort(-out[rows], axis=1, kind="stable")
        top, second = order[:, 0], order[:, 1]
        margin = out[rows, top] - out[rows, second]
        agrees = own[rows].argmax(axis=1) == top
        for lift in np.unique(top):
            claims = (top == lift) & (out[rows, lift] >= CLAIM_PROBABILITY)  # anchors: 1
            if claims.sum() < CLAIM_MIN_SETS:
                continue
            centre = np.median(scaled[claims], axis=0)
            far = np.sqrt(((scaled - centre) ** 2).sum(axis=1)) >= CLAIM_SEPARATION
            moves = (top == lift) & ~fixed[rows] & agrees & (margin < TIE_MARGIN) & far
            swap = rows[moves]
            first, runner = out[swap, top[moves]], out[swap, second[moves]]
            out[swap, top[moves]], out[swap, second[moves]] = runner, first
    return out


def set_sequence(sets: pd.DataFrame) -> pd.DataFrame:
    """The links between consecutive sets of a workout (``sets``: SEQUENCE_COLUMNS, e.g.
    int_sets_aggregated rows): one row per pair, ``earlier_set_id``, ``later_set_id`` and
    ``weight`` (:func:`link_weights`). Sets follow each other by
    ``started_at``, then ``set_number``; sets without a workout have no links."""
    frame = sets[list(SEQUENCE_COLUMNS)].drop_duplicates("set_id")
    frame = frame[frame["workout_id"].notna()]
    if "is_load_outlier" in sets:  # an outlier load is no load
        outlier = sets.loc[frame.index, "is_load_outlier"].fillna(False).astype(bool)
        frame = frame.assign(load_kg=frame["load_kg"].where(~outlier.to_numpy()))
    frame = frame.sort_values(["workout_id", "started_at", "set_number", "set_id"], kind="stable")
    by_workout = frame.groupby("workout_id", sort=False)
    earlier = by_workout["set_id"].shift(1)
    earlier_load = by_workout["load_kg"].shift(1)
    links = pd.DataFrame(
        {
            "earlier_set_id": earlier.to_numpy(),
            "later_set_id": frame["set_id"].to_numpy(),
            "weight": link_weights(
                earlier_load.to_numpy(dtype=float), frame["load_kg"].to_numpy(dtype=float)
            ),
        }
    )
    return links[links["earlier_set_id"].notna()].reset_index(drop=True)


def link_weights(earlier_load_kg: np.ndarray, later_load_kg: np.ndarray) -> np.ndarray:
    """SEQUENCE_WEIGHT for consecutive sets, times LOAD_DROP_WEIGHT where the later set's
    load falls below LOAD_DROP_RATIO of the earlier's (back to an empty bar: most often the
    next lift's warm-up). A missing load changes nothing."""
    with np.errstate(invalid="ignore"):
        drop = later_load_kg < LOAD_DROP_RATIO * earlier_load_kg
    return np.where(drop, SEQUENCE_WEIGHT * LOAD_DROP_WEIGHT, SEQUENCE_WEIGHT)
