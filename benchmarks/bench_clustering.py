"""Benchmark: cluster many lifters without O(n^2) memory (not a test).

Builds a synthetic ``fct_sets``-like frame (``--lifters`` x ``--sets`` sets, four
archetypes shifted in velocity / ROM / velocity loss / rep count / RPE), then times the
feature build, the fit (two-stage above ``two_stage_threshold`` rows: MiniBatchKMeans to
``micro_clusters`` centroids, then weighted Ward on them, labels propagated) and the
evaluation (metrics + ARI against the archetypes), and prints peak RSS.

    .venv/bin/python benchmarks/bench_clustering.py --lifters 100000

For comparison, exact linkage holds n(n-1)/2 float64 distances: 40 GB at 100,000 lifters.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np
import pandas as pd


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic_sets(n_lifters: int, sets_per_lifter: int, seed: int):
    rng = np.random.default_rng(seed)
    archetype = rng.integers(0, 4, n_lifters)
    centers = np.array(
        [  # velocity, rom, velocity loss, reps, rpe
            [0.45, 560, 18, 3, 8.5],
            [0.75, 600, 12, 3, 7.0],
            [0.55, 520, 30, 7, 8.0],
            [0.60, 650, 25, 10, 9.0],
        ]
    )
    lifter = np.repeat(np.arange(n_lifters), sets_per_lifter)
    n = len(lifter)
    c = centers[archetype[lifter]]
    person = rng.normal(0, 1, (n_lifters, 5))[lifter]  # lifter-level spread
    ids = np.char.add("L", np.arange(n_lifters).astype(str))
    sets = pd.DataFrame(
        {
            "set_id": np.arange(n).astype(str),
            "lifter_id": ids[lifter],
            "lift": "squat",
            "mean_velocity_m_s": c[:, 0] + 0.04 * person[:, 0] + rng.normal(0, 0.05, n),
            "peak_velocity_m_s_mean": 1.6 * c[:, 0] + 0.06 * person[:, 0] + rng.normal(0, 0.08, n),
            "rom_mm_mean": c[:, 1] + 25 * person[:, 1] + rng.normal(0, 30, n),
            "velocity_loss_pct": c[:, 2] + 3 * person[:, 2] + rng.normal(0, 6, n),
            "rep_count_usable": np.maximum(
                1, np.round(c[:, 3] + person[:, 3] + rng.normal(0, 1, n))
            ),
            "rpe": c[:, 4] + 0.3 * person[:, 4] + rng.normal(0, 0.5, n),
        }
    )
    truth = pd.DataFrame({"lifter_id": ids, "archetype": archetype})
    return sets, truth


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lifters", type=int, default=100_000)
    parser.add_argument("--sets", type=int, default=5, help="sets per lifter")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--two-stage-threshold", type=int, default=5000)
    parser.add_argument("--micro-clusters", type=int, default=1000)
    parser.add_argument("--stability-resamples", type=int, default=5)
    parser.add_argument("--linkage", default="ward")
    args = parser.parse_args(argv)

    from liftlab.clustering.config import validate_config
    from liftlab.clustering.features import build_features
    from liftlab.clustering.pipeline import fit_clustering
    from liftlab.clustering.scores import evaluate
    from liftlab.clustering.tables import clusters_table

    cfg = validate_config(
        {
            "lifts": "each",
            "features": [
                "mean_velocity",
                "peak_velocity",
                "rom",
                "velocity_loss",
                "rep_count",
                "rpe",
            ],
            "linkage": args.linkage,
            "cut": {"method": "fraction", "value": 0.4},
            "seed": args.seed,
            "two_stage_threshold": args.two_stage_threshold,
            "micro_clusters": args.micro_clusters,
            "stability_resamples": args.stability_resamples,
        }
    )
    t0 = time.perf_counter()
    sets, truth = synthetic_sets(args.lifters, args.sets, args.seed)
    t1 = time.perf_counter()
    feats = build_features(sets, cfg)
    t2 = time.perf_counter()
    fits = fit_clustering(feats, cfg)
    t3 = time.perf_counter()
    runs = evaluate(fits, cfg, truth=truth, source="benchmark")
    t4 = time.perf_counter()
    table = clusters_table(fits)
    row = runs.iloc[0]
    exact_gb = args.lifters * (args.lifters - 1) / 2 * 8 / 1e9
    print(f"lifters {args.lifters:,}  sets {len(sets):,}  method {row['method']}")
    print(f"  generate synthetic sets  {t1 - t0:7.2f} s")
    print(f"  build features           {t2 - t1:7.2f} s")
    print(f"  fit (cluster + assign)   {t3 - t2:7.2f} s")
    print(f"  evaluate (metrics)       {t4 - t3:7.2f} s")
    print(f"  total                    {t4 - t0:7.2f} s")
    print(f"  peak RSS                 {peak_rss_mb():7.0f} MB")
    print(f"  (exact linkage would hold {exact_gb:,.1f} GB of pairwise distances)")
    print(
        f"  clusters {row['n_clusters']} sizes {row['cluster_sizes']}  ARI {row['ari']:.3f}  "
        f"silhouette {row['silhouette']:.3f}  stability {row['stability']:.3f}  "
        f"cophenetic {row['cophenetic_correlation']:.3f}"
    )
    assert len(table) == args.lifters
    return 0


if __name__ == "__main__":
    sys.exit(main())
