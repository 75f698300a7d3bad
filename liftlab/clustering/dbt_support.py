"""What the thin dbt Python models in ``python_models/clustering/`` call.

The models read their settings with literal ``dbt.config.get(...)`` calls (see the yml) and
hand them here: the configuration is resolved and validated, ``fct_sets`` is read through a
projection of allow-listed column names only, and the fit is memoized per process so the
models of one ``dbt build`` share it.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import yaml

from liftlab.clustering import pipeline
from liftlab.clustering.config import config_hash, resolve_config
from liftlab.clustering.features import source_columns

_LOCK = threading.Lock()
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
        experiments_file=project_path(experiments_file or "config/clustering_experiments.yml"),
        promoted_file=promoted,
    )


def read_sets(relation, cfg: dict[str, Any]):
    """``fct_sets`` as pandas, only the allow-listed columns the configuration needs (through
    Arrow, each column freed once converted: millions of sets)."""
    columns = source_columns(cfg)  # fixed names from config.FEATURES, never user text
    reader = relation.project(", ".join(f'"{c}"' for c in columns)).to_arrow_reader(500_000)
    return reader.read_all().to_pandas(self_destruct=True, split_blocks=True)


def relation_fingerprint(relation, columns: list[str]) -> str:
    """A fingerprint of the rows of ``relation`` (their columns ``columns``), computed in
    DuckDB without reading the rows out; the row order does not change it (nor the fit)."""
    quoted = ", ".join(f'"{c}"' for c in columns)
    row = relation.aggregate(
        f"count(*), sum(hash({quoted})::hugeint), bit_xor(hash({quoted}))"
    ).fetchall()[0]
    return "|".join(str(v) for v in (*row, ",".join(columns)))


def fit(relation, cfg: dict[str, Any]):
    """(features, fits) for the configuration, computed once per process and data: the
    models of one build find it cached and never read ``fct_sets`` again (one model at a
    time reads and fits; the others wait for it)."""
    fingerprint = relation_fingerprint(relation, source_columns(cfg))
    with _LOCK:
        return pipeline.cached_fit_keyed(fingerprint, lambda: read_sets(relation, cfg), cfg)


def ground_truth_path(setting: Any, relation) -> Path | None:
    """The ground-truth file: the setting (var / $LIFTLAB_GROUND_TRUTH) when given; with none,
    the generator's ``<stem>.truth_lifters.parquet`` beside the one export the warehouse
    was built from, if it is there; ``none`` turns ARI off."""
    text = str(setting or "").strip()
    if text.lower() == "none":
        return None
    if text:
        return project_path(text)
    try:
        from liftlab.generator.writer import sidecar_paths
    except ImportError:  # pragma: no cover - the generator is part of liftlab
        return None
    if relation is None or "source_file" not in relation.columns:
        return None
    files = relation.project('"source_file"').distinct().df()["source_file"].dropna()
    if len(files) != 1:
        return None
    candidate = sidecar_paths(Path(str(files.iloc[0])))["truth_lifters"]
    return candidate if candidate.is_file() else None


def truth(setting: Any, relation=None):
    """Ground truth keyed by lifter_id, or None (see :func:`ground_truth_path`)."""
    path = ground_truth_path(setting, relation) if relation is not None else None
    if relation is None and setting and str(setting).lower() != "none":
        path = project_path(str(setting))
    return pipeline.load_truth(str(path)) if path else None


def evaluate_runs(
    relation,
    cfg: dict[str, Any],
    also_log: Any,
    ground_truth: Any,
    experiments_file: Any = None,
):
    """``cluster_runs`` rows of a build: the configuration in force, then each experiment of
    ``also_log`` (e.g. the study's) that differs from it, all with the same time stamp."""
    from datetime import UTC, datetime

    import pandas as pd

    from liftlab.clustering.config import load_experiments

    known = truth(ground_truth, relation)
    run_at = datetime.now(UTC).replace(tzinfo=None)
    names = [also_log] if isinstance(also_log, str) else list(also_log or [])
    configs = [cfg]
    experiments_file = project_path(experiments_file or "config/clustering_experiments.yml")
    experiments = load_experiments(experiments_file) if experiments_file.is_file() else {}
    for name in names:
        if not name or (name not in experiments and name != "default"):
            continue
        other = resolve_config(name, experiments_file=experiments_file)
        if config_hash(other) != config_hash(cfg):
            configs.append(other)
    frames = []
    for c in configs:
        feats, fits = fit(relation, c)
        frames.append(
            pipeline.evaluate(
                fits,
                c,
                truth=known,
                source="dbt",
                data_fingerprint=pipeline.data_fingerprint(feats),
                run_at=run_at,
            )
        )
    return pd.concat(frames, ignore_index=True)


def with_run_keys(frame, cfg: dict[str, Any]):
    """Stamp a table with the experiment name and configuration hash it came from."""
    frame = frame.copy()
    frame["experiment"] = str(cfg.get("name", ""))
    frame["config_hash"] = config_hash(cfg)
    return frame
