"""Unit tests of liftlab.ml on small synthetic frames (no warehouse)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _ml_synthetic import make_frames

from liftlab.ml import (
    ALL_FEATURES,
    DEFAULT_FEATURES,
    STUDY_FEATURES,
    ClassifierConfig,
    build_rep_features,
    label_sets,
    trace_features,
    train_and_evaluate,
    validate_features,
)
from liftlab.ml.artifact import default_root, load_artifact, save_artifact
from liftlab.ml.classifier import (
    LIFTS,
    cross_validate,
    labelled_reps,
    make_estimator,
    parse_model_name,
    predict_sets,
)
from liftlab.ml.features import TRANSFER_FEATURES

FAST = {"forest_trees": 20, "boosting_iterations": 30, "cv_folds": 3}


@pytest.fixture(scope="module")
def frames():
    return make_frames(n_lifters=9, sets_per_lifter=9, lifts=LIFTS, seed=3)


@pytest.fixture(scope="module")
def features(frames):
    reps, sets, _ = frames
    return build_rep_features(reps, sets)


# ---- features -------------------------------------------------------------------------


def test_trace_features_shape_of_a_known_trace():
    # Speed (1/interval) rises to the last quarter, with one slow dip early on.
    speeds = np.array([2, 3, 4, 3, 2.5, 4, 5, 6, 8, 10, 9, 7], dtype=float)
    intervals = list(np.round(1000.0 / speeds).astype(int))
    f = trace_features([intervals]).iloc[0]
    assert f["trace_n_ticks"] == 12
    assert f["trace_dist_to_peak_pct"] == pytest.approx(100 * 9 / 11)
    # deepest dip: 2.5 below a running max of 4, relative to a peak of 10
    assert f["trace_sticking_depth"] == pytest.approx((1000 / 250 - 1000 / 400) / 10, rel=0.05)
    assert f["trace_sticking_length_pct"] == pytest.approx(100 * 2 / 12)
    assert f["trace_end_slope"] < 0  # slowing down at the end
    assert 50 < f["trace_time_to_peak_pct"] < 100
    assert f["trace_time_to_peak_pct"] > f["trace_dist_to_peak_pct"]  # slow start takes time


def test_trace_features_handles_empty_short_and_bad_values():
    out = trace_features([None, [], [500, 400], [0, -3, 700, 600, 500], [300] * 5])
    assert len(out) == 5
    assert np.isnan(out.loc[0, "trace_n_ticks"])  # no trace at all (the app's CSV)
    assert out["trace_n_ticks"].tolist()[1:] == [0, 2, 5, 5]
    assert out.loc[:2, "trace_dist_to_peak_pct"].isna().all()
    assert np.isfinite(out.loc[3, "trace_dist_to_peak_pct"])  # 3 valid samples are enough
    assert out.loc[4, "trace_sticking_depth"] == 0
    assert out.loc[4, "trace_speed_cv"] == pytest.approx(0)


def test_trace_features_match_across_chunk_boundaries(monkeypatch):
    import liftlab.ml.features as features_module

    rng = np.random.default_rng(1)
    traces = [list(rng.integers(200, 2000, size=int(rng.integers(3, 30)))) for _ in range(50)]
    whole = trace_features(traces)
    monkeypatch.setattr(features_module, "_CHUNK", 7)
    chunked = trace_features(traces)
    pd.testing.assert_frame_equal(whole, chunked)


def test_trace_features_stream_from_duckdb_like_python_lists():
    import duckdb

    from liftlab.ml.warehouse import stream_trace_features

    rng = np.random.default_rng(5)
    lists = [rng.integers(200, 900, int(k)).tolist() for k in rng.integers(0, 40, 700)]
    lists[3] = None  # no bulk segment
    lists[4] = [300, None, 250, 0, 400]  # a null and a non-positive sample
    con = duckdb.connect()
    con.execute("create table reps (rep_id varchar, bulk_tick_intervals_us integer[])")
    con.executemany(
        "insert into reps values (?, ?)", [[f"r{i:04d}", v] for i, v in enumerate(lists)]
    )
    streamed = stream_trace_features(con.table("reps").order("rep_id"), batch_reps=128)
    assert streamed["rep_id"].tolist() == [f"r{i:04d}" for i in range(len(lists))]
    expected = trace_features(
        [None if v is None else [np.nan if x is None else x for x in v] for v in lists]
    )
    pd.testing.assert_frame_equal(streamed.drop(columns="rep_id"), expected)


def test_build_rep_features_filters_and_fills(frames):
    reps, sets, _ = frames
    reps = reps.copy()
    sets = sets.copy()
    # the one rep filter is int_reps_decoded.is_plausible (kept, usable, plausible): a removed
    # rep and a usable but implausible one (a 9 m/s squat) are both out
    reps.loc[0, ["rep_disposition", "is_usable", "is_plausible"]] = ["removed", False, False]
    reps.loc[1, ["is_usable", "is_plausible"]] = [True, False]
    reps.loc[2, "duration_s"] = None  # V1: falls back to ROM / mean velocity
    reps.loc[2, "mean_velocity_m_s"] = 0.5
    reps.loc[2, "rom_mm"] = 600.0
    reps.loc[3, "mean_velocity_m_s"] = float("inf")
    sets.loc[0, "is_load_outlier"] = True
    out = build_rep_features(reps, sets)
    assert list(out.columns[:5]) == [
        "rep_id",
        "set_id",
        "lifter_id",
        "typed_lift",
        "typed_lift_status",
    ]
    assert set(ALL_FEATURES) <= set(out.columns)
    assert reps.loc[0, "rep_id"] not in set(out["rep_id"])
    assert reps.loc[1, "rep_id"] not in set(out["rep_id"])
    row = out.set_index("rep_id").loc[reps.loc[2, "rep_id"]]
    assert row["duration_s"] == pytest.approx(1.2)
    assert np.isnan(out.set_index("rep_id").loc[reps.loc[3, "rep_id"], "mean_velocity_m_s"])
    assert out.loc[out["set_id"] == sets.loc[0, "set_id"], "load_kg"].isna().all()
    for name in ALL_FEATURES:
        assert not np.isinf(out[name]).any(), name
    # set context
    one = out[out["set_id"] == out["set_id"].iloc[-1]]
    assert one["rep_position"].tolist() == list(range(1, len(one) + 1))
    assert (one["set_rep_count"] == len(one)).all()
    # set_rep_count counts the set's plausible reps (int_sets_aggregated.rep_count_plausible)
    plausible = reps[reps["is_plausible"]].groupby("set_id").size()
    counted = out.groupby("set_id")["set_rep_count"].first()
    assert (counted == plausible.reindex(counted.index)).all()
    assert counted[reps.loc[1, "set_id"]] < (reps["set_id"] == reps.loc[1, "set_id"]).sum()


def test_lifter_context_ignores_labels(frames):
    reps, sets, _ = frames
    scrambled = sets.copy()
    scrambled["typed_lift"] = None
    scrambled["typed_lift_status"] = "unlabeled"
    a = build_rep_features(reps, sets)
    b = build_rep_features(reps, scrambled)
    cols = ["lifter_mean_velocity_m_s", "lifter_rom_mm", "lifter_load_kg", "rel_rom"]
    pd.testing.assert_frame_equal(a[cols], b[cols])


def test_build_rep_features_is_order_independent(frames):
    reps, sets, _ = frames
    a = build_rep_features(reps, sets)
    b = build_rep_features(reps.sample(frac=1, random_state=0), sets.iloc[::-1])
    pd.testing.assert_frame_equal(a, b)


def test_validate_features_lists_valid_names():
    assert validate_features(None) == list(DEFAULT_FEATURES)
    assert DEFAULT_FEATURES == ALL_FEATURES
    former = validate_features("no_shifted_traces")
    assert "trace_speed_skew" not in former and set(former) < set(ALL_FEATURES)
    assert validate_features("rom_mm, load_kg") == ["rom_mm", "load_kg"]
    assert validate_features("transfer") == list(TRANSFER_FEATURES)
    assert "load_kg" not in validate_features("transfer")
    with pytest.raises(ValueError, match=r"unknown classifier feature\(s\): bogus.*Valid"):
        validate_features(["rom_mm", "bogus"])
    with pytest.raises(ValueError, match="mean_velocity_m_s"):
        validate_features(["bogus"])
    with pytest.raises(ValueError, match="duplicate"):
        validate_features(["rom_mm", "rom_mm"])


# ---- config ---------------------------------------------------------------------------


def test_config_validation():
    with pytest.raises(ValueError, match="Valid models: knn_study"):
        ClassifierConfig(models=["svm_study"])
    with pytest.raises(ValueError, match="must be 'best' or one of"):
        ClassifierConfig(model_choice="random_forest_full")
    # the lift-resolution thresholds are fct_sets' dbt vars, not classifier settings
    with pytest.raises(ValueError, match="unknown classifier setting"):
        ClassifierConfig.from_mapping({"label_min_probability": 0.6})
    with pytest.raises(ValueError, match="unknown classifier setting"):
        ClassifierConfig.from_mapping({"featurez": []})
    cfg = ClassifierConfig.from_mapping({"features": None, "models": "knn_full,gaussian_nb_study"})
    assert cfg.models == ["knn_full", "gaussian_nb_study"]
    assert cfg.features_for("knn_study") == list(STUDY_FEATURES)
    assert cfg.features_for("knn_full") == list(DEFAULT_FEATURES)
    assert parse_model_name("hist_gradient_boosting_full") == ("hist_gradient_boosting", "full")


@pytest.mark.parametrize(
    ("name", "steps"),
    [
        ("knn_study", ["impute", "scale", "model"]),
        ("logistic_regression_study", ["impute", "scale", "model"]),
        ("random_forest_study", ["impute", "model"]),
        ("gaussian_nb_study", ["impute", "model"]),
        ("hist_gradient_boosting_full", ["fill_empty", "model"]),
    ],
)
def test_pipelines_scale_where_needed(name, steps):
    pipe = make_estimator(name, ClassifierConfig())
    assert [s for s, _ in pipe.steps] == steps


# ---- training and evaluation ----------------------------------------------------------


@pytest.fixture()
def group_splits(monkeypatch) -> list[tuple[set, set]]:
    """The (training groups, test groups) of every GroupKFold split made during the test."""
    from sklearn.model_selection import GroupKFold

    seen = []
    original = GroupKFold.split

    def spy(self, x, y=None, groups=None):
        for train, test in original(self, x, y, groups):
            seen.append((set(groups[train]), set(groups[test])))
            yield train, test

    monkeypatch.setattr(GroupKFold, "split", spy)
    return seen


def test_cross_validation_is_grouped_by_lifter(features, group_splits):
    seen = group_splits
    metrics, confusion, oof = cross_validate(
        features, "knn_study", "study3", ClassifierConfig(**FAST)
    )
    assert len(seen) == 3
    for train_groups, test_groups in seen:
        assert not train_groups & test_groups
    rep, set_ = metrics
    assert (rep["level"], set_["level"]) == ("rep", "set")
    assert rep["cv_grouping"] == set_["cv_grouping"] == "lifter"
    labelled = labelled_reps(features, ("squat", "bench_press", "deadlift"))
    assert rep["n"] == len(labelled)
    assert set_["n"] == labelled["set_id"].nunique()
    assert rep["precision_overhead_press"] is None
    assert 0 <= rep["accuracy"] <= 1
    conf = pd.DataFrame(confusion)
    assert conf.groupby("level")["n"].sum().to_dict() == {"rep": rep["n"], "set": set_["n"]}
    assert len(conf) == 2 * 9  # every true x predicted pair of 3 lifts, per level
    assert sorted(oof.index) == sorted(labelled["set_id"].unique())
    assert np.allclose(oof.sum(axis=1), 1.0)


@pytest.mark.parametrize(
    ("n_lifters", "n_workouts", "expected"),
    [
        (5, 40, ("lifter", None)),
        (4, 40, ("workout", None)),
        (1, 2, ("workout", None)),
        (1, 1, (None, "one lifter and fewer than 2 workouts labelled")),
        (3, None, ("lifter", None)),
        (1, None, (None, "fewer than 2 lifters labelled (and no workout_id to group by)")),
    ],
)
def test_cv_grouping_choice(n_lifters, n_workouts, expected):
    from liftlab.ml.classifier import choose_cv_grouping

    assert choose_cv_grouping(n_lifters, n_workouts, folds=5) == expected


def _one_lifter(features: pd.DataFrame, sets_per_workout: int) -> pd.DataFrame:
    """The features of every lifter as one lifter's, in workouts of ``sets_per_workout``."""
    out = features.assign(lifter_id="only")
    order = pd.factorize(out["set_id"], sort=True)[0]
    return out.assign(workout_id=[f"w{i // sets_per_workout}" for i in order])


def test_cv_falls_back_to_workouts_with_fewer_lifters_than_folds(features, group_splits):
    seen = group_splits
    one = _one_lifter(features, sets_per_workout=6)
    metrics, _, oof = cross_validate(one, "knn_study", "all6", ClassifierConfig(**FAST))
    assert len(seen) == 3
    for train_groups, test_groups in seen:
        assert not train_groups & test_groups
    workouts = one.groupby(["lifter_id", "workout_id"]).ngroup().to_numpy()
    assert sorted(set().union(*(t for _, t in seen))) == sorted(set(workouts))
    rep, set_ = metrics
    assert rep["cv_grouping"] == set_["cv_grouping"] == "workout"
    assert rep["n_folds"] == 3 and rep["n_lifters"] == 1
    assert 0 <= set_["accuracy"] <= 1 and set_["metric_note"] is None
    assert len(oof) == labelled_reps(one)["set_id"].nunique()


def test_unevaluable_scopes_say_why(features):
    cfg = ClassifierConfig(**FAST)
    one_workout = _one_lifter(features, sets_per_workout=10_000)
    metrics, confusion, oof = cross_validate(one_workout, "knn_study", "all6", cfg)
    assert [m["level"] for m in metrics] == ["rep", "set"]
    for m in metrics:
        assert m["n_folds"] == 0 and m["cv_grouping"] is None
        assert m["metric_note"] == "one lifter and fewer than 2 workouts labelled"
        assert m.get("accuracy") is None
    assert confusion == [] and oof is None
    squats = features[features["typed_lift"].isin(["squat", "overhead_press"])]
    metrics, _, _ = cross_validate(squats, "knn_study", "study3", cfg)
    assert {m["metric_note"] for m in metrics} == {"one lift labelled (squat)"}
    metrics, _, _ = cross_validate(squats, "knn_study", "all6", cfg)
    assert metrics[0]["cv_grouping"] == "lifter"
    assert metrics[0]["metric_note"].startswith("not labelled: bench_press, deadlift")


def test_train_and_evaluate_metrics_and_determinism(features):
    cfg = ClassifierConfig(**FAST)
    a = train_and_evaluate(features, cfg)
    # models evaluated one at a time or two at once in threads: the same scores
    b = train_and_evaluate(features, ClassifierConfig(**FAST, cv_jobs=1))
    pd.testing.assert_frame_equal(
        a.metrics.drop(columns="cv_seconds"), b.metrics.drop(columns="cv_seconds")
    )
    pd.testing.assert_frame_equal(a.confusion, b.confusion)
    assert a.model_name == b.model_name
    m = a.metrics
    assert set(m["model"]) == set(cfg.models)
    assert set(m["lifts"]) == {"study3", "all6"}
    assert set(m["level"]) == {"rep", "set"}
    assert not m.duplicated(["model", "level", "lifts"]).any()
    assert m["accuracy"].between(0, 1).all()
    # synthetic lifts are easy to tell apart: every model beats chance by far
    assert (m["accuracy"] > 0.6).all()
    best = m[(m["model"] == a.model_name) & (m["level"] == "set") & (m["lifts"] == "all6")]
    assert (
        best["macro_f1"].iloc[0]
        == m[(m["level"] == "set") & (m["lifts"] == "all6")]["macro_f1"].max()
    )
    assert sorted(a.classes) == sorted(LIFTS)


def test_cv_sample_keeps_whole_lifters(features):
    from liftlab.ml.evaluation import _sample_sets

    reps = labelled_reps(features)
    sample = _sample_sets(reps, 20, seed=1)
    assert 20 <= sample["set_id"].nunique() < reps["set_id"].nunique()
    for lifter in sample["lifter_id"].unique():
        assert (sample["lifter_id"] == lifter).sum() == (reps["lifter_id"] == lifter).sum()
    pd.testing.assert_frame_equal(sample, _sample_sets(reps, 20, seed=1))
    assert _sample_sets(reps, 0, seed=1) is reps


def test_training_sample_keeps_whole_sets_and_is_seeded(features):
    from liftlab.ml.classifier import sample_training_sets

    reps = labelled_reps(features)
    sample = sample_training_sets(reps, 15, seed=4)
    assert sample["set_id"].nunique() == 15
    for set_id in sample["set_id"].unique():
        assert (sample["set_id"] == set_id).sum() == (reps["set_id"] == set_id).sum()
    pd.testing.assert_frame_equal(sample, sample_training_sets(reps, 15, seed=4))
    assert set(sample["set_id"]) != set(sample_training_sets(reps, 15, seed=5)["set_id"])
    assert sample_training_sets(reps, 0, seed=4) is reps


def test_training_cap_bounds_the_final_fit(features):
    n_sets = labelled_reps(features)["set_id"].nunique()
    capped = train_and_evaluate(
        features, ClassifierConfig(**FAST, train_max_sets=n_sets // 2), evaluate=False
    )
    assert capped.n_training_sets == n_sets // 2
    full = train_and_evaluate(features, ClassifierConfig(**FAST, train_max_sets=0), evaluate=False)
    assert full.n_training_sets == n_sets


def test_model_choice_is_configuration(features):
    cfg = ClassifierConfig(**FAST, model_choice="gaussian_nb_study")
    result = train_and_evaluate(features, cfg, evaluate=False)
    assert result.model_name == "gaussian_nb_study"
    assert result.feature_columns == list(STUDY_FEATURES)
    assert result.metrics.empty


def test_degenerate_training_data(features):
    # an entirely missing feature, and fewer reps than KNN's k
    tiny = features[features["typed_lift"].isin(["squat", "bench_press"])].copy()
    tiny = tiny.groupby("typed_lift").head(3)
    tiny["trace_end_slope"] = np.nan
    for name in ("knn_study", "hist_gradient_boosting_full", "logistic_regression_study"):
        cfg = ClassifierConfig(**FAST, model_choice=name, cross_fit_labelled=False)
        result = train_and_evaluate(tiny, cfg)
        out = predict_sets(result.model, result.feature_columns, features)
        assert out["probability"].between(0, 1).all()


def test_training_needs_two_lifts(features):
    only = features[features["typed_lift"].isin(["squat"]) | features["typed_lift"].isna()]
    with pytest.raises(ValueError, match="at least two lifts"):
        train_and_evaluate(only, ClassifierConfig(**FAST), evaluate=False)


# ---- labelling and resolution ---------------------------------------------------------


# The resolution rule (typed / relabelled / predicted / uncertain / ...) is fct_sets' SQL
# case, pinned by the dbt unit tests in models/marts/_marts__unit_tests.yml; label_sets
# gives the probabilities it reads.


def test_label_sets_covers_every_set_and_finds_planted_mislabel(frames):
    reps, sets, truth = frames
    sets = sets.copy()
    # a confidently wrong typed label, seen in training too
    squat_sets = truth[truth == "squat"].index
    planted = next(
        s for s in squat_sets if s in set(sets.loc[sets.typed_lift_status == "matched", "set_id"])
    )
    sets.loc[sets["set_id"] == planted, ["typed_lift", "typed_lift_status"]] = [
        "bench_press",
        "matched",
    ]
    features = build_rep_features(reps, sets)
    cfg = ClassifierConfig(**FAST, model_choice="hist_gradient_boosting_full")
    result = train_and_evaluate(features, cfg, evaluate=False)
    assert result.cross_fitted is not None
    # a set without usable reps
    sets = pd.concat(
        [
            sets,
            pd.DataFrame(
                [{"set_id": "zz-empty", "lifter_id": "x", "typed_lift_status": "unlabeled"}]
            ),
        ],
        ignore_index=True,
    )

    class OnlyUnlabelled:
        """The final model: must never be asked about a set that was cross-fitted."""

        classes_ = result.model.classes_

        def predict_proba(self, x):
            assert len(x) == (~features["set_id"].isin(result.cross_fitted.index)).sum()
            return result.model.predict_proba(x)

    labels = label_sets(
        sets, features, OnlyUnlabelled(), result.feature_columns, cfg, result.cross_fitted
    )
    assert len(labels) == len(sets)
    assert labels["set_id"].is_unique
    by_id = labels.set_index("set_id")
    empty = by_id.loc["zz-empty"]
    assert pd.isna(empty["predicted_lift"]) and pd.isna(empty["probability"])
    assert "lift" not in labels and "lift_source" not in labels  # fct_sets resolves them
    row = by_id.loc[planted]
    assert row["prediction_origin"] == "cross_fitted"
    assert row["predicted_lift"] == "squat"
    # confident enough for fct_sets' relabel rule (0.9 / 0.05 by default)
    assert row["probability"] >= 0.9 and row["typed_lift_probability"] <= 0.05
    matched = labels["typed_lift_status"] == "matched"
    assert (labels.loc[matched, "prediction_origin"] == "cross_fitted").all()
    unl = labels[~matched].dropna(subset=["predicted_lift"])
    assert (unl["prediction_origin"] == "final_model").all()
    ok = labels["probability"].notna()
    assert labels.loc[ok, "probability"].between(0, 1).all()
    assert (labels.loc[ok, "margin"] >= 0).all()
    assert (labels.loc[ok, "margin"] <= labels.loc[ok, "probability"]).all()
    unl = unl[unl["typed_lift_status"] == "unlabeled"]
    assert (unl["predicted_lift"] == unl["set_id"].map(truth)).mean() > 0.8


def test_predict_sets_rejects_missing_columns(features):
    result = train_and_evaluate(
        features, ClassifierConfig(**FAST, model_choice="knn_study"), evaluate=False
    )
    with pytest.raises(ValueError, match="missing from the input: rom_mm"):
        predict_sets(result.model, result.feature_columns, features.drop(columns="rom_mm"))


# ---- artifact -------------------------------------------------------------------------


def test_artifact_round_trip_and_stable_version(tmp_path, features):
    cfg = ClassifierConfig(**FAST)
    result = train_and_evaluate(features, cfg)
    training = labelled_reps(features)
    version, directory = save_artifact(result, training, tmp_path)
    assert version.startswith(result.model_name + "-")
    assert (tmp_path / "LATEST").read_text().strip() == version
    again = train_and_evaluate(features, ClassifierConfig(**FAST))
    assert save_artifact(again, training, tmp_path)[0] == version  # same data + seed
    loaded = load_artifact(tmp_path)
    assert loaded.version == version
    assert loaded.feature_columns == result.feature_columns
    assert loaded.config == cfg
    assert len(loaded.metrics()) == len(result.metrics)
    assert len(loaded.confusion()) == len(result.confusion)
    a = predict_sets(result.model, result.feature_columns, features)
    b = predict_sets(loaded.model, loaded.feature_columns, features)
    pd.testing.assert_frame_equal(a, b)
    assert load_artifact(directory).version == version
    pd.testing.assert_frame_equal(
        loaded.cross_fitted(), result.cross_fitted, check_names=False, check_index_type=False
    )
    with pytest.raises(FileNotFoundError, match="no classifier artifact"):
        load_artifact(tmp_path / "nothing")


def test_default_root_sits_beside_the_warehouse(tmp_path):
    assert default_root(tmp_path / "w.duckdb") == tmp_path / "models" / "exercise_classifier"
    assert str(default_root(None)).endswith("warehouse/models/exercise_classifier")


def test_label_sets_without_any_usable_rep(features):
    cfg = ClassifierConfig(**FAST, model_choice="gaussian_nb_study")
    result = train_and_evaluate(features, cfg, evaluate=False)
    sets = features[["set_id", "typed_lift", "typed_lift_status"]].drop_duplicates("set_id")
    labels = label_sets(sets, features.iloc[0:0], result.model, result.feature_columns, cfg)
    assert len(labels) == len(sets)
    assert labels["predicted_lift"].isna().all()
    assert labels["probability"].isna().all()
