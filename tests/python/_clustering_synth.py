"""Small synthetic fct_sets frames with known archetypes, for the clustering tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def synthetic_sets(
    n_lifters: int = 60,
    sets_per_lift: int = 6,
    lifts: tuple[str, ...] = ("squat", "bench_press"),
    n_archetypes: int = 3,
    seed: int = 0,
    spread: float = 1.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(sets, truth): make_blobs-like archetypes in velocity / ROM / velocity-loss space."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 1, (n_archetypes, 4)) * 1.5
    rows = []
    for i in range(n_lifters):
        c = centers[i % n_archetypes]
        for lift in lifts:
            best = rng.uniform(80, 160)
            for s in range(sets_per_lift):
                rows.append(
                    {
                        "set_id": f"s{i}-{lift}-{s}",
                        "lifter_id": f"L{i:04d}",
                        "workout_id": f"w{i}-{s // 3}",
                        "lift": lift,
                        "mean_velocity_m_s": 0.6 + 0.1 * c[0] + rng.normal(0, 0.03 * spread),
                        "peak_velocity_m_s_mean": 1.0 + 0.15 * c[1] + rng.normal(0, 0.04 * spread),
                        "rom_mm_mean": 500 + 40 * c[2] + rng.normal(0, 10 * spread),
                        "velocity_loss_pct": 20 + 6 * c[3] + rng.normal(0, 2 * spread),
                        "load_kg": best * rng.uniform(0.6, 1.0),
                        "rpe": 8.0 if s % 2 else np.nan,
                        "rep_count_usable": 5,
                        "peak_velocity_location_pct_mean": np.nan,
                        "duration_s_mean": np.nan,
                        "peak_acceleration_m_s2_mean": np.nan,
                    }
                )
    truth = pd.DataFrame(
        {
            "lifter_id": [f"L{i:04d}" for i in range(n_lifters)],
            "archetype": [f"a{i % n_archetypes}" for i in range(n_lifters)],
        }
    )
    return pd.DataFrame(rows), truth


BLOB_CONFIG = {
    "lifts": "each",
    "features": ["mean_velocity", "peak_velocity", "rom", "velocity_loss"],
    "cut": {"method": "n_clusters", "value": 3},
    "stability_resamples": 3,
}
