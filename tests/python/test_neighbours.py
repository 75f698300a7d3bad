"""Within-lifter neighbour smoothing (liftlab.ml.neighbours) on hand-made sets whose answer
is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from liftlab.ml.neighbours import set_profiles, smooth_within_lifter

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
