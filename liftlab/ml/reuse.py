"""Train only on change: what the classifier models keep from the last build.

A classifier model's result depends only on what it learns from (the labelled reps of the
six lifts, with their features), its settings, the libraries and liftlab's own training
code. Each of these goes into a content digest; a model whose own table, as the last build
left it (a rebuild carries it over: ``liftlab.publish.CARRIED_TABLES``), was computed from
the same digest returns that table instead of computing it again. The table is read from
the warehouse like any relation (``dbt.this``), never from a file.

* ``ml_classifier_metrics`` keeps its cross-validation (``training_digest``; the scores,
  confusion counts and ``evaluated_at`` of the build that ran it). It keeps it too when
  only a small share of the labelled sets changed since (an ``--append`` of a daily file):
  the side-by-side comparison of the models is not redone for it (:func:`kept_evaluation`,
  var classifier_reevaluate_share), while ``model_version`` names the chosen model fitted
  on this build's labelled reps.
* ``fct_set_exercise_predictions`` loads the saved model of that version instead of
  fitting it again (the artifact is the model, not rows), and labels every set with it;
  the labelled sets keep their out-of-fold rows.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn

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


def settings_digest(config: ClassifierConfig, classes: list[str]) -> str:
    """Digest of what a cross-validation depends on but the data: every configured model's
    features, the settings, the classes, the libraries and the training code."""
    payload = {
        "code": training_code_digest(),
        "config": config.result_settings(),
        "features": config.model_features(),
        "classes": list(classes),
        "sklearn": sklearn.__version__,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:12]


# Bottom-k MinHash (Broder 1997; Cohen & Kaplan 2007): the SKETCH_SIZE smallest 64-bit
# hashes of the labelled sets estimate the share two evaluations' labelled sets have in
# common to about 1 / sqrt(SKETCH_SIZE) (exactly with fewer sets than that), in a column
# of fixed size whatever the scale.
SKETCH_SIZE = 1024


def labelled_sketch(labelled: pd.DataFrame) -> np.ndarray:
    """The SKETCH_SIZE smallest hashes (sorted, uint64) of the labelled sets' (set_id,
    typed_lift) pairs: a set labelled another lift counts as another set."""
    sets = labelled[["set_id", "typed_lift"]].drop_duplicates("set_id")
    keys = sets["set_id"].astype(str) + "|" + sets["typed_lift"].astype(str)
    return np.unique(pd.util.hash_array(keys.to_numpy(dtype=object)))[:SKETCH_SIZE]


def sketch_text(sketch: np.ndarray) -> str:
    return " ".join(f"{int(h):016x}" for h in sketch)


def parse_sketch(text: str) -> np.ndarray:
    return np.array([int(t, 16) for t in str(text).split()], dtype=np.uint64)


def changed_share(before: np.ndarray, after: np.ndarray) -> float:
    """Estimated share of the sets of either sketch that are not in both (1 - Jaccard
    similarity): of the SKETCH_SIZE smallest hashes of the union, those missing from one
    side (a hash of the union's smallest is in a set exactly when it is in its sketch)."""
    union = np.union1d(before, after)[:SKETCH_SIZE]
    if union.size == 0:
        return 0.0
    both = np.isin(union, before) & np.isin(union, after)
    return float(1.0 - both.mean())


def kept_evaluation(
    previous: pd.DataFrame | None, settings: str, sketch: np.ndarray, max_share: float
) -> float | None:
    """The share of labelled sets changed since ``previous`` (ml_classifier_metrics as the
    last build left it) was cross-validated, when its rows can be kept: the same settings
    digest, a model version announced and at most ``max_share`` of the labelled sets
    changed (0 keeps nothing); else None (cross-validate again)."""
    needed = ("settings_digest", "labelled_sets_sketch", "model_version")
    if max_share <= 0 or previous is None or previous.empty:
        return None
    if any(c not in previous.columns or previous[c].isna().any() for c in needed):
        return None
    if not (previous["settings_digest"] == settings).all():
        return None
    share = changed_share(parse_sketch(previous["labelled_sets_sketch"].iloc[0]), sketch)
    return share if share <= max_share else None


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
