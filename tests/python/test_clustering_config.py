"""Clustering configuration: allow-lists, errors naming the valid choices, experiments."""

from __future__ import annotations

from pathlib import Path

import pytest

from liftlab.clustering.config import (
    DEFAULT_CONFIG,
    ConfigError,
    load_experiments,
    resolve_config,
    validate_config,
)

ROOT = Path(__file__).resolve().parents[2]
EXPERIMENTS = ROOT / "config" / "clustering_experiments.yml"


def test_defaults_validate():
    cfg = validate_config({})
    assert cfg["linkage"] == "ward" and cfg["distance"] == "euclidean"
    assert cfg["cut"] == {"method": "fraction", "value": 0.4} and cfg["lifts"] == "all"
    assert set(cfg) == set(DEFAULT_CONFIG)


@pytest.mark.parametrize(
    ("override", "expected_in_message"),
    [
        ({"linkage": "median"}, "ward, complete, average, single, weighted, centroid"),
        ({"features": ["mean_velocity", "bogus"]}, "mean_velocity"),
        ({"features": ["x; drop table fct_sets"]}, "choose one of: rpe, load"),
        ({"aggregators": ["mode"]}, "mean, median, min, max, std, p90"),
        ({"scaler": "minmax"}, "standard, robust"),
        ({"linkage": "ward", "distance": "cosine"}, "valid distances for it: euclidean"),
        ({"linkage": "centroid", "distance": "cityblock"}, "euclidean"),
        ({"distance": "hamming", "linkage": "average"}, "euclidean, sqeuclidean"),
        ({"cut": {"method": "percent", "value": 1}}, "fraction, height, n_clusters"),
        ({"cut": {"method": "fraction", "value": 1.5}}, "between 0.0 and 1.0"),
        ({"cut": {"method": "n_clusters", "value": 2.5}}, "integer"),
        ({"group_by": "workout"}, "lifter, lifter_workout"),
        ({"lifts": ["squat", "curl"]}, "bench_press"),
        ({"imputation": "knn"}, "median, mean, zero, drop"),
        ({"min_sets": 0}, ">= 1"),
        ({"linkge": "ward"}, "valid keys"),
    ],
)
def test_invalid_values_list_choices(override, expected_in_message):
    with pytest.raises(ConfigError) as err:
        validate_config(override)
    assert expected_in_message in str(err.value)


def test_lists_accept_comma_strings_and_dedupe():
    cfg = validate_config({"features": "rom, rom,mean_velocity", "lifts": ["squat", "squat"]})
    assert cfg["features"] == ["rom", "mean_velocity"]
    assert cfg["lifts"] == ["squat"]


def test_experiments_file_has_default_and_study():
    experiments = load_experiments(EXPERIMENTS)
    assert {"default", "study"} <= set(experiments)
    for name in experiments:
        validate_config(experiments[name])
    study = resolve_config("study", experiments_file=EXPERIMENTS)
    assert study["linkage"] == "ward" and study["scaler"] == "standard"
    assert study["aggregators"] == ["mean"] and study["lifts"] == "each"
    assert study["cut"] == {"method": "fraction", "value": 0.55}
    assert len(study["features"]) == 9


def test_resolve_overrides_and_promoted(tmp_path):
    cfg = resolve_config(
        "study",
        {"linkage": "average", "distance": "cosine", "seed": "", "cut_method": None},
        experiments_file=EXPERIMENTS,
    )
    assert (cfg["linkage"], cfg["distance"], cfg["seed"]) == ("average", "cosine", 42)
    cfg = resolve_config(
        None, {"cut_method": "n_clusters", "cut_value": 4}, experiments_file=EXPERIMENTS
    )
    assert cfg["cut"] == {"method": "n_clusters", "value": 4}
    assert cfg["name"] == "default+cut_method,cut_value"
    promoted = tmp_path / "promoted.yml"
    promoted.write_text("run_id: abc\nconfig: {linkage: complete, distance: cityblock}\n")
    cfg = resolve_config(None, experiments_file=EXPERIMENTS, promoted_file=promoted)
    assert cfg["linkage"] == "complete" and cfg["name"] == "promoted:abc"
    # a named experiment wins over the promoted one
    assert (
        resolve_config("study", experiments_file=EXPERIMENTS, promoted_file=promoted)["linkage"]
        == "ward"
    )
    with pytest.raises(ConfigError, match="valid experiments"):
        resolve_config("nope", experiments_file=EXPERIMENTS)
