"""Small synthetic rep / set frames in the warehouse contract's columns.

For the unit tests of :mod:`liftlab.ml` without a warehouse (test_classifier.py). It is *not* the
project's generator (``liftlab generate``): the physics is a rough sketch, just enough that
the lifts differ the way the real ones do (ROM, velocity, peak location, trace shape).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# lift: (rom mm, mean velocity at working loads m/s, peak location %, load kg, sticking depth)
_LIFTS = {
    "squat": (610.0, 0.60, 79.0, 120.0, 0.15),
    "bench_press": (343.0, 0.50, 63.0, 80.0, 0.25),
    "deadlift": (499.0, 0.50, 68.0, 150.0, 0.05),
    "overhead_press": (450.0, 0.55, 55.0, 50.0, 0.20),
    "barbell_row": (400.0, 0.80, 45.0, 70.0, 0.02),
    "power_clean": (900.0, 1.40, 70.0, 70.0, 0.01),
}


def _trace(rng, rom_mm, mean_v, peak_loc, depth, n_ticks) -> list[int]:
    d = np.linspace(0.0, 1.0, n_ticks)
    bump = np.exp(-(((d - peak_loc / 100.0) / 0.22) ** 2))
    dip = depth * np.exp(-(((d - 0.3) / 0.08) ** 2))
    speed = 0.25 + bump - dip + rng.normal(0, 0.02, n_ticks)
    speed = np.clip(speed, 0.05, None)
    speed *= mean_v / speed.mean()
    step_m = rom_mm / 1000.0 / n_ticks
    return [int(v) for v in np.round(step_m / speed * 1e6)]


def make_frames(
    n_lifters: int = 12,
    sets_per_lifter: int = 12,
    lifts: tuple[str, ...] = ("squat", "bench_press", "deadlift"),
    seed: int = 0,
    unlabeled_share: float = 0.2,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """(reps, sets, true lift per set_id). Deterministic for a seed."""
    rng = np.random.default_rng(seed)
    rep_rows, set_rows, truth = [], [], {}
    for li in range(n_lifters):
        lifter = f"lifter{li:03d}"
        size = rng.normal(1.0, 0.06)
        strength = rng.normal(1.0, 0.2)
        for si in range(sets_per_lifter):
            lift = lifts[(si + li) % len(lifts)]
            rom0, v0, loc0, load0, depth = _LIFTS[lift]
            set_id = f"{lifter}-s{si:03d}"
            truth[set_id] = lift
            pct = rng.uniform(0.6, 0.9)
            load = round(load0 * strength * pct / 0.75, 1)
            n_reps = int(rng.integers(1, 7))
            vels = []
            for r in range(n_reps):
                mean_v = max(0.08, v0 * (1.6 - pct) / 0.85 * (1 - 0.04 * r) * rng.normal(1, 0.05))
                rom = rom0 * size * rng.normal(1, 0.04)
                loc = float(np.clip(loc0 + rng.normal(0, 6), 5, 99))
                peak_v = mean_v * rng.uniform(1.4, 1.8)
                vels.append(mean_v)
                rep_rows.append(
                    {
                        "rep_id": f"{set_id}#{r + 1}",
                        "set_id": set_id,
                        "lifter_id": lifter,
                        "rep_index": r + 1,
                        "rep_disposition": "kept",
                        "is_usable": True,
                        "is_plausible": True,
                        "device_version": "V3",
                        "mean_velocity_m_s": mean_v,
                        "rom_mm": rom,
                        "peak_velocity_m_s": peak_v,
                        "peak_velocity_location_pct": loc,
                        "duration_s": rom / 1000.0 / mean_v,
                        "bulk_tick_intervals_us": _trace(
                            rng, rom, mean_v, loc, depth, int(rng.integers(20, 40))
                        ),
                    }
                )
            roll = rng.uniform()
            if roll < unlabeled_share:
                status, typed = "unlabeled", None
            elif roll < unlabeled_share + 0.05:
                status, typed = "unknown_alias", None
            else:
                status, typed = "matched", lift
            set_rows.append(
                {
                    "set_id": set_id,
                    "lifter_id": lifter,
                    "typed_lift": typed,
                    "typed_lift_status": status,
                    "load_kg": load,
                    "is_load_outlier": False,
                    "rep_count_plausible": n_reps,
                    "velocity_loss_pct": 100.0 * (max(vels) - min(vels)) / max(vels),
                }
            )
    return pd.DataFrame(rep_rows), pd.DataFrame(set_rows), pd.Series(truth, name="true_lift")
