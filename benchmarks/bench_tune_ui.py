"""Benchmark: what `liftlab tune --ui` recomputes when one setting changes (not a test).

For each lifter count, a synthetic ``fct_sets``-like frame (``bench_clustering``'s four
archetypes, plus the default configuration's other columns) is clustered with the
default configuration exactly as the form does on a change: the fit
(``liftlab.tune_ui.view.fit``, uncached), the quality scores (``view.evaluate``: silhouette,
cophenetic, Calinski-Harabasz, Davies-Bouldin, bootstrap stability, ARI), the tables and the
two figures. Above ``two_stage_threshold`` (5,000) rows the library's two-stage method runs
(MiniBatchKMeans micro-clusters, then the linkage on their centroids).

    .venv/bin/python benchmarks/bench_tune_ui.py                 # 500 and 25,000 lifters
    .venv/bin/python benchmarks/bench_tune_ui.py --record        # and write docs/bench/tune_ui.md

Targets (issue 18): under 1 s for 500 lifters, under 10 s for 25,000.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_clustering import peak_rss_mb, synthetic_sets

TARGETS = {500: 1.0, 25_000: 10.0}
OUT = Path(__file__).resolve().parents[1] / "docs" / "bench" / "tune_ui.md"


def full_sets(n_lifters: int, sets_per_lifter: int, seed: int):
    """bench_clustering's sets with the columns the default configuration also reads."""
    sets, truth = synthetic_sets(n_lifters, sets_per_lifter, seed)
    rng = np.random.default_rng(seed + 1)
    n = len(sets)
    sets["peak_velocity_location_pct_mean"] = 55 + 10 * rng.standard_normal(n)
    sets["duration_s_mean"] = 1.2 - sets["mean_velocity_m_s"] + 0.1 * rng.standard_normal(n)
    sets["workout_id"] = sets["lifter_id"] + "-" + (np.arange(n) // 5).astype(str)
    return sets, truth


def recompute(sets, fingerprint: str, cfg: dict, truth, *, new_features: bool) -> dict:
    """One change in the form: fit, scores, tables, figures (seconds of each). With
    ``new_features`` the change is a feature setting (the sets are aggregated again);
    otherwise the cut, linkage, distance, scaler, ... (the feature table is reused)."""
    from liftlab.clustering import tables
    from liftlab.tune_ui import view

    timings: dict[str, float] = {}
    if new_features:
        view._FEATURES.clear()
    else:
        view.features(sets, fingerprint, cfg)
    started = time.perf_counter()
    feats, fits = view.fit(sets, fingerprint, cfg)
    timings["fit"] = time.perf_counter() - started
    t = time.perf_counter()
    runs = view.evaluate(feats, fits, cfg, truth)
    timings["scores"] = time.perf_counter() - t
    t = time.perf_counter()
    lift = next(iter(fits))
    dendrogram = tables.dendrogram_table(tables.linkage_table(fits))
    view.dendrogram_figure(dendrogram, lift)
    view.pca_figure(tables.pca_table(fits), lift)
    view.profile_frame(tables.profiles_table(feats, fits, cfg), lift)
    view.cut_options(fits[lift].tree.z)
    timings["tables_figures"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - started
    timings["method"] = fits[lift].tree.method
    timings["ari"] = float(runs["ari"].iloc[0])
    timings["n_clusters"] = int(runs["n_clusters"].iloc[0])
    return timings


def bench_sets(sets, truth, data: str, repeats: int, group_by: str = "lifter") -> list[dict]:
    """Both kinds of change on one sets frame, best of ``repeats`` each."""
    from liftlab.clustering import pipeline
    from liftlab.clustering.config import DEFAULT_CONFIG, validate_config

    fingerprint = pipeline.data_fingerprint(sets)
    cut = {"method": "n_clusters", "value": 4}
    cfg = validate_config({**DEFAULT_CONFIG, "group_by": group_by, "cut": cut})
    out = []
    for new_features in (True, False):
        runs = [
            recompute(sets, fingerprint, cfg, truth, new_features=new_features)
            for _ in range(repeats)
        ]
        best = min(runs, key=lambda r: r["total"])
        change = "features" if new_features else "cut / linkage"
        lifters = sets["lifter_id"].nunique()
        out.append({"data": data, "lifters": lifters, "sets": len(sets), "change": change, **best})
    for row in out:
        row["rss_mb"] = peak_rss_mb()
    return out


def bench(n_lifters: int, sets_per_lifter: int, seed: int, repeats: int) -> list[dict]:
    sets, truth = full_sets(n_lifters, sets_per_lifter, seed)
    return bench_sets(sets, truth, "synthetic", repeats)


def bench_warehouse(path: str, repeats: int) -> list[dict]:
    """A built warehouse's fct_sets, read as the form reads it (one lifter: by workout)."""
    from liftlab.tune_ui import data

    snap = data.read_snapshot(data.Settings(warehouse=Path(path)))
    group_by = "lifter" if snap.sets["lifter_id"].nunique() >= 2 else "lifter_workout"
    name = Path(path).name + ("" if group_by == "lifter" else " (lifter x workout)")
    return bench_sets(snap.sets, snap.truth, name, repeats, group_by)


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        )
        return out.stdout.strip() or "?"
    except OSError:
        return "?"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lifters", type=int, nargs="+", default=list(TARGETS))
    parser.add_argument("--sets", type=int, default=40, help="sets per lifter")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3, help="best of N recomputations")
    parser.add_argument(
        "--warehouse", nargs="*", default=[], help="also time built warehouses (fct_sets)"
    )
    parser.add_argument("--record", action="store_true", help=f"write {OUT}")
    args = parser.parse_args(argv)
    rows = [r for n in args.lifters for r in bench(n, args.sets, args.seed, args.repeats)]
    rows += [r for w in args.warehouse for r in bench_warehouse(w, args.repeats)]
    header = "| data | lifters | sets | change | method | fit s | scores s | tables + figures s "
    header += "| total s | target s | clusters | ARI | peak RSS MB |"
    lines = [header, "|" + " --- |" * 13]
    for r in rows:
        target = TARGETS.get(r["lifters"]) if r["data"] == "synthetic" else None
        lines.append(
            f"| {r['data']} | {r['lifters']:,} | {r['sets']:,} | {r['change']} | {r['method']} | "
            f"{r['fit']:.2f} | "
            f"{r['scores']:.2f} | {r['tables_figures']:.2f} | **{r['total']:.2f}** | "
            f"{target if target else '-'} | {r['n_clusters']} | {r['ari']:.3f} | "
            f"{r['rss_mb']:.0f} |"
        )
    table = "\n".join(lines)
    print(table)
    if args.record:
        load = os.getloadavg()
        OUT.write_text(
            "# `liftlab tune --ui`: recomputing one configuration\n\n"
            "What the form does when a setting changes (default configuration, cut at 4\n"
            "clusters, 10 stability resamples): a feature setting (the sets are aggregated\n"
            "again) or any other (cut, linkage, distance, ...: the feature table is reused),\n"
            "best of "
            f"{args.repeats}, on synthetic sets ({args.sets} per lifter,\n"
            "four archetypes; `benchmarks/bench_tune_ui.py`) and on built warehouses (the\n"
            "default configuration; a one-lifter warehouse grouped by lifter x workout).\n"
            "Above 5,000 rows the fit is\n"
            "two-stage (MiniBatchKMeans to 1,000 micro-clusters, then Ward on them).\n\n"
            "```sh\n.venv/bin/python benchmarks/bench_tune_ui.py "
            f"{' '.join(sys.argv[1:] if argv is None else argv)}\n```\n\n"
            f"{table}\n\n"
            f"Commit {_commit()}, {platform.python_version()}, {os.cpu_count()} CPUs, "
            f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} while measuring.\n",
            encoding="utf-8",
        )
        print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
