"""`liftlab tune --ui` headless: the Streamlit form driven by AppTest on a small warehouse.

What the form shows is checked against the clustering library called directly (features,
fit, evaluate, tables); "log this run" and "promote" against the warehouse's tables and the
promoted file. The warehouse is a copy of the session's small generated one (40 lifters).
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import duckdb
import numpy as np
import pytest
import yaml
from streamlit.testing.v1 import AppTest

from liftlab.clustering import pipeline, scores, tables
from liftlab.clustering.config import DEFAULT_CONFIG, resolve_config, validate_config
from liftlab.clustering.features import build_features
from liftlab.tune_ui import data, view

APP = find_spec("liftlab.tune_ui.app").origin


@pytest.fixture(scope="module")
def warehouse(heavy_faults_warehouse, tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("tune_ui") / "w.duckdb"
    shutil.copy(heavy_faults_warehouse, copy)
    return copy


@pytest.fixture
def env(warehouse, heavy_faults_export, tmp_path, monkeypatch) -> data.Settings:
    from liftlab.generator.writer import sidecar_paths

    monkeypatch.setenv("LIFTLAB_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("LIFTLAB_CLUSTERING_PROMOTED", str(tmp_path / "promoted.yml"))
    # named explicitly, as `liftlab tune --ui --truth FILE` does: never found by itself
    truth = sidecar_paths(heavy_faults_export)["truth_lifters"]
    monkeypatch.setenv("LIFTLAB_GROUND_TRUTH", str(truth))
    return data.Settings.from_environment()


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def _direct(settings: data.Settings, cfg: dict):
    """The library called directly: features, fits, cluster_runs rows."""
    snap = data.read_snapshot(settings)
    cfg = validate_config(cfg)
    feats = build_features(snap.sets, cfg)
    fits = pipeline.fit_clustering(feats, cfg)
    runs = scores.evaluate(fits, cfg, truth=snap.truth, source="tune")
    return feats, fits, runs


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _expected_metrics(row) -> dict[str, str]:
    return {
        label: "n/a" if row[metric] != row[metric] else f"{row[metric]:.3f}"
        for metric, label, _ in view.SCORES
    }


def _values(array) -> list:
    """A plotly array from the figure's JSON (plain list, or typed-array base64)."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


def _charts(at: AppTest) -> dict[str, dict]:
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return {c["layout"]["title"]["text"]: c for c in charts}


def test_default_view_matches_the_library(env):
    at = _app()
    height = at.select_slider(key="cut_height").value
    cfg = {**DEFAULT_CONFIG, "cut": {"method": "height", "value": height}}
    feats, fits, runs = _direct(env, cfg)
    fit = fits["all"]
    # the slider starts at the stop nearest the default cut (0.4 x the largest merge)
    stops = list(view.cut_options(fit.tree.z))
    assert height == view.nearest(stops, 0.4 * fit.tree.z[:, 2].max())
    row = runs.iloc[0]
    assert _metrics(at) == _expected_metrics(row)
    assert row["ari"] == row["ari"], "the generated warehouse has ground truth"
    assert (
        at.subheader[0].value == f"all: {row['n_clusters']} clusters of {row['n_training']} lifters"
    )
    charts = _charts(at)
    cut_trace = [t for t in charts["dendrogram (last 25 merges)"]["data"] if t["name"] != "merges"]
    assert _values(cut_trace[0]["y"]) == pytest.approx([fit.height, fit.height])
    scatter = charts["PCA (3-D)"]["data"]
    assert all(t["type"] == "scatter3d" for t in scatter)
    assert sum(len(_values(t["x"])) for t in scatter) == int(fit.usable.sum())
    assert len(scatter) == row["n_clusters"]
    shown = at.dataframe[0].value
    expected = view.profile_frame(tables.profiles_table(feats, fits, cfg), "all")
    assert shown.reset_index(drop=True).equals(expected.reset_index(drop=True))
    assert shown["n_members"].tolist() == json.loads(row["cluster_sizes"])


def test_changing_settings_reclusters_with_only_valid_pairs(env):
    at = _app()
    assert at.selectbox(key="distance").options == ["euclidean"]  # ward
    at.selectbox(key="linkage").set_value("average").run()
    assert "cosine" in at.selectbox(key="distance").options
    at.selectbox(key="distance").set_value("cosine").run()
    at.radio(key="cut_mode").set_value("n_clusters").run()
    at.slider(key="n_clusters").set_value(3).run()
    at.multiselect(key="aggs").set_value(["mean", "median"]).run()
    assert not at.exception and not at.error
    cfg = {
        **DEFAULT_CONFIG,
        "linkage": "average",
        "distance": "cosine",
        "aggregators": ["mean", "median"],
        "cut": {"method": "n_clusters", "value": 3},
    }
    _, _, runs = _direct(env, cfg)
    assert _metrics(at) == _expected_metrics(runs.iloc[0])
    assert runs.iloc[0]["n_clusters"] == 3
    # back to ward: the distance falls back to the only valid one
    at.selectbox(key="linkage").set_value("ward").run()
    assert at.selectbox(key="distance").value == "euclidean"
    assert not at.error


def test_moving_the_cut_slider_changes_the_clusters(env):
    at = _app()
    slider = at.select_slider(key="cut_height")
    before = at.subheader[0].value
    _, fits, _ = _direct(
        env, {**DEFAULT_CONFIG, "cut": {"method": "height", "value": slider.value}}
    )
    stops = view.cut_options(fits["all"].tree.z)
    heights = list(stops)
    assert len(slider.options) == len(heights)
    higher = heights[heights.index(slider.value) + 1]  # one merge up: one cluster fewer
    slider.set_value(higher).run()
    _, _, runs = _direct(env, {**DEFAULT_CONFIG, "cut": {"method": "height", "value": higher}})
    row = runs.iloc[0]
    assert row["n_clusters"] == stops[higher]
    assert (
        at.subheader[0].value == f"all: {row['n_clusters']} clusters of {row['n_training']} lifters"
    )
    assert at.subheader[0].value != before
    assert _metrics(at) == _expected_metrics(row)


def test_invalid_settings_are_explained_in_the_form(env):
    at = _app()
    at.multiselect(key="features").set_value([]).run()
    assert not at.exception
    assert "features must be a non-empty list" in at.error[0].value


def test_log_and_promote(env):
    at = _app()
    (log,) = [b for b in at.button if b.label == "log this run"]
    log.click().run()
    assert not at.exception and "logged run" in at.success[0].value
    run_id = at.success[0].value.split()[2]
    with duckdb.connect(str(env.warehouse), read_only=True) as con:
        logged = con.execute("select * from cluster_tuning_runs where run_id = ?", [run_id]).df()
        in_build_log = con.execute("select count(*) from cluster_runs where run_id = ?", [run_id])
        assert in_build_log.fetchall() == [(0,)]
    assert len(logged) == 1 and logged["source"].iloc[0] == "tune"
    height = at.select_slider(key="cut_height").value
    logged_cfg = json.loads(logged["config_json"].iloc[0])
    assert logged_cfg["cut"] == {"method": "height", "value": height}
    _, _, runs = _direct(env, {**DEFAULT_CONFIG, "cut": {"method": "height", "value": height}})
    for metric, _, _ in view.SCORES:
        assert logged[metric].iloc[0] == pytest.approx(runs[metric].iloc[0], nan_ok=True)
    # logging the same run again adds nothing
    next(b for b in at.button if b.label == "log this run").click().run()
    assert "already logged" in at.info[0].value
    shown = at.dataframe[1].value
    assert shown["run_id"].iloc[0] == run_id and shown["linkage"].iloc[0] == "ward"

    at.selectbox(key="promote_run").set_value(run_id).run()
    next(b for b in at.button if b.label == "promote").click().run()
    assert not at.exception and f"promoted run {run_id}" in at.success[0].value
    doc = yaml.safe_load(Path(env.promoted_file).read_text())
    assert doc["run_id"] == run_id and doc["config"] == logged_cfg
    with duckdb.connect(str(env.warehouse), read_only=True) as con:
        promotions = con.execute("select run_id from cluster_promotions").fetchall()
    assert (run_id,) in promotions
    # what the next dbt build resolves: the logged configuration
    resolved = resolve_config(None, promoted_file=env.promoted_file)
    assert {k: v for k, v in resolved.items() if k != "name"} == {
        k: v for k, v in logged_cfg.items() if k != "name"
    }


def test_a_build_holding_the_lock_is_reported(env):
    at = _app()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', "
            "flush=True); time.sleep(60)",
            str(env.warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        # the form holds no connection once it has read the warehouse: a writer gets in
        assert holder.stdout.readline().strip() == "ready"
        next(b for b in at.button if b.label == "log this run").click().run()
        assert not at.exception
        assert "locked by another process" in at.error[0].value
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("state", ["missing", "unbuilt", "empty"])
def test_missing_unbuilt_or_empty_warehouse(state, tmp_path, monkeypatch):
    path = tmp_path / "w.duckdb"
    if state != "missing":
        with duckdb.connect(str(path)) as con:
            con.execute("create table t (x int)")
            if state == "empty":
                con.execute("create table fct_sets (set_id varchar, lifter_id varchar)")
    monkeypatch.setenv("LIFTLAB_WAREHOUSE", str(path))
    at = _app()
    message = {"missing": "no warehouse at", "unbuilt": "never built", "empty": "nothing to"}
    assert message[state] in at.error[0].value
    assert not at.metric


def test_a_real_export_one_lifter(sample_warehouse, tmp_path, monkeypatch):
    """The real sample has one lifter: the form says so, and clusters its workouts."""
    monkeypatch.setenv("LIFTLAB_WAREHOUSE", str(sample_warehouse))
    monkeypatch.setenv("LIFTLAB_CLUSTERING_PROMOTED", str(tmp_path / "promoted.yml"))
    at = _app()
    if at.warning:
        assert "fewer than two lifters" in at.warning[0].value
    at.radio(key="group_by").set_value("lifter_workout").run()
    assert not at.exception and not at.error and not at.warning
    assert "clusters of" in at.subheader[0].value and "lifter-workouts" in at.subheader[0].value
    assert _metrics(at)["ARI vs truth"] == "n/a"  # no generator truth for a real export


def test_ui_command_binds_to_loopback():
    from liftlab.cli import build_parser
    from liftlab.commands import tune

    args = build_parser("tune").parse_args(["tune", "--ui", "--port", "8999", "--warehouse", "w"])
    command, env = tune.ui_command(args)
    assert command[1:4] == ["-m", "streamlit", "run"] and command[4] == APP
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    assert command[command.index("--server.port") + 1] == "8999"
    assert command[command.index("--browser.gatherUsageStats") + 1] == "false"
    assert env["LIFTLAB_WAREHOUSE"] == str(Path("w").resolve())
