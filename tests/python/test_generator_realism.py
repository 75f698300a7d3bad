"""Realism of the generated data: the study's KNN difficulty, the real sample's medians,
load-velocity physics, richer-feature separability and archetype recoverability."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import adjusted_rand_score, f1_score
from sklearn.model_selection import GroupKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from liftlab.generator.features import FEATURES, decode_rep, rep_rows
from liftlab.generator.run import GenerateConfig, generate
from liftlab.generator.writer import sidecar_paths

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / ".." / "shared" / "data" / "openbarbell" / "app_history_sample.json"
STUDY_LIFTS = ["squat", "bench_press", "deadlift"]
SAMPLE_LIFTS = {"squat": "squat", "bench press": "bench_press"}
MEDIAN_FEATURES = ["rom_mm", "mean_velocity", "peak_velocity", "peak_location"]


@pytest.fixture(scope="module")
def clean_export(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gen_clean") / "clean.jsonl.gz"
    generate(GenerateConfig(sets=3000, lifters=200, seed=101, out=out, faults="none"))
    return out


@pytest.fixture(scope="module")
def reps(clean_export: Path) -> pd.DataFrame:
    truth = pd.read_parquet(sidecar_paths(clean_export)["truth_sets"])
    frame = pd.DataFrame(rep_rows(clean_export))
    return frame.merge(truth[["line_number", "true_lift", "pct_1rm"]], on="line_number")


def test_study_knn_accuracy_is_realistic(reps: pd.DataFrame) -> None:
    """KNN k=10 on the six standardised features, reps of a set kept in one split."""
    data = reps[reps["true_lift"].isin(STUDY_LIFTS) & (reps["version"] > 1)]
    data = data.dropna(subset=list(FEATURES))
    x, y = data[list(FEATURES)].to_numpy(), data["true_lift"].to_numpy()
    scores = []
    for train, test in GroupKFold(n_splits=5).split(x, y, data["set_id"]):
        model = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=10))
        model.fit(x[train], y[train])
        scores.append((model.predict(x[test]) == y[test]).mean())
    assert 0.90 <= float(np.mean(scores)) <= 0.97, scores


def _sample_medians() -> pd.DataFrame:
    history = json.loads(SAMPLE.read_text(encoding="utf-8"))
    rows = []
    for doc in history.values():
        lift = SAMPLE_LIFTS.get((doc.get("exercise") or "").strip().lower())
        for rep in doc.get("reps") or []:
            row = decode_rep(rep)
            if lift and row and row["version"] > 1:
                rows.append({"lift": lift, **{k: row[k] for k in MEDIAN_FEATURES}})
    return pd.DataFrame(rows).groupby("lift").median()


@pytest.mark.skipif(not SAMPLE.exists(), reason="real sample not available")
def test_sample_medians_fall_inside_generated_p10_p90(reps: pd.DataFrame) -> None:
    medians = _sample_medians()
    assert set(medians.index) == {"squat", "bench_press"}
    for lift, sample in medians.iterrows():
        generated = reps.loc[reps["true_lift"] == lift, MEDIAN_FEATURES]
        low, high = generated.quantile(0.10), generated.quantile(0.90)
        for feature in MEDIAN_FEATURES:
            assert low[feature] <= sample[feature] <= high[feature], (lift, feature)


def test_load_velocity_physics(reps: pd.DataFrame) -> None:
    first = reps[reps["rep_index"] == 0]
    for lift in STUDY_LIFTS:
        one = first[first["true_lift"] == lift]
        assert np.corrcoef(one["pct_1rm"], one["mean_velocity"])[0, 1] < -0.5
    ratio = (reps["peak_velocity"] / reps["mean_velocity"]).median()
    assert 1.4 <= ratio <= 1.8
    multi = reps.pivot_table(index="set_id", columns="rep_index", values="mean_velocity")
    both = multi[[0, 2]].dropna()
    assert (both[2] < both[0]).mean() > 0.75  # velocity falls within a set
    per_set = reps.groupby("set_id").size()
    assert per_set.eq(1).mean() > 0.5  # many single-rep sets


def test_reps_per_set_matches_the_study(clean_export: Path) -> None:
    manifest = json.loads(sidecar_paths(clean_export)["manifest"].read_text())
    counts = manifest["counts"]
    assert 1.5 <= counts["reps"] / counts["lines"] <= 1.8  # study: 211,277 / 127,832


def _trace(bulk: list[float], points: int = 12) -> np.ndarray:
    speed = 300.0 / np.asarray(bulk)
    grid = np.linspace(0, 1, points)
    return np.interp(grid, np.linspace(0, 1, speed.size), speed / speed.mean())


def test_lifts_separate_with_trace_shape_grouped_by_lifter(reps: pd.DataFrame) -> None:
    """A richer model (trace shape + set context) separates what the six features cannot."""
    data = reps.assign(n_bulk=reps["bulk"].map(len))
    data["set_reps"] = data.groupby("set_id")["rep_index"].transform("count")
    base = ["mean_velocity", "rom_mm", "peak_velocity", "peak_location", "load_kg"]
    x = np.hstack(
        [data[[*base, "n_bulk", "set_reps"]].to_numpy(), np.stack(data["bulk"].map(_trace))]
    )
    y = data["true_lift"].to_numpy()
    predicted = np.empty(y.size, dtype=object)
    with threadpool_limits(limits=1):  # the machine is shared: no OpenMP fan-out
        for train, test in GroupKFold(n_splits=3).split(x, y, data["user_id"]):
            model = HistGradientBoostingClassifier(max_iter=60, random_state=0)
            predicted[test] = model.fit(x[train], y[train]).predict(x[test])
    votes = pd.DataFrame({"set": data["set_id"], "y": y, "p": predicted})
    per_set = votes.groupby("set").agg(y=("y", "first"), p=("p", lambda s: s.mode().iloc[0]))
    assert f1_score(per_set["y"], per_set["p"], average="macro") >= 0.95
    study = votes[votes["y"].isin(STUDY_LIFTS)]
    assert (study["y"] == study["p"]).mean() >= 0.949


def test_archetypes_are_recoverable_by_ward_clustering(tmp_path: Path) -> None:
    """Ward on standardised per-lifter means of the study's set aggregates (one clustering
    per lift, cut at 0.55 x the largest merge) finds the archetypes."""
    from scipy.cluster.hierarchy import fcluster, linkage

    out = tmp_path / "arch.jsonl"
    generate(GenerateConfig(sets=12000, lifters=120, seed=7, out=out, faults="none"))
    lifters = pd.read_parquet(sidecar_paths(out)["truth_lifters"]).set_index("user_id")
    truth = pd.read_parquet(sidecar_paths(out)["truth_sets"])
    frame = pd.DataFrame(rep_rows(out)).merge(truth[["line_number", "true_lift"]])
    keys = ["user_id", "true_lift", "set_id"]
    sets = frame.groupby(keys).agg(
        mv=("mean_velocity", "mean"),
        pv=("peak_velocity", "mean"),
        loc=("peak_location", "mean"),
        rom=("rom_mm", "mean"),
        first=("mean_velocity", "first"),
        last=("mean_velocity", "last"),
        load=("load_kg", "first"),
        reps=("rep_index", "count"),
        rpe=("rpe", "first"),
    )
    sets["loss"] = (1 - sets["last"] / sets["first"]).where(sets["reps"] > 1)
    sets["rel"] = sets["load"] / sets.groupby(["user_id", "true_lift"])["load"].transform("max")
    features = ["mv", "pv", "loc", "rom", "loss", "rel", "reps", "rpe"]
    for lift in ("squat", "bench_press"):
        per_set = sets.xs(lift, level="true_lift")
        means = per_set.groupby("user_id")[features].mean()
        means = means[per_set.groupby("user_id").size() >= 3]
        means = means.fillna(means.median())
        tree = linkage(((means - means.mean()) / means.std()).to_numpy(), "ward")
        labels = fcluster(tree, 0.55 * tree[-1, 2], "distance")
        archetype = lifters.loc[means.index, "archetype"]
        # 0.8 before generator 2.0; its lifter-level spreads (speed 13-25 % at the same
        # %1RM, variants, heavy days: physics.py) make archetypes overlap, as real lifters
        # do (seed 7: squat 0.60, bench 0.77)
        assert adjusted_rand_score(archetype, labels) >= 0.55, lift


REAL_DIR = SAMPLE.parent
REAL_EXPORTS = ("app_history_2017_2018.json", "app_history_sample.json")
DISTANCE_FEATURES = ("mean_velocity", "rom_mm", "peak_velocity", "peak_location", "duration_s")
# Largest Wasserstein distance, in generated standard deviations, between generated reps and a
# real export's (one lifter each), per lift and feature: a real lifter may sit up to two
# population sds from the generated mean. Measured with generator 2.0 on this export: at most
# 1.82 (the sample's deep squats, ROM 717 mm), 1.43 (the 2017-2018 bench, ROM 271 mm), else
# below 1.4. Generator 1.1 had 3.0 on the overhead press's peak location (real 27 % of ROM,
# generated 59 %) and 2.1 on its ROM (benchmarks/eval_transfer.py). Generator 2.2 (velocity
# from the load as typed, the empty bar included, and the day's readiness): the 2017-2018
# overhead press's peak velocity 1.36 -> 1.67 (a fifth of the generated presses are at the
# empty bar, heavy for the weakest lifters; the real presses are faster), the rest unchanged.
MAX_WASSERSTEIN_SD = 2.0


def _real_reps(path: Path) -> pd.DataFrame:
    """Usable reps of a real app-history export with the typed lift family (V2/V3 only)."""
    from liftlab.ml.transfer import lift_family

    rows = []
    for doc in json.loads(path.read_text(encoding="utf-8")).values():
        lift = lift_family(doc.get("exercise"))
        for rep in doc.get("reps") or []:
            row = decode_rep(rep)
            if lift and row and row["version"] > 1 and 0 < row["mean_velocity"] < 3:
                rows.append({"lift": lift, **{k: row[k] for k in DISTANCE_FEATURES}})
    return pd.DataFrame(rows)


@pytest.mark.skipif(not SAMPLE.exists(), reason="real exports not available")
@pytest.mark.parametrize("export", REAL_EXPORTS)
def test_realism_distance_to_the_real_exports(reps: pd.DataFrame, export: str) -> None:
    """Per lift and feature, the generated reps are within a stated distance of the real."""
    from liftlab.ml.transfer import distance

    real = _real_reps(REAL_DIR / export)
    generated = reps[reps["version"] > 1]
    far = {}
    for lift, group in real.groupby("lift"):
        for feature in DISTANCE_FEATURES:
            g = generated.loc[generated["true_lift"] == lift, feature].to_numpy(dtype=float)
            _, wasserstein = distance(g, group[feature].to_numpy(dtype=float))
            if not wasserstein <= MAX_WASSERSTEIN_SD:
                far[lift, feature] = round(wasserstein, 2)
    assert not far, far
