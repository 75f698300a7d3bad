"""Clustering pipeline: features, archetype recovery, tables, determinism, tune command."""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml
from _clustering_synth import BLOB_CONFIG, synthetic_sets

from liftlab.clustering import fit_table, pipeline, scores, tables
from liftlab.clustering.config import resolve_config, validate_config
from liftlab.clustering.features import build_features, feature_names
from liftlab.commands import tune
from liftlab.privacy import pseudonymize

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def data():
    return synthetic_sets()


def test_features_per_lifter_and_lift(data):
    sets, _ = data
    cfg = validate_config(
        {
            "lifts": "each",
            "features": ["mean_velocity", "relative_load", "rpe"],
            "aggregators": ["mean", "median", "min", "max", "std", "p90"],
        }
    )
    feats = build_features(sets, cfg)
    assert len(feats) == 60 * 2
    assert set(feature_names(cfg)) <= set(feats.columns)
    one = sets[(sets["lifter_id"] == "L0003") & (sets["lift"] == "squat")]
    row = feats[(feats["lifter_id"] == "L0003") & (feats["lift"] == "squat")].iloc[0]
    assert row["n_sets"] == len(one)
    assert row["mean_velocity__mean"] == pytest.approx(one["mean_velocity_m_s"].mean())
    assert row["mean_velocity__p90"] == pytest.approx(one["mean_velocity_m_s"].quantile(0.9))
    assert row["mean_velocity__std"] == pytest.approx(one["mean_velocity_m_s"].std())
    assert row["relative_load__max"] == pytest.approx(1.0)
    assert row["relative_load__min"] == pytest.approx(one["load_kg"].min() / one["load_kg"].max())
    assert row["rpe__mean"] == pytest.approx(8.0)  # RPE left blank on some sets


def test_features_all_lifts_and_workouts(data):
    sets, _ = data
    pooled = build_features(sets, {"lifts": "all"})
    assert set(pooled["lift"]) == {"all"} and len(pooled) == 60
    assert (pooled["n_sets"] == 12).all()
    per_workout = build_features(sets, {"group_by": "lifter_workout", "lifts": ["squat"]})
    assert len(per_workout) == 60 * 2 and per_workout["group_key"].str.contains("|").all()
    assert (per_workout["n_sets"] == 6).all()  # the minimum-sets rule counts the lifter's sets


def test_recovers_archetypes(data):
    sets, truth = data
    _feats, fits = pipeline.fit_sets(sets, BLOB_CONFIG)
    runs = scores.evaluate(fits, BLOB_CONFIG, truth=truth)
    assert list(runs["lift"]) == ["bench_press", "squat"]
    assert (runs["ari"] >= 0.95).all() and (runs["ari_n"] == 60).all()
    assert (runs["n_clusters"] == 3).all()
    assert (runs["silhouette"] > 0.5).all() and (runs["stability"] > 0.9).all()
    for col in ("cophenetic_correlation", "calinski_harabasz", "davies_bouldin"):
        assert runs[col].notna().all()
    assert list(runs.columns) == scores.RUN_COLUMNS


def test_holdout_and_min_sets_are_assigned(data):
    sets, truth = data
    few = sets[~((sets["lifter_id"] == "L0001") & (sets.groupby("lifter_id").cumcount() > 1))]
    cfg = dict(BLOB_CONFIG, holdout_fraction=0.25, min_sets=3)
    feats, fits = pipeline.fit_sets(few, cfg)
    clusters = tables.clusters_table(fits)
    assigned = clusters[clusters["membership"] == "assigned"]
    assert "L0001" in set(assigned["lifter_id"])
    assert (clusters["cluster_id"].notna()).all()
    # held-out lifters land with their archetype
    merged = clusters.merge(truth, on="lifter_id")
    for _, part in merged.groupby("lift"):
        crosstab = pd.crosstab(part["cluster_id"], part["archetype"])
        assert (crosstab.gt(0).sum(axis=1) == 1).all()
    fit = fits["squat"]
    new = feats[feats["lift"] == "squat"][fit.columns].to_numpy()[:5]
    assert (fit.assign(new) == fit.labels[:5]).all()


def test_tables_and_determinism(data):
    sets, _ = data
    cfg = dict(BLOB_CONFIG, cut={"method": "fraction", "value": 0.55})
    feats, fits = pipeline.fit_sets(sets, cfg)
    _feats2, fits2 = pipeline.fit_sets(sets.sample(frac=1.0, random_state=1), cfg)
    t1, t2 = tables.clusters_table(fits), tables.clusters_table(fits2)
    pd.testing.assert_frame_equal(t1, t2)
    link = tables.linkage_table(fits)
    assert len(link) == 2 * 59 and (link.groupby("lift")["n_rows"].max() == 60).all()
    dendro = tables.dendrogram_table(link)
    links = dendro[dendro["element"] == "link"]
    assert (links.groupby("lift").size() == 24).all()
    assert dendro["cut_height"].notna().all()
    pca = tables.pca_table(fits)
    assert len(pca) == 120 and pca[["pc1", "pc2", "pc3"]].notna().all().all()
    assert (pca["pc1_explained_variance"] >= pca["pc2_explained_variance"]).all()
    prof = tables.profiles_table(feats, fits, cfg)
    sizes = prof.drop_duplicates(["lift", "cluster_id"]).groupby("lift")["n_members"].sum()
    assert (sizes == 60).all()
    table = fit_table.fit_table(feats, fits, cfg, in_force=True)
    assert len(table) == 120 * 4 and set(table["unit"]) == {"m/s", "mm", "%"}


def test_study_and_default_experiments_run(data):
    sets, truth = data
    experiments = ROOT / "config" / "clustering_experiments.yml"
    for name in ("default", "study", "per_lift", "load_profile", "robust_average", "per_workout"):
        cfg = resolve_config(name, experiments_file=experiments)
        cfg["stability_resamples"] = 2
        _, fits = pipeline.fit_sets(sets, cfg)
        runs = scores.evaluate(fits, cfg, truth=truth)
        assert (runs["n_clusters"] >= 1).all(), name


def _args(**kw):
    base = {
        "grid": None,
        "best": False,
        "run_id": None,
        "rank_by": None,
        "truth": None,
        "experiments": str(ROOT / "config" / "clustering_experiments.yml"),
        "top": 20,
    }
    base.update(kw)
    return argparse.Namespace(**base)


def test_tune_grid_and_best(tmp_path, data, capsys):
    sets, truth = data
    # the warehouse holds pseudonymized ids; the generator's truth file holds raw user ids
    hashed = {lid: pseudonymize(lid) for lid in truth["lifter_id"]}
    sets = sets.assign(lifter_id=sets["lifter_id"].map(hashed))
    wh = tmp_path / "wh.duckdb"
    con = duckdb.connect(str(wh))
    con.register("s", sets)
    con.execute("create table fct_sets as select * from s")
    con.close()
    truth_file = tmp_path / "truth.parquet"
    truth.rename(columns={"lifter_id": "user_id"}).to_parquet(truth_file)
    grid = tmp_path / "grid.yml"
    grid.write_text(
        yaml.safe_dump(
            {
                "base": "default",
                "grid": {
                    "lifts": ["each"],
                    "features": [BLOB_CONFIG["features"]],
                    "linkage": ["ward", "single"],
                    "cut": [{"method": "n_clusters", "value": 3}],
                    "stability_resamples": [2],
                },
            }
        )
    )
    promoted = tmp_path / "promoted.yml"
    args = _args(grid=str(grid), warehouse=str(wh), truth=str(truth_file))
    args.promoted_file = str(promoted)
    assert tune.run(args) == 0
    out = capsys.readouterr().out
    assert "ranked by ari" in out and "linkage=ward" in out
    con = duckdb.connect(str(wh))
    runs = con.execute("select * from cluster_tuning_runs").df()
    tables = {t for (t,) in con.execute("show tables").fetchall()}
    con.close()
    # tune logs to its own table, never into the dbt model's
    assert "cluster_runs" not in tables
    assert runs["run_id"].nunique() == 2 and len(runs) == 4 and set(runs["source"]) == {"tune"}
    assert (runs["ari_n"] == 60).all()
    assert runs.loc[runs["experiment"].str.contains("ward"), "ari"].min() >= 0.95
    best = _args(best=True, warehouse=str(wh), promoted_file=str(promoted))
    assert tune.run(best) == 0
    doc = yaml.safe_load(promoted.read_text())
    assert doc["rank_by"] == "ari" and doc["score"] >= 0.95
    cfg = resolve_config(None, promoted_file=promoted)
    assert cfg["name"].startswith(f"promoted:{doc['run_id']} (default[linkage=")
    bad = tmp_path / "bad.yml"
    bad.write_text("grid: {linkage: [median]}\n")
    assert tune.run(_args(grid=str(bad), warehouse=str(wh), promoted_file="x")) == 2
    assert "choose one of" in capsys.readouterr().err


def test_expand_grid_counts():
    configs = tune.expand_grid(
        {"experiments": ["study"], "grid": {"linkage": ["ward", "average"], "min_sets": [1, 2]}},
        {"study": {"min_sets": 1}, "default": {}},
    )
    assert len(configs) == 5 and configs[0]["name"] == "study"
    assert len({c["name"] for c in configs}) == 5
    assert np.all([validate_config(c) for c in configs])


def test_all_lifts_mode_keeps_sets_of_unknown_lift(data):
    sets, _ = data
    unknown = sets.assign(lift=None)
    pooled = build_features(unknown, {"lifts": "all"})
    assert len(pooled) == 60 and (pooled["n_sets"] == 12).all()
    assert build_features(unknown, {"lifts": "each"}).empty


def test_dbt_support_reads_only_allow_listed_columns(data, tmp_path):
    from liftlab.clustering import dbt_support
    from liftlab.clustering.config import config_hash
    from liftlab.clustering.features import source_columns

    sets, _ = data
    con = duckdb.connect()
    con.register("s", sets.assign(secret="x"))
    cfg = dbt_support.resolve("", {"linkage": "average"}, None, None, tmp_path / "w.duckdb")
    frame = dbt_support.read_columns(con.sql("select * from s"), source_columns(cfg))
    assert "secret" not in frame.columns and "mean_velocity_m_s" in frame.columns
    assert cfg["name"] == "default+linkage"
    assert dbt_support.promoted_file_for(tmp_path / "w.duckdb").name == (
        "w.clustering_promoted.yml"
    )
    # the hash ignores the run's name
    assert config_hash(cfg) == config_hash(dict(cfg, name="other"))
    cfg2 = dbt_support.resolve("", "{linkage: average}", None, None, tmp_path / "w.duckdb")
    assert config_hash(cfg2) == config_hash(cfg)


def test_dbt_runs_log_study_beside_and_take_truth_only_when_named(data, tmp_path):
    from liftlab.clustering import dbt_support

    sets, truth = data
    hashed = {lid: pseudonymize(lid) for lid in truth["lifter_id"]}
    export = tmp_path / "gen.jsonl.gz"
    sets = sets.assign(lifter_id=sets["lifter_id"].map(hashed), source_file=str(export))
    # the generator's truth file beside the export is never picked up by itself
    beside = tmp_path / "gen.truth_lifters.parquet"
    truth.rename(columns={"lifter_id": "user_id"}).to_parquet(beside)
    con = duckdb.connect()
    con.register("s", sets)
    rel = con.sql("select * from s")
    assert dbt_support.ground_truth_path("") is None
    assert dbt_support.ground_truth_path("none") is None
    assert dbt_support.ground_truth_path(str(beside)) == beside
    cfg = validate_config(dict(BLOB_CONFIG, stability_resamples=1, name="blobs"))
    configs = dbt_support.logged_configs(cfg, ["study", "nope", "study"])
    assert [c["name"] for c in configs] == ["blobs", "study"]
    fitted = dbt_support.fit_logged(rel, configs)
    assert fitted.groupby("experiment")["is_in_force"].all().to_dict() == {
        "blobs": True,
        "study": False,
    }
    assert dbt_support.evaluate_runs(fitted, "")["ari"].isna().all()
    runs = dbt_support.evaluate_runs(fitted, str(beside))
    assert list(runs.drop_duplicates("run_id")["experiment"]) == ["blobs", "study"]
    assert runs["run_at"].nunique() == 1
    assert (runs.loc[runs["experiment"] == "blobs", "ari"] >= 0.95).all()
    assert runs["ari_n"].gt(0).all()


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"two_stage_threshold": 10, "micro_clusters": 15},
        {"group_by": "lifter_workout", "imputation": "drop", "two_stage_threshold": 10},
    ],
    ids=["exact", "two_stage", "per_workout_two_stage"],
)
def test_fit_table_round_trip_rebuilds_the_fit(data, extra):
    """The models downstream of the fit rebuild it from its table (through DuckDB, rows in
    any order): the same hierarchy, clusters and metrics as the fit itself."""
    sets, _ = data
    cfg = validate_config(dict(BLOB_CONFIG, stability_resamples=2, **extra))
    feats, fits = pipeline.fit_sets(sets, cfg)
    con = duckdb.connect()
    con.register("fitted", fit_table.fit_table(feats, fits, cfg, in_force=True))
    table = con.sql("select * from fitted order by random()").df()
    [config] = fit_table.configs_of(table)
    assert config == cfg
    rebuilt = fit_table.fits_from_table(table, config)
    assert {f.tree.method for f in rebuilt.values()} == {f.tree.method for f in fits.values()}
    pd.testing.assert_frame_equal(tables.linkage_table(fits), tables.linkage_table(rebuilt))
    pd.testing.assert_frame_equal(tables.pca_table(fits), tables.pca_table(rebuilt))
    at = pd.Timestamp("2026-01-01")
    runs = scores.evaluate(fits, cfg, run_id="r", run_at=at).drop(columns="fit_seconds")
    again = scores.evaluate(rebuilt, cfg, run_id="r", run_at=at).drop(columns="fit_seconds")
    pd.testing.assert_frame_equal(runs, again)


def test_one_lifter_fits_without_a_degenerate_pca(data, recwarn):
    sets, _ = data
    one = sets[sets["lifter_id"] == sets["lifter_id"].iloc[0]]
    _feats, fits = pipeline.fit_sets(one, BLOB_CONFIG)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
    for fit in fits.values():
        assert fit.pca_components[fit.usable, 0].tolist() == [0.0] * int(fit.usable.sum())
        assert np.isnan(fit.pca_variance).all() and len(fit.pca_variance) == 3
