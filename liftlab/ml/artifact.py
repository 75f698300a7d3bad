"""The versioned exercise-classifier artifact.

Layout under the artifact root (default ``<warehouse dir>/models/exercise_classifier``)::

    <version>/model.joblib      the fitted sklearn Pipeline (joblib, as sklearn recommends)
    <version>/manifest.json     version, model name, feature list, classes, config, sizes
    <version>/metrics.json      the cross-validation metrics rows (ml_classifier_metrics)
    <version>/confusion.json    the confusion rows (ml_confusion_matrix)
    <version>/cross_fitted.parquet  out-of-fold set probabilities of the labelled sets
    LATEST                      the version written last

The version is ``<model name>-<12 hex>``, a digest of the configuration, the library versions
and the training data, so the same data and seed give the same version (and a rerun simply
rewrites the same directory). Loading a pickle runs code: only load artifacts you wrote.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import sklearn

from liftlab.ml.config import ClassifierConfig
from liftlab.ml.evaluation import TrainingResult

ARTIFACT_SUBDIR = Path("models") / "exercise_classifier"
LATEST = "LATEST"


def default_root(warehouse: str | os.PathLike | None) -> Path:
    """``<dir of the warehouse file>/models/exercise_classifier`` (``warehouse/`` by default)."""
    if warehouse is None or str(warehouse) in ("", ":memory:"):
        return Path("warehouse") / ARTIFACT_SUBDIR
    return Path(warehouse).resolve().parent / ARTIFACT_SUBDIR


def _records(frame: pd.DataFrame) -> list[dict]:
    clean = frame.astype(object).where(pd.notna(frame), None)
    return clean.to_dict(orient="records")


DIGEST_CHUNK_ROWS = 500_000


def training_digest(result: TrainingResult, training: pd.DataFrame) -> str:
    return digest_of(
        result.model_name, result.config, result.feature_columns, result.classes, training
    )


def digest_of(
    model_name: str,
    config: ClassifierConfig,
    feature_columns: list[str],
    classes: list[str],
    training: pd.DataFrame,
) -> str:
    """Content digest of a model to be trained: its name, settings, features, classes and
    the labelled reps it learns from (known before the fit, so the evaluation names the
    version the fit will save)."""
    h = hashlib.sha256()
    payload = {
        "model": model_name,
        "config": config.result_settings(),
        "features": list(feature_columns),
        "classes": list(classes),
        "sklearn": sklearn.__version__,
    }
    h.update(json.dumps(payload, sort_keys=True).encode())
    cols = ["set_id", "typed_lift", *feature_columns]
    keys = ["set_id", *feature_columns[:1]]
    # row hashes in sorted order, a chunk of rows at a time (no full copy of the training)
    order = training[keys].reset_index(drop=True).sort_values(keys, kind="stable").index
    for start in range(0, len(order), DIGEST_CHUNK_ROWS):
        chunk = training.iloc[order[start : start + DIGEST_CHUNK_ROWS]][cols]
        h.update(pd.util.hash_pandas_object(chunk, index=False).to_numpy().tobytes())
    return h.hexdigest()[:12]


def version_of(model_name: str, config, feature_columns, classes, training) -> str:
    """The artifact version :func:`save_artifact` gives this model: ``<name>-<digest>``."""
    return f"{model_name}-{digest_of(model_name, config, feature_columns, classes, training)}"


def save_artifact(
    result: TrainingResult, training: pd.DataFrame, root: str | os.PathLike
) -> tuple[str, Path]:
    """Write the artifact; return (version, directory). ``training`` = the labelled reps used."""
    version = f"{result.model_name}-{training_digest(result, training)}"  # = version_of(...)
    directory = Path(root) / version
    directory.mkdir(parents=True, exist_ok=True)
    joblib.dump(result.model, directory / "model.joblib")
    manifest = {
        "version": version,
        "model_name": result.model_name,
        "feature_columns": result.feature_columns,
        "classes": result.classes,
        "config": result.config.to_dict(),
        "n_training_reps": result.n_training_reps,
        "n_training_sets": result.n_training_sets,
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    (directory / "metrics.json").write_text(json.dumps(_records(result.metrics), indent=2))
    (directory / "confusion.json").write_text(json.dumps(_records(result.confusion), indent=2))
    if result.cross_fitted is not None:
        cross = result.cross_fitted.copy()
        cross.columns = [str(c) for c in cross.columns]
        cross.reset_index(names="set_id").to_parquet(directory / "cross_fitted.parquet")
    mark_latest(root, version)
    return version, directory


def mark_latest(root: str | os.PathLike, version: str) -> None:
    """Name ``version`` in LATEST (what ``liftlab classify`` loads by default)."""
    (Path(root) / LATEST).write_text(version + "\n")


@dataclass
class LoadedArtifact:
    version: str
    directory: Path
    model: object
    manifest: dict

    @property
    def feature_columns(self) -> list[str]:
        return list(self.manifest["feature_columns"])

    @property
    def model_name(self) -> str:
        return str(self.manifest["model_name"])

    @property
    def config(self) -> ClassifierConfig:
        return ClassifierConfig.from_mapping(self.manifest.get("config"))

    def metrics(self) -> pd.DataFrame:
        return pd.DataFrame(json.loads((self.directory / "metrics.json").read_text()))

    def confusion(self) -> pd.DataFrame:
        return pd.DataFrame(json.loads((self.directory / "confusion.json").read_text()))

    def cross_fitted(self) -> pd.DataFrame | None:
        path = self.directory / "cross_fitted.parquet"
        if not path.exists():
            return None
        return pd.read_parquet(path).set_index("set_id")


def load_artifact(root: str | os.PathLike, version: str | None = None) -> LoadedArtifact:
    """Load ``version`` (default: the one named in LATEST) from the artifact root.

    ``root`` may also be a version directory itself (one holding ``model.joblib``).
    """
    root = Path(root)
    if (root / "model.joblib").exists() and version is None:
        directory = root
    else:
        if version is None:
            latest = root / LATEST
            if not latest.exists():
                raise FileNotFoundError(
                    f"no classifier artifact under {root}: build the warehouse first "
                    "(its classifier models train and save one)"
                )
            version = latest.read_text().strip()
        directory = root / version
    if not (directory / "model.joblib").exists():
        raise FileNotFoundError(f"classifier artifact not found: {directory}")
    manifest = json.loads((directory / "manifest.json").read_text())
    model = joblib.load(directory / "model.joblib")
    return LoadedArtifact(manifest["version"], directory, model, manifest)
