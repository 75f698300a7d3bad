"""What the thin dbt Python models in ``python_models/clustering/`` call.

The models read their settings with literal ``dbt.config.get(...)`` calls (see the yml) and
hand them here. ``int_lifter_clusters_fitted`` is the one model that resolves the
configuration and fits (:func:`fit_logged`: ``fct_sets`` read through a projection of
allow-listed column names only); the configuration travels in its rows (``config_json``),
and the models downstream ``ref`` that table (:func:`in_force`, :func:`evaluate_runs`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from liftlab.clustering import fit_table, pipeline, scores
from liftlab.clustering.config import DEFAULT_EXPERIMENTS_FILE, config_hash, resolve_config
from liftlab.clustering.features import source_columns

PROMOTED_SUFFIX = ".clustering_promoted.yml"


def project_path(path: str | os.PathLike) -> Path:
    """A path from the settings: absolute as given, else relative to the dbt project."""
    p = Path(path)
    if p.is_absolute():
        return p
    from liftlab.warehouse import project_dir

    return project_dir() / p


def promoted_file_for(warehouse: str | os.PathLike) -> Path:
    """The promoted configuration lives beside the warehouse it was tuned on."""
    w = project_path(warehouse)
    return w.with_name(w.stem + PROMOTED_SUFFIX)


def _overrides(value: Any) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    if isinstance(value, str):  # a rendered var may arrive as its text
        value = yaml.safe_load(value)
    if not isinstance(value, dict):
        raise TypeError(f"clustering var must be a mapping of settings, got {value!r}")
    return value


def resolve(
    experiment: Any,
    overrides: Any,
    experiments_file: Any,
    promoted_file: Any,
    warehouse: Any,
) -> dict[str, Any]:
    """The configuration in force for a dbt run (see ``config.resolve_config``)."""
    promoted = project_path(promoted_file) if promoted_file else promoted_file_for(warehouse)
    return resolve_config(
        str(experiment or "") or None,
        _overrides(overrides),
        experiments_file=project_path(experiments_file or DEFAULT_EXPERIMENTS_FILE),
        promoted_file=promoted,
    )


def read_columns(relation, columns: list[str]):
    """Columns of ``relation`` as pandas (through Arrow, each column freed once converted:
    millions of sets); ``columns`` are fixed names from config.FEATURES, never user text."""
    reader = relation.project(", ".join(f'"{c}"' for c in columns)).to_arrow_reader(500_000)
    return reader.read_all().to_pandas(self_destruct=True, split_blocks=True)


def logged_configs(
    cfg: dict[str, Any], also_log: Any, experiments_file: Any = None
) -> list[dict[str, Any]]:
    """The configuration in force, then each experiment of ``also_log`` (e.g. the study's)
    that differs from it: what a build fits and logs in ``cluster_runs``."""
    from liftlab.clustering.config import load_experiments

    names = [also_log] if isinstance(also_log, str) else list(also_log or [])
    configs = [cfg]
    experiments_file = project_path(experiments_file or DEFAULT_EXPERIMENTS_FILE)
    experiments = load_experiments(experiments_file) if experiments_file.is_file() else {}
    for name in names:
        if not name or (name not in experiments and name != "default"):
            continue
        other = resolve_config(name, experiments_file=experiments_file)
        if all(config_hash(other) != config_hash(c) for c in configs):
            configs.append(other)
    return configs


def fit_logged(relation, configs: list[dict[str, Any]]):
    """The fit table of ``configs`` (the first is the one in force) over ``fct_sets``:
    ``liftlab.clustering.fit_table.fit_table`` of each, from one read of the columns they
    need, ordered by set."""
    import pandas as pd

    from liftlab.clustering.features import build_features

    columns: list[str] = []
    for cfg in configs:
        columns += [c for c in source_columns(cfg) if c not in columns]
    # in set order: the aggregates (and so the fit) do not depend on how fct_sets is stored
    sets = read_columns(relation.order('"set_id"'), columns)
    frames = []
    for i, cfg in enumerate(configs):
        feats = build_features(sets, cfg)
        fits = pipeline.fit_clustering(feats, cfg)
        frames.append(fit_table.fit_table(feats, fits, cfg, in_force=i == 0))
    return pd.concat(frames, ignore_index=True)


def in_force(relation):
    """(rows of the configuration in force, that configuration) of the fit table."""
    frame = relation.filter("is_in_force").df()
    configs = fit_table.configs_of(frame)
    return frame, (configs[0] if configs else None)


def ground_truth_path(setting: Any) -> Path | None:
    """The ground-truth file the setting names (var ``clustering_ground_truth``, or
    ``liftlab tune --truth``), or None when it names none (empty, or ``none``). Never a
    file guessed from the export's name: truth comes in only when someone says where."""
    text = str(setting or "").strip()
    if not text or text.lower() == "none":
        return None
    return project_path(text)


def truth(setting: Any):
    """Ground truth keyed by lifter_id, or None (see :func:`ground_truth_path`)."""
    path = ground_truth_path(setting)
    return scores.load_truth(str(path)) if path else None


def evaluate_runs(fitted, ground_truth: Any):
    """``cluster_runs`` rows of a build from the fit table ``fitted``: the configuration in
    force, then the others it holds (``clustering_also_log``), all with the same time
    stamp; ARI against the ground truth (see :func:`ground_truth_path`)."""
    from datetime import UTC, datetime

    import pandas as pd

    known = truth(ground_truth)
    run_at = datetime.now(UTC).replace(tzinfo=None)
    frames = [pd.DataFrame(columns=scores.RUN_COLUMNS)]
    for cfg in fit_table.configs_of(fitted):
        rows = fitted[fitted["config_hash"] == config_hash(cfg)]
        frames.append(
            scores.evaluate(
                fit_table.fits_from_table(rows, cfg),
                cfg,
                truth=known,
                source="dbt",
                data_fingerprint=str(rows["data_fingerprint"].iloc[0]),
                run_at=run_at,
            )
        )
    return pd.concat(frames[1:] or frames, ignore_index=True)


def with_run_keys(frame, cfg: dict[str, Any]):
    """Stamp a table with the experiment name and configuration hash it came from."""
    frame = frame.copy()
    frame["experiment"] = str(cfg.get("name", ""))
    frame["config_hash"] = config_hash(cfg)
    return frame
