"""Clustering configuration: allow-lists, defaults, named experiments and validation.

Every value that shapes a clustering run is checked here against an allow-list before it
reaches pandas, scipy or SQL; an invalid value raises :class:`ConfigError` naming the valid
choices. Feature names map to fixed column names of ``fct_sets`` (see ``FEATURES``), so a
user-supplied string is never interpolated into a query.

A configuration is a plain dict (it is logged as JSON in ``cluster_runs``)::

    lifts: all             # all = every set of a lifter pooled; each = one clustering per
                           # lift (the study); or a list of lifts, each clustered apart
    group_by: lifter       # lifter | lifter_workout
    features: [mean_velocity, ...]
    aggregators: [mean]    # mean median min max std p90
    imputation: median     # median | mean | zero | drop
    scaler: standard       # standard | robust | none
    linkage: ward          # ward complete average single weighted centroid
    distance: euclidean    # ward and centroid need euclidean
    cut: {method: fraction, value: 0.4}    # fraction | height | n_clusters
    min_sets: 3            # lifters with fewer sets are assigned, not trained on
    holdout_fraction: 0.0  # share of eligible lifters held out of training, then assigned
    neighbors: 1           # k of the nearest-neighbour assignment model
    seed: 42
    stability_resamples: 10
    stability_fraction: 0.8
    two_stage_threshold: 5000   # above this many training rows: MiniBatchKMeans + linkage
    micro_clusters: 1000
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from liftlab.lifts import LIFTS


class ConfigError(ValueError):
    """An invalid clustering configuration value."""


# feature name -> (fct_sets column, unit). `relative_load` is derived (load / best load).
FEATURES: dict[str, tuple[str, str]] = {
    "rpe": ("rpe", "RPE"),
    "load": ("load_kg", "kg"),
    "rep_count": ("rep_count_usable", "reps"),
    "rom": ("rom_mm_mean", "mm"),
    "mean_velocity": ("mean_velocity_m_s", "m/s"),
    "peak_velocity": ("peak_velocity_m_s_mean", "m/s"),
    "peak_velocity_location": ("peak_velocity_location_pct_mean", "%"),
    "duration": ("duration_s_mean", "s"),
    "peak_acceleration": ("peak_acceleration_m_s2_mean", "m/s2"),
    "velocity_loss": ("velocity_loss_pct", "%"),
    "relative_load": ("load_kg", "fraction of best load"),
}
AGGREGATORS = ("mean", "median", "min", "max", "std", "p90")
LIFT_MODES = ("each", "all")
GROUP_BYS = ("lifter", "lifter_workout")
IMPUTATIONS = ("median", "mean", "zero", "drop")
SCALERS = ("standard", "robust", "none")
LINKAGES = ("ward", "complete", "average", "single", "weighted", "centroid")
DISTANCES = (
    "euclidean",
    "sqeuclidean",
    "cityblock",
    "chebyshev",
    "cosine",
    "correlation",
    "canberra",
    "braycurtis",
    "minkowski",
)
EUCLIDEAN_ONLY_LINKAGES = ("ward", "centroid")
CUT_METHODS = ("fraction", "height", "n_clusters")

DEFAULT_CONFIG: dict[str, Any] = {
    "lifts": "all",
    "group_by": "lifter",
    "features": [
        "mean_velocity",
        "peak_velocity",
        "peak_velocity_location",
        "rom",
        "velocity_loss",
        "rep_count",
        "rpe",
        "duration",
    ],
    "aggregators": ["mean"],
    "imputation": "median",
    "scaler": "standard",
    "linkage": "ward",
    "distance": "euclidean",
    "cut": {"method": "fraction", "value": 0.4},
    "min_sets": 3,
    "holdout_fraction": 0.0,
    "neighbors": 1,
    "seed": 42,
    "stability_resamples": 10,
    "stability_fraction": 0.8,
    "two_stage_threshold": 5000,
    "micro_clusters": 1000,
}

DEFAULT_EXPERIMENTS_FILE = Path("config/clustering_experiments.yml")


def _choices(values) -> str:
    return ", ".join(str(v) for v in values)


def _one_of(key: str, value: Any, allowed) -> Any:
    if value not in allowed:
        raise ConfigError(f"{key}={value!r} is not valid; choose one of: {_choices(allowed)}")
    return value


def _list_of(key: str, value: Any, allowed) -> list[str]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list | tuple) or not value:
        raise ConfigError(f"{key} must be a non-empty list; valid values: {_choices(allowed)}")
    out: list[str] = []
    for item in value:
        _one_of(key, item, allowed)
        if item not in out:
            out.append(item)
    return out


def _number(key: str, value: Any, *, lo: float, hi: float | None = None, integer=False):
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{key} must be a number, got {value!r}") from None
    if integer:
        if float(value) != int(value):
            raise ConfigError(f"{key} must be an integer, got {value!r}")
        value = int(value)
    if value < lo or (hi is not None and value > hi):
        bound = f">= {lo}" if hi is None else f"between {lo} and {hi}"
        raise ConfigError(f"{key} must be {bound}, got {value!r}")
    return value


def validate_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``config`` over the defaults, check every value, return a normalized copy."""
    unknown = sorted(set(config) - set(DEFAULT_CONFIG) - {"name", "description"})
    if unknown:
        raise ConfigError(
            f"unknown configuration key(s) {unknown}; valid keys: {_choices(DEFAULT_CONFIG)}"
        )
    cfg = copy.deepcopy(DEFAULT_CONFIG)
    cfg.update({k: copy.deepcopy(v) for k, v in config.items() if v is not None})

    lifts = cfg["lifts"]
    if isinstance(lifts, str) and lifts in LIFT_MODES:
        pass
    else:
        cfg["lifts"] = _list_of("lifts", lifts, (*LIFT_MODES, *LIFTS))
        if any(x in LIFT_MODES for x in cfg["lifts"]):
            if len(cfg["lifts"]) > 1:
                raise ConfigError("lifts: 'each'/'all' cannot be combined with lift names")
            cfg["lifts"] = cfg["lifts"][0]
    _one_of("group_by", cfg["group_by"], GROUP_BYS)
    cfg["features"] = _list_of("features", cfg["features"], FEATURES)
    cfg["aggregators"] = _list_of("aggregators", cfg["aggregators"], AGGREGATORS)
    _one_of("imputation", cfg["imputation"], IMPUTATIONS)
    _one_of("scaler", cfg["scaler"], SCALERS)
    _one_of("linkage", cfg["linkage"], LINKAGES)
    _one_of("distance", cfg["distance"], DISTANCES)
    if cfg["linkage"] in EUCLIDEAN_ONLY_LINKAGES and cfg["distance"] != "euclidean":
        raise ConfigError(
            f"linkage={cfg['linkage']!r} needs distance='euclidean' "
            f"(got {cfg['distance']!r}); valid distances for it: euclidean"
        )
    cut = cfg["cut"]
    if not isinstance(cut, Mapping) or set(cut) != {"method", "value"}:
        raise ConfigError(
            "cut must be a mapping {method, value}; methods: " + _choices(CUT_METHODS)
        )
    cut = dict(cut)
    _one_of("cut.method", cut["method"], CUT_METHODS)
    if cut["method"] == "fraction":
        cut["value"] = float(_number("cut.value", cut["value"], lo=0.0, hi=1.0))
    elif cut["method"] == "height":
        cut["value"] = float(_number("cut.value", cut["value"], lo=0.0))
    else:
        cut["value"] = _number("cut.value", cut["value"], lo=1, integer=True)
    cfg["cut"] = cut
    cfg["min_sets"] = _number("min_sets", cfg["min_sets"], lo=1, integer=True)
    cfg["holdout_fraction"] = float(
        _number("holdout_fraction", cfg["holdout_fraction"], lo=0.0, hi=0.9)
    )
    cfg["neighbors"] = _number("neighbors", cfg["neighbors"], lo=1, hi=50, integer=True)
    cfg["seed"] = _number("seed", cfg["seed"], lo=0, integer=True)
    cfg["stability_resamples"] = _number(
        "stability_resamples", cfg["stability_resamples"], lo=0, hi=1000, integer=True
    )
    cfg["stability_fraction"] = float(
        _number("stability_fraction", cfg["stability_fraction"], lo=0.1, hi=1.0)
    )
    cfg["two_stage_threshold"] = _number(
        "two_stage_threshold", cfg["two_stage_threshold"], lo=10, integer=True
    )
    cfg["micro_clusters"] = _number("micro_clusters", cfg["micro_clusters"], lo=2, integer=True)
    return cfg


def config_json(cfg: Mapping[str, Any]) -> str:
    """Canonical JSON of a configuration (sorted keys): what ``cluster_runs`` logs."""
    return json.dumps(cfg, sort_keys=True, separators=(",", ":"))


def config_hash(cfg: Mapping[str, Any]) -> str:
    """Short digest of the clustering settings (name and description excluded): equal
    settings give equal hashes, whatever the run was called; joins tables to runs."""
    import hashlib

    logged = {k: v for k, v in cfg.items() if k not in ("name", "description")}
    return hashlib.sha256(config_json(logged).encode()).hexdigest()[:16]


def load_experiments(path: str | Path = DEFAULT_EXPERIMENTS_FILE) -> dict[str, dict[str, Any]]:
    """Named experiments from a YAML file with a top-level ``experiments:`` mapping."""
    with open(path, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh) or {}
    experiments = doc.get("experiments", doc)
    if not isinstance(experiments, Mapping):
        raise ConfigError(f"{path}: expected a mapping of experiment name -> settings")
    return {str(name): dict(settings or {}) for name, settings in experiments.items()}


def resolve_config(
    experiment: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    experiments_file: str | Path = DEFAULT_EXPERIMENTS_FILE,
    promoted_file: str | Path | None = None,
) -> dict[str, Any]:
    """The configuration in force, validated.

    Precedence: ``overrides`` (dbt vars of a one-off run; empty strings / None ignored) over
    the named ``experiment``; with no experiment named, the promoted configuration (written
    by ``liftlab tune --best``) when ``promoted_file`` exists, else ``default``.
    """
    base: dict[str, Any]
    name = (experiment or "").strip()
    if not name and promoted_file and Path(promoted_file).is_file():
        with open(promoted_file, encoding="utf-8") as fh:
            promoted = yaml.safe_load(fh) or {}
        base = dict(promoted.get("config") or {})
        origin = base.get("name")
        base["name"] = f"promoted:{promoted.get('run_id', '?')}" + (
            f" ({origin})" if origin else ""
        )
    else:
        name = name or "default"
        experiments = load_experiments(experiments_file) if Path(experiments_file).is_file() else {}
        if name not in experiments and name != "default":
            raise ConfigError(
                f"experiment {name!r} not found in {experiments_file}; "
                f"valid experiments: {_choices(sorted(experiments) or ['default'])}"
            )
        base = dict(experiments.get(name, {}))
        base["name"] = name
    applied = []
    for key, value in (overrides or {}).items():
        if value is None or (isinstance(value, str) and value.strip() == ""):
            continue
        applied.append(key)
        if key.startswith("cut_") and key in ("cut_method", "cut_value"):
            cut = dict(base.get("cut") or DEFAULT_CONFIG["cut"])
            cut[key[4:]] = value
            base["cut"] = cut
        else:
            base[key] = value
    if applied:
        base["name"] = f"{base['name']}+{','.join(sorted(applied))}"
    return validate_config(base)
