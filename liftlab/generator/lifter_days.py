"""The ``truth_lifter_days`` file: each lifter's true 1RM and readiness on each workout day.

Batches report the (lifter, day, lift) of their planned sets as integer codes with counts;
the run merges them (a few integers per workout, merged when they pile up, so memory stays
bounded at any scale) and, at the end, evaluates the trajectories (trajectory.py) once per
lifter x workout day x lift.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from liftlab.generator.lifters import Lifters
from liftlab.generator.physics import LIFTS
from liftlab.generator.trajectory import course
from liftlab.generator.truth import dates
from liftlab.generator.workouts import SetPlan

DAY_SLOTS = 1 << 12  # generator days per lifter in a code (start_day + span < 1100)
LIFT_SLOTS = 8
MERGE_AT = 1 << 20  # codes held before merging


def day_codes(plan: SetPlan) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (lifter, day, lift) codes of a batch's planned sets and their set counts."""
    codes = (plan.lifter.astype(np.int64) * DAY_SLOTS + plan.day) * LIFT_SLOTS + plan.lift
    return np.unique(codes, return_counts=True)


def _merge(codes: list[np.ndarray], counts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    merged, inverse = np.unique(np.concatenate(codes), return_inverse=True)
    return merged, np.bincount(inverse, weights=np.concatenate(counts)).astype(np.int64)


class LifterDays:
    """Accumulates the batches' codes; :meth:`columns` gives the truth file."""

    def __init__(self) -> None:
        self._codes: list[np.ndarray] = []
        self._counts: list[np.ndarray] = []
        self._held = 0

    def add(self, codes: np.ndarray, counts: np.ndarray) -> None:
        self._codes.append(codes)
        self._counts.append(counts)
        self._held += codes.size
        if self._held > MERGE_AT and len(self._codes) > 1:
            codes, counts = _merge(self._codes, self._counts)
            self._codes, self._counts, self._held = [codes], [counts], codes.size

    def columns(self, lifters: Lifters) -> dict[str, pa.Array]:
        """One row per lifter x workout day x lift (all six lifts, trained that day or not)."""
        empty = [np.zeros(0, dtype=np.int64)]
        codes, counts = _merge(self._codes or empty, self._counts or empty)
        pairs = np.unique(codes // LIFT_SLOTS)
        n_lifts = len(LIFTS)
        pair = np.repeat(pairs, n_lifts)
        lift = np.tile(np.arange(n_lifts), pairs.size)
        lifter, day = np.divmod(pair, DAY_SLOTS)
        full = pair * LIFT_SLOTS + lift
        at = np.searchsorted(codes, full)
        hit = at < codes.size
        hit[hit] = codes[at[hit]] == full[hit]
        n_sets = np.zeros(full.size, dtype=np.int64)
        n_sets[hit] = counts[at[hit]]
        offset = day - lifters.start_day[lifter]
        return {
            "user_id": pa.array(np.asarray(lifters.user_id, dtype=object)[lifter], pa.string()),
            "workout_date": dates(day),
            "lift": pa.array(np.asarray(LIFTS, dtype=object)[lift], pa.string()),
            "true_one_rm_kg": pa.array(np.round(lifters.true_one_rm(lifter, lift, day), 2)),
            "readiness_offset": pa.array(np.round(lifters.readiness(lifter, day), 4)),
            "is_deload": pa.array(course(lifters.trajectory, lifter, offset).deload),
            "n_sets": pa.array(n_sets),
        }
