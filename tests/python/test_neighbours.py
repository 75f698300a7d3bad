"""Within-lifter neighbour smoothing (liftlab.ml.neighbours) on hand-made sets whose answer
is known: the profile neighbours and the links between consecutive sets of a workout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from liftlab.ml.neighbours import (
    LOAD_DROP_WEIGHT,
    SEQUENCE_WEIGHT,
    give_way,
    link_weights,
    set_profiles,
    set_sequence,
    smooth_within_lifter,
)

CLASSES = ["squat", "deadlift"]


def _reps(lifter: str, prefix: str, n_sets: int, rom: float, loc: float) -> list[dict]:
    rows = []
    for i in range(n_sets):
        for rep in range(3):
            rows.append(
                {
                    "set_id": f"{prefix}{i:02d}",
                    "lifter_id": lifter,
                    "rom_mm": rom + 5 * np.sin(i + rep),
                    "peak_velocity_location_pct": loc + np.cos(i),
                    "mean_velocity_m_s": 0.5,
                    "peak_velocity_m_s": 0.9,
                }
            )
    return rows


@pytest.fixture()
def lifter_sets() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lifter a: ten squats (620 mm, 86 %) and ten deadlifts (450 mm, 73 %), three of the
    deadlifts predicted squat by the model; lifter b: one lone deadlift-looking set."""
    reps = pd.DataFrame(
        _reps("a", "sq", 10, 620, 86) + _reps("a", "dl", 10, 450, 73) + _reps("b", "b", 1, 450, 73)
    )
    index = [f"sq{i:02d}" for i in range(10)] + [f"dl{i:02d}" for i in range(10)] + ["b00"]
    proba = pd.DataFrame(
        {
            "squat": [0.9] * 10 + [0.7, 0.7, 0.7] + [0.2] * 7 + [0.8],
            "deadlift": [0.1] * 10 + [0.3, 0.3, 0.3] + [0.8] * 7 + [0.2],
        },
        index=pd.Index(index, name="set_id"),
    )
    return reps, proba


def test_a_lifters_minority_of_wrong_sets_follows_the_sets_like_them(lifter_sets):
    reps, proba = lifter_sets
    smoothed = smooth_within_lifter(proba, set_profiles(reps), None, k=20, rounds=5)
    assert list(smoothed.index) == list(proba.index)
    predicted = smoothed.idxmax(axis=1)
    assert (predicted.filter(like="dl") == "deadlift").all()
    assert (predicted.filter(like="sq") == "squat").all()
    np.testing.assert_allclose(smoothed.sum(axis=1), 1.0)
    # another lifter's sets never count: b's lone set keeps its own prediction
    assert smoothed.loc["b00", "squat"] == pytest.approx(0.8)


def test_anchors_spread_their_typed_lift_and_stay_out_of_the_result(lifter_sets):
    reps, proba = lifter_sets
    unknown = proba.drop(index=[f"dl{i:02d}" for i in range(3, 10)])
    anchors = pd.Series("deadlift", index=[f"dl{i:02d}" for i in range(3, 10)])
    smoothed = smooth_within_lifter(unknown, set_profiles(reps), anchors, k=20, rounds=5)
    assert list(smoothed.index) == list(unknown.index)
    assert (smoothed.loc[["dl00", "dl01", "dl02"]].idxmax(axis=1) == "deadlift").all()


def test_off_and_tiny_inputs_change_nothing(lifter_sets):
    reps, proba = lifter_sets
    profiles = set_profiles(reps)
    pd.testing.assert_frame_equal(smooth_within_lifter(proba, profiles, None, k=0, rounds=5), proba)
    one = proba.loc[["b00"]]
    pd.testing.assert_frame_equal(smooth_within_lifter(one, profiles, None, k=20, rounds=5), one)


def _workout(sets: list[tuple[str, float | None]], workout: str = "w1") -> pd.DataFrame:
    """Sets of lifter a in one workout, in the order given (a minute apart), with loads."""
    start = pd.Timestamp("2018-01-01 18:00")
    return pd.DataFrame(
        {
            "set_id": [s for s, _ in sets],
            "lifter_id": "a",
            "workout_id": workout,
            "started_at": [start + pd.Timedelta(minutes=i) for i in range(len(sets))],
            "set_number": range(1, len(sets) + 1),
            "load_kg": [load for _, load in sets],
        }
    )


def test_consecutive_sets_are_linked_in_time_order_within_their_workout():
    sets = pd.concat(
        [
            _workout([("x1", 100.0), ("x2", 120.0), ("x3", 40.0)]).iloc[::-1],
            _workout([("y1", 60.0)], workout="w2"),
            _workout([("z1", 60.0)], workout=None),
        ]
    )
    links = set_sequence(sets)
    assert list(zip(links["earlier_set_id"], links["later_set_id"], strict=True)) == [
        ("x1", "x2"),
        ("x2", "x3"),
    ]
    # back to a warm-up load (40 kg after 120): most often the next lift, a weaker link
    assert list(links["weight"]) == [SEQUENCE_WEIGHT, SEQUENCE_WEIGHT * LOAD_DROP_WEIGHT]
    np.testing.assert_array_equal(
        link_weights(np.array([100.0, np.nan, 100.0]), np.array([60.0, 20.0, np.nan])),
        [SEQUENCE_WEIGHT] * 3,
    )


def test_a_set_without_reps_takes_the_lift_of_its_workout_neighbours(lifter_sets):
    reps, proba = lifter_sets
    # dl03, an empty set (no usable rep, no row of its own), dl04; and a lone empty set
    sets = pd.concat(
        [
            _workout([("dl03", 100.0), ("empty", 100.0), ("dl04", 100.0)]),
            _workout([("alone", 100.0)], workout="w2"),
        ]
    )
    smoothed = smooth_within_lifter(proba, set_profiles(reps), None, 20, 5, set_sequence(sets))
    assert set(smoothed.index) == set(proba.index) | {"empty"}
    assert smoothed.loc["empty"].idxmax() == "deadlift"
    np.testing.assert_allclose(smoothed.sum(axis=1), 1.0)
    # without links the smoothing is the profile one alone, and the empty set has nothing
    without = smooth_within_lifter(proba, set_profiles(reps), None, 20, 5)
    assert list(without.index) == list(proba.index)


def test_labelled_sets_report_where_a_prediction_came_from(lifter_sets):
    from sklearn.neighbors import KNeighborsClassifier

    from liftlab.ml.config import ClassifierConfig
    from liftlab.ml.labelling import label_sets

    reps, _ = lifter_sets
    reps = reps.assign(typed_lift=None, typed_lift_status="unlabeled")
    lift = np.where(reps["set_id"].str.startswith("sq"), "squat", "deadlift")
    model = KNeighborsClassifier(n_neighbors=3).fit(reps[["rom_mm"]], lift)
    sets = pd.concat([_workout([("dl03", 100.0), ("empty", 100.0), ("dl04", 100.0)])])
    sets = sets.assign(typed_lift=None, typed_lift_status="unlabeled")
    config = ClassifierConfig(neighbour_k=20)
    labels = label_sets(sets, reps, model, ["rom_mm"], config).set_index("set_id")
    assert labels.loc["empty", "prediction_origin"] == "workout_neighbours"
    assert labels.loc["empty", "predicted_lift"] == "deadlift"
    assert (labels.loc[["dl03", "dl04"], "prediction_origin"] == "final_model").all()
    # the links are a setting: off, the empty set has no prediction
    off = ClassifierConfig(neighbour_k=20, workout_links=False)
    labels = label_sets(sets, reps, model, ["rom_mm"], off).set_index("set_id")
    assert labels["predicted_lift"].isna().loc["empty"]


def test_a_near_tie_far_from_the_lifters_sure_sets_of_that_lift_gives_way(lifter_sets):
    reps, proba = lifter_sets
    # every deadlift (450 mm) reads as a weak squat beside sure squats (620 mm)
    weak = proba.copy()
    deadlifts = weak.index.str.startswith("dl")
    weak.loc[deadlifts, ["squat", "deadlift"]] = [0.55, 0.45]
    smoothed = smooth_within_lifter(weak, set_profiles(reps), None, k=20, rounds=5)
    assert (smoothed[deadlifts].idxmax(axis=1) == "deadlift").all()
    assert (smoothed[~deadlifts & (weak.index != "b00")].idxmax(axis=1) == "squat").all()
    # a near tie close to the sure squats keeps its lift, and so does a sure one far away
    points = np.array([[620.0, 86.0, 1.8]] * 4 + [[625.0, 85.0, 1.8], [450.0, 73.0, 1.8]])
    proba = np.array([[0.95, 0.05]] * 4 + [[0.55, 0.45], [0.9, 0.1]])
    lifters = np.array(["a"] * 6)
    kept = give_way(proba, proba, np.zeros(6, bool), lifters, points)
    np.testing.assert_array_equal(kept, proba)
    # its own model's top lift must be the contested one: a set the neighbours made a
    # weak squat against its own reading is left to them
    proba[5] = [0.55, 0.45]
    own = proba.copy()
    own[5] = [0.3, 0.7]
    assert give_way(proba, own, np.zeros(6, bool), lifters, points)[5].argmax() == 0
    assert give_way(proba, proba, np.zeros(6, bool), lifters, points)[5].argmax() == 1


def test_a_known_set_is_never_labelled_by_its_links_even_of_a_lift_the_model_lacks(lifter_sets):
    reps, proba = lifter_sets
    sets = _workout([("dl03", 100.0), ("typed_row", 100.0), ("typed_dl", 100.0)])
    anchors = pd.Series({"typed_row": "barbell_row", "typed_dl": "deadlift"})
    smoothed = smooth_within_lifter(proba, set_profiles(reps), anchors, 20, 5, set_sequence(sets))
    assert list(smoothed.index) == list(proba.index)
