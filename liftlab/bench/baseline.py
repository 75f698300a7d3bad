"""The study's processing as a notebook would do it, in pandas: the baseline liftlab is
measured against. Run as a process (``python -m liftlab.bench.baseline``) so that its wall
time, CPU time and peak memory are measured like liftlab's stages.

Stages, each timed:
1. ``load``: read the export line by line and ``json.loads`` every document (bad lines
   skipped, as a notebook's try/except would);
2. ``normalize``: ``pd.json_normalize`` of the sets and of the reps (``record_path='reps'``
   with the set fields as meta);
3. ``clean``: the study's filters and type fixes: drop deleted sets and removed / invalid
   reps, keep the last revision of a set id, parse the string device arrays to floats and
   pick the six fields by version, drop non-finite and out-of-range velocities, parse weights
   (number / string / empty) to kg, normalise exercise names to the three study lifts;
4. ``knn``: the six-feature KNN (k=10, standardised) on the three study lifts, reps of one
   set in one split (GroupShuffleSplit, 80/20), rep-level accuracy.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

STUDY_FEATURES = [
    "mean_velocity_m_s",
    "rom_mm",
    "peak_velocity_m_s",
    "peak_velocity_location_pct",
    "duration_s",
    "load_kg",
]
STUDY_NAMES = {
    "squat": "squat",
    "back squat": "squat",
    "bench": "bench_press",
    "bench press": "bench_press",
    "bp": "bench_press",
    "deadlift": "deadlift",
    "dl": "deadlift",
}
SET_META = ["setID", "userID", "exercise", "weight", "metric", "deleted", "removed", "_ordinal"]


def load(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    documents = []
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                document = json.loads(line)
            except ValueError:
                continue
            if isinstance(document, dict) and isinstance(document.get("reps"), list):
                documents.append(document)
    return documents


def normalize(documents: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    for ordinal, document in enumerate(documents):  # json_normalize needs every meta key
        document["_ordinal"] = ordinal
        for key in SET_META:
            document.setdefault(key, None)
    sets = pd.json_normalize(documents, max_level=0).drop(columns=["reps"])
    reps = pd.json_normalize(
        documents, record_path="reps", meta=SET_META, errors="ignore", meta_prefix="set."
    )
    return sets, reps


def _to_float(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def clean(reps: pd.DataFrame) -> pd.DataFrame:
    # the last revision of a set id wins: keep the reps of its last occurrence
    last = reps.groupby("set.setID")["set._ordinal"].transform("max")
    reps = reps[reps["set._ordinal"] == last]
    reps = reps[~reps["set.deleted"].fillna(False).astype(bool)]
    reps = reps[~reps["set.removed"].fillna(False).astype(bool)]
    reps = reps[~reps["removed"].fillna(False).astype(bool)]
    reps = reps[reps["isValid"].fillna(False).astype(bool)].reset_index(drop=True)
    values = reps["data"].apply(lambda data: [_to_float(x) for x in data])
    flag = values.apply(lambda v: v[0] if v else math.nan)
    out = pd.DataFrame(
        {
            "set_id": reps["set.setID"],
            "user_id": reps["set.userID"],
            "flag": flag,
            "mean_velocity_m_s": values.apply(lambda v: v[2] if len(v) > 2 else math.nan),
            "rom_mm": values.apply(lambda v: v[3] if len(v) > 3 else math.nan),
            "peak_velocity_m_s": values.apply(lambda v: v[4] if len(v) > 4 else math.nan),
            "peak_velocity_location_pct": values.apply(lambda v: v[5] if len(v) > 5 else math.nan),
            "duration_s": values.apply(lambda v: v[7] / 1e6 if len(v) > 7 else math.nan),
        }
    )
    out.loc[out["flag"] == -1234, "duration_s"] = math.nan  # V1 has no duration
    weight = pd.to_numeric(reps["set.weight"].replace("", np.nan), errors="coerce")
    is_lbs = reps["set.metric"].astype(str).str.lower().str.startswith("lb")
    factor = np.where(is_lbs, 0.45359237, 1.0)
    out["load_kg"] = weight * factor
    out["lift"] = reps["set.exercise"].astype(str).str.strip().str.lower().map(STUDY_NAMES)
    velocity_ok = np.isfinite(out["mean_velocity_m_s"]) & np.isfinite(out["peak_velocity_m_s"])
    velocity_ok &= out["mean_velocity_m_s"].between(0, 10, inclusive="left")
    velocity_ok &= out["peak_velocity_m_s"].between(0, 10, inclusive="left")
    return out[velocity_ok & out["flag"].isin([-1234, -2345, -3456])]


def knn(reps: pd.DataFrame, seed: int = 0) -> tuple[float, int]:
    from sklearn.model_selection import GroupShuffleSplit
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    data = reps.dropna(subset=[*STUDY_FEATURES, "lift"])
    if data["lift"].nunique() < 2 or len(data) < 50:
        return math.nan, len(data)
    split = GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=seed)
    train, test = next(split.split(data, groups=data["set_id"]))
    model = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=10))
    model.fit(data.iloc[train][STUDY_FEATURES], data.iloc[train]["lift"])
    accuracy = float(model.score(data.iloc[test][STUDY_FEATURES], data.iloc[test]["lift"]))
    return accuracy, len(data)


def run(path: Path) -> dict[str, float]:
    """Every stage, timed; returns seconds per stage plus the KNN accuracy."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    documents = load(path)
    timings["load_s"] = time.perf_counter() - started
    started = time.perf_counter()
    _, reps = normalize(documents)
    timings["normalize_s"] = time.perf_counter() - started
    started = time.perf_counter()
    cleaned = clean(reps)
    timings["clean_s"] = time.perf_counter() - started
    started = time.perf_counter()
    accuracy, n = knn(cleaned)
    timings["knn_s"] = time.perf_counter() - started
    timings["knn_accuracy"] = accuracy
    timings["reps_clean"] = float(len(cleaned))
    timings["reps_knn"] = float(n)
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--json-out", type=Path, required=True)
    args = parser.parse_args(argv)
    args.json_out.write_text(json.dumps(run(args.data), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
