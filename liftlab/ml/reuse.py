"""Train only on change: what the classifier models keep from the last build.

A classifier model's result depends only on what it learns from (the labelled reps of the
six lifts, with their features), its settings, the libraries and liftlab's own training
code. Each of these goes into a content digest; a model whose own table, as the last build
left it (a rebuild carries it over: ``liftlab.publish.CARRIED_TABLES``), was computed from
the same digest returns that table instead of computing it again. The table is read from
the warehouse like any relation (``dbt.this``), never from a file.

* ``ml_classifier_metrics`` keeps its cross-validation (``training_digest``; the scores,
  confusion counts and ``evaluated_at`` of the build that ran it).
* ``ml_classifier_out_of_fold`` keeps the chosen model's out-of-fold probabilities (keyed
  by ``model_version``, itself the digest of the chosen model's training).
* ``fct_set_exercise_predictions`` loads the saved model of that version instead of
  fitting it again (the artifact is the model, not rows), and labels every set with it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from liftlab.ml.artifact import digest_of, load_artifact
from liftlab.ml.config import ClassifierConfig

# the code whose change changes a score: a digest of it is part of every training digest
TRAINING_CODE = ("config.py", "estimators.py", "evaluation.py", "features.py", "neighbours.py")


@cache
def training_code_digest() -> str:
    """Digest of liftlab's training code (:data:`TRAINING_CODE`)."""
    h = hashlib.sha256()
    for name in TRAINING_CODE:
        h.update((Path(__file__).parent / name).read_bytes())
    return h.hexdigest()[:12]


def evaluation_digest(config: ClassifierConfig, classes: list[str], labelled: pd.DataFrame) -> str:
    """Digest of a cross-validation: every configured model's features, the settings, the
    classes and the labelled reps, the libraries (:func:`liftlab.ml.artifact.digest_of`)
    and the training code."""
    name = f"evaluation:{training_code_digest()}"
    return digest_of(name, config, config.model_features(), classes, labelled)


def own_table(session, this) -> pd.DataFrame | None:
    """The model's own table as the build file holds it before the model replaces it (the
    last build's), or None when there is none."""
    import duckdb

    try:
        relation = session.sql(f"select * from {this}")
    except duckdb.CatalogException:
        return None
    frame = relation.df()
    for name, column_type in zip(relation.columns, relation.types, strict=True):
        if str(column_type) == "VARCHAR":  # a column of nulls stays text when written again
            frame[name] = frame[name].astype("string")
    return frame


def same_training(
    previous: pd.DataFrame | None, digest: str, column: str = "training_digest"
) -> bool:
    """Whether ``previous`` is non-empty and every row of it was computed from ``digest``."""
    if previous is None or previous.empty or column not in previous.columns:
        return False
    return bool((previous[column] == digest).all())


@dataclass(frozen=True)
class Trained:
    """The model this build labels with, as labelling needs it."""

    model: object
    model_name: str
    feature_columns: list[str]
    version: str


@dataclass(frozen=True)
class Fitted:
    """The model and what the labelled sets get: out-of-fold probabilities from this
    build's cross-fit (``cross_fitted``), or, when the model was not trained again, their
    rows as the last build wrote them (``kept_rows``, computed from the same training)."""

    trained: Trained | None
    cross_fitted: pd.DataFrame | None = None
    kept_rows: pd.DataFrame | None = None


def kept_fit(
    root: Path, version: str, previous: pd.DataFrame | None, config: ClassifierConfig
) -> Fitted | None:
    """The saved model ``version`` and the labelled sets' rows of ``previous``, when every
    row of ``previous`` was labelled by that version and the artifact holds it; else None
    (train). The version is the digest of the chosen model's training, so the rows are the
    ones a new fit would give."""
    if not same_training(previous, version, column="model_version"):
        return None
    try:
        artifact = load_artifact(root, version)
    except Exception:  # missing, partly written or unreadable: train, which rewrites it
        return None
    trained = Trained(artifact.model, artifact.model_name, artifact.feature_columns, version)
    origin = "cross_fitted" if config.cross_fit_labelled else None
    kept = previous[previous["prediction_origin"] == origin] if origin else previous.iloc[0:0]
    return Fitted(trained, kept_rows=kept.set_index("set_id"))
