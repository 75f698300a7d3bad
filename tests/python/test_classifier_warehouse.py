"""End to end: the classifier models inside a small built warehouse, `liftlab classify`, and
the real sample labelled by a model trained on generated data only."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from liftlab.cli import main
from liftlab.commands.build import build
from liftlab.commands.classify import build_intermediate
from liftlab.ml import ClassifierConfig, build_rep_features, train_and_evaluate
from liftlab.ml.artifact import load_artifact
from liftlab.ml.classifier import DEFAULT_MODELS, LIFTS, predict_sets
from liftlab.ml.warehouse import rep_features

REAL_SAMPLE = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "data"
    / "openbarbell"
    / "app_history_sample.json"
)


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("classifier_export") / "export.jsonl.gz"
    code = main(
        [
            "generate",
            "--sets",
            "1500",
            "--lifters",
            "30",
            "--seed",
            "11",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    return out


@pytest.fixture(scope="module")
def warehouse(export, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("classifier_wh") / "liftlab.duckdb"
    build(str(export), path, quiet=True)
    return path


def _query(warehouse: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(sql).df()


def test_metrics_cover_every_model_level_and_scope(warehouse):
    m = _query(warehouse, "select * from ml_classifier_metrics")
    assert len(m) == len(DEFAULT_MODELS) * 2 * 2
    assert set(m["model"]) == set(DEFAULT_MODELS)
    assert m["accuracy"].between(0, 1).all()
    assert (m["n_folds"] == 5).all()
    assert (m["cv_grouping"] == "lifter").all()  # 30 lifters, 5 folds
    chosen = m[m["is_chosen"]]
    assert chosen["model"].nunique() == 1
    assert m["model_version"].nunique() == 1
    # far better than chance on generated data, for the chosen model
    best = chosen[(chosen["level"] == "set") & (chosen["lifts"] == "study3")]
    assert best["accuracy"].iloc[0] > 0.75


def test_confusion_matches_metrics(warehouse):
    m = _query(warehouse, "select model, level, lifts, n from ml_classifier_metrics")
    c = _query(
        warehouse,
        "select model, level, lifts, sum(n) as n from ml_confusion_matrix group by all",
    )
    merged = m.merge(c, on=["model", "level", "lifts"], suffixes=("", "_confusion"))
    assert len(merged) == len(m)
    assert (merged["n"] == merged["n_confusion"]).all()


def test_every_kept_set_is_labelled(warehouse):
    p = _query(warehouse, "select * from fct_set_exercise_predictions")
    n_sets = _query(warehouse, "select count(*) as n from int_sets_aggregated")["n"].iloc[0]
    assert len(p) == n_sets
    assert p["set_id"].is_unique
    assert "lift" not in p and "lift_source" not in p  # probabilities only: fct_sets resolves
    assert set(p["predicted_lift"].dropna()) <= set(LIFTS)
    has = p["predicted_lift"].notna()
    assert has.mean() > 0.9
    assert p.loc[has, "probability"].between(0, 1).all()
    assert (p.loc[has, "margin"] >= 0).all()
    matched = p["typed_lift_status"] == "matched"
    assert (p.loc[matched & has, "prediction_origin"] == "cross_fitted").all()
    assert p["model_version"].nunique() == 1


def test_predictions_match_ground_truth(warehouse, export):
    truth = pd.read_parquet(export.with_name("export.truth_sets.parquet"))
    p = _query(warehouse, "select set_id, lift, typed_lift_status from fct_sets")
    merged = p.merge(truth[["set_id", "true_lift"]].drop_duplicates("set_id"), on="set_id")
    assert len(merged) == len(p)
    resolved = merged.dropna(subset=["lift"])
    assert (resolved["lift"] == resolved["true_lift"]).mean() > 0.85


def test_artifact_is_saved_beside_the_warehouse(warehouse):
    version = _query(warehouse, "select distinct model_version from ml_classifier_metrics")
    artifact = load_artifact(warehouse.parent / "models" / "exercise_classifier")
    assert artifact.version == version["model_version"].iloc[0]
    metrics = json.loads((artifact.directory / "metrics.json").read_text())
    assert len(metrics) == len(DEFAULT_MODELS) * 4
    assert artifact.manifest["feature_columns"] == artifact.feature_columns


def test_classify_command_reuses_the_saved_model(warehouse, export, tmp_path):
    out = tmp_path / "labels.csv"
    code = main(
        [
            "classify",
            "--data",
            str(export),
            "--out",
            str(out),
            "--warehouse",
            str(warehouse),
            "--quiet",
        ]
    )
    assert code == 0
    labels = pd.read_csv(out)
    assert list(labels.columns) == ["set_id", "predicted_lift", "probability"]
    p = _query(warehouse, "select * from fct_set_exercise_predictions")
    assert set(labels["set_id"]) == set(p["set_id"])
    # sets the warehouse labelled with the final model get the same label from classify
    final = p[p["prediction_origin"] == "final_model"].merge(labels, on="set_id")
    assert len(final) > 0
    assert (final["predicted_lift_x"] == final["predicted_lift_y"]).all()
    assert final["probability_x"].to_numpy() == pytest.approx(final["probability_y"].to_numpy())
    parquet = tmp_path / "labels.parquet"
    assert (
        main(
            [
                "classify",
                "--data",
                str(export),
                "--out",
                str(parquet),
                "--quiet",
                "--warehouse",
                str(warehouse),
            ]
        )
        == 0
    )
    pd.testing.assert_frame_equal(pd.read_parquet(parquet), labels, check_dtype=False)


def test_classify_reports_a_missing_model(export, tmp_path, capsys):
    code = main(
        [
            "classify",
            "--data",
            str(export),
            "--out",
            str(tmp_path / "x.csv"),
            "--warehouse",
            str(tmp_path / "none.duckdb"),
        ]
    )
    assert code == 2
    assert "no classifier artifact" in capsys.readouterr().err


@pytest.mark.skipif(not REAL_SAMPLE.exists(), reason="real sample not beside the project")
def test_real_sample_labelled_by_a_model_trained_on_generated_data_only(tmp_path, export):
    train_db = tmp_path / "train.duckdb"
    build_intermediate(str(export), train_db)
    with duckdb.connect(str(train_db)) as con:
        features = rep_features(con)
    result = train_and_evaluate(
        features, ClassifierConfig(cross_fit_labelled=False), evaluate=False
    )
    sample_db = tmp_path / "sample.duckdb"
    build_intermediate(str(REAL_SAMPLE), sample_db)
    with duckdb.connect(str(sample_db)) as con:
        real = rep_features(con)
        sets = con.sql("select * from int_sets_aggregated").df()
    truth = sets[["set_id", "typed_lift"]]
    # labels hidden, the workout links in (as in the warehouse and `liftlab classify`)
    hidden = real.assign(typed_lift=None, typed_lift_status="unlabeled")
    hidden_sets = sets.assign(typed_lift=None, typed_lift_status="unlabeled")
    predicted = predict_sets(
        result.model, result.feature_columns, hidden, ClassifierConfig(), sets=hidden_sets
    )
    compared = truth.merge(predicted, on="set_id", how="left")
    assert len(compared) == 60
    right = (compared["predicted_lift"] == compared["typed_lift"]).sum()
    # 60 of 60 measured; 56 without the workout links
    assert right >= 59, compared[compared["predicted_lift"] != compared["typed_lift"]]


def test_fct_sets_resolves_the_lift_from_the_probabilities(warehouse):
    """The rule's branches are dbt unit tests (test_fct_sets_lift_resolution); here the built
    table: every kept set has a prediction row, and its lift follows the declared vars."""
    s = _query(
        warehouse,
        """
        select s.set_id, s.typed_lift, s.typed_lift_status, s.lift, s.lift_source,
            p.set_id as p_set_id, p.predicted_lift, p.probability
        from fct_sets as s
        left join fct_set_exercise_predictions as p using (set_id)
        """,
    )
    assert s["p_set_id"].notna().all()  # every kept set has a prediction row
    resolved = s["lift"].notna()
    assert set(s.loc[~resolved, "lift_source"]) <= {"other_exercise", "uncertain", "unresolved"}
    unlabeled = (s["typed_lift_status"] == "unlabeled") & s["predicted_lift"].notna()
    sure = s["probability"] >= 0.6  # var classifier_label_min_probability's default
    assert (s.loc[unlabeled & sure, "lift_source"] == "predicted_unlabeled").all()
    assert (s.loc[unlabeled & sure, "lift"] == s.loc[unlabeled & sure, "predicted_lift"]).all()
    assert (s.loc[unlabeled & ~sure, "lift_source"] == "uncertain").all()
    assert s.loc[s["typed_lift_status"] == "matched", "lift"].notna().all()
    assert "typed_confirmed" in set(s["lift_source"])
    assert "predicted_unlabeled" in set(s["lift_source"])


def test_bucketed_features_and_labels_equal_the_whole_warehouse_at_once(warehouse, tmp_path):
    """ml_rep_trace_features and fct_set_exercise_predictions are computed in buckets of
    whole lifters (bounded memory); any bucket size gives the rows of one pass over
    everything, and the built ml_rep_features equals the features computed outside dbt."""
    from liftlab.ml.warehouse import (
        bucket_count,
        classifier_config,
        labelled_features,
        prediction_batches,
        predictions,
        trace_feature_batches,
    )

    with duckdb.connect(str(warehouse), read_only=True) as con:
        reps, sets = con.table("int_reps_decoded"), con.table("int_sets_aggregated")
        whole = rep_features(con)
        assert bucket_count(reps, 200) > 5
        bucketed = trace_feature_batches(reps, batch_reps=200).read_all().to_pandas()
        built = con.sql("select * from ml_rep_features").df()
        assert len(bucketed) == len(whole) == len(built) > 1000
        key = ["rep_id"]
        pd.testing.assert_frame_equal(
            bucketed.sort_values(key).reset_index(drop=True),
            whole[bucketed.columns].sort_values(key).reset_index(drop=True),
            check_dtype=False,
            check_exact=False,
            rtol=1e-12,
        )
        pd.testing.assert_frame_equal(built, whole, check_dtype=False)

        features = con.table("ml_rep_features")
        config = classifier_config()
        read = labelled_features(features, config)
        assert (read["typed_lift_status"] == "matched").all()
        assert read["set_id"].is_monotonic_increasing
        metrics = con.table("ml_classifier_metrics")
        root = warehouse.parent / "models" / "exercise_classifier"
        one_pass = predictions(sets, features, metrics, root, config)
        in_buckets = prediction_batches(sets, features, metrics, root, config, batch_reps=300)
        in_buckets = in_buckets.read_all().to_pandas()
        built = con.sql("select * from fct_set_exercise_predictions").df()
    assert len(one_pass) == len(in_buckets) == len(built)
    for frame in (in_buckets, built):
        pd.testing.assert_frame_equal(
            frame.sort_values("set_id").reset_index(drop=True),
            one_pass.sort_values("set_id").reset_index(drop=True),
            check_dtype=False,
        )


def test_both_feature_paths_read_the_same_reps(warehouse):
    """One usable-rep rule and one text of the feature rules: the DuckDB path (SQL over the
    tables, traces streamed) and the DataFrame path (the same SQL over frames) read the
    reps int_reps_decoded flags is_plausible and give the same features, and set_rep_count
    is the set's rep_count_plausible (the build's dbt test
    assert_classifier_reads_the_plausible_reps pins the table itself)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        reps, sets = con.table("int_reps_decoded"), con.table("int_sets_aggregated")
        assert (
            con.sql(
                "select count(*) from int_reps_decoded where is_usable and not is_plausible"
            ).fetchall()[0][0]
            > 0
        )
        from_tables = rep_features(con)
        from_frames = build_rep_features(reps.df(), sets.df())
        counts = sets.project("set_id, rep_count_plausible").df().set_index("set_id")
    pd.testing.assert_frame_equal(from_frames, from_tables, check_dtype=False)
    per_set = from_frames.groupby("set_id")["set_rep_count"].first()
    assert (per_set == counts["rep_count_plausible"].reindex(per_set.index)).all()


def test_training_runs_only_on_change(warehouse, monkeypatch):
    """The same training digest: ml_classifier_metrics returns the last build's rows and
    fct_set_exercise_predictions loads the saved model, fitting nothing, with the rows a
    fit gives; another seed, another labelled rep or another version trains again."""
    from dataclasses import replace

    import liftlab.ml.warehouse as ml_warehouse
    from liftlab.ml.evaluation import training_sets
    from liftlab.ml.reuse import evaluation_digest, kept_fit

    root = warehouse.parent / "models" / "exercise_classifier"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        features, sets = con.table("ml_rep_features"), con.table("int_sets_aggregated")
        metrics = con.sql("select * from ml_classifier_metrics").df()
        built = con.sql("select * from fct_set_exercise_predictions").df()
        config = ClassifierConfig.from_mapping(json.loads(metrics["config_json"].iloc[0]))

        def no_training(*args, **kwargs):
            raise AssertionError("trained although nothing changed")

        (root / "LATEST").write_text("another-version\n")  # what a kept fit names again
        with monkeypatch.context() as patch:
            patch.setattr(ml_warehouse, "evaluate_models", no_training)
            patch.setattr(ml_warehouse, "fit_chosen", no_training)
            assert ml_warehouse.cross_validation(features, config, metrics) is metrics
            kept = ml_warehouse.predictions(
                sets, features, metrics, root, ml_warehouse.classifier_config(), built
            )
        other_version = built.assign(model_version="knn_study-000000000000")
        assert kept_fit(root, metrics["model_version"].iloc[0], other_version, config) is None
        labelled, _, classes = training_sets(
            ml_warehouse.labelled_features(features, config), config
        )
    pd.testing.assert_frame_equal(
        kept.sort_values("set_id").reset_index(drop=True),
        built.sort_values("set_id").reset_index(drop=True),
        check_dtype=False,
    )
    assert (kept["prediction_origin"] == "cross_fitted").sum() > 100
    assert (root / "LATEST").read_text().strip() == metrics["model_version"].iloc[0]
    digest = evaluation_digest(config, classes, labelled)
    assert (metrics["training_digest"] == digest).all()
    assert evaluation_digest(replace(config, seed=config.seed + 1), classes, labelled) != digest
    assert evaluation_digest(config, classes, labelled.iloc[1:]) != digest


def test_few_changed_labelled_sets_keep_the_evaluation_and_fit_again(warehouse, tmp_path):
    """Labelled sets that changed by a small share (here 2 % left out, as an --append adds a
    few) keep the cross-validation's rows, with the version of the chosen model fitted on
    this build's labelled reps, which the fit then saves; more than
    classifier_reevaluate_share, 0, or another setting cross-validates again."""
    from dataclasses import replace

    import numpy as np

    import liftlab.ml.warehouse as ml_warehouse
    from liftlab.ml.artifact import version_of
    from liftlab.ml.evaluation import training_sets

    class Evaluated(Exception):
        pass

    def evaluated(*args, **kwargs):
        raise Evaluated

    with duckdb.connect(str(warehouse), read_only=True) as con:
        metrics = con.sql("select * from ml_classifier_metrics").df()
        built = ClassifierConfig.from_mapping(json.loads(metrics["config_json"].iloc[0]))
        assert built.reevaluate_share == 0  # the default: an append is a full rebuild's
        config = replace(built, reevaluate_share=0.1)  # not a setting the results depend on
        features = ml_warehouse.labelled_features(con.table("ml_rep_features"), config)
        set_ids = np.sort(features["set_id"].unique())

        def without(share: float) -> pd.DataFrame:
            left_out = set_ids[: int(len(set_ids) * share)]
            return features[~features["set_id"].isin(left_out)].reset_index(drop=True)

        fewer = without(0.02)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(ml_warehouse, "evaluate_models", evaluated)
            kept = ml_warehouse.cross_validation(fewer, config, metrics)
            for changed in (
                (without(0.3), config),
                (fewer, replace(config, reevaluate_share=0.0)),
                (fewer, replace(config, seed=config.seed + 1)),
            ):
                with pytest.raises(Evaluated):
                    ml_warehouse.cross_validation(*changed, metrics)
        scores = ["metric_id", "accuracy", "macro_f1", "n", "training_digest", "evaluated_at"]
        pd.testing.assert_frame_equal(kept[scores], metrics[scores])
        assert (metrics["labelled_change_share"] == 0).all()
        assert kept["labelled_change_share"].between(0.005, 0.05).all()
        chosen = metrics["chosen_model"].iloc[0]
        labelled, _, classes = training_sets(fewer, config)
        version = version_of(chosen, config, config.features_for(chosen), classes, labelled)
        assert (kept["model_version"] == version).all()
        assert version != metrics["model_version"].iloc[0]
        # the fit of the kept evaluation saves the version it announces
        labels = ml_warehouse.predictions(
            con.table("int_sets_aggregated"), fewer, kept, tmp_path, config
        )
    assert (labels["model_version"] == version).all()
    assert (tmp_path / version / "model.joblib").exists()
