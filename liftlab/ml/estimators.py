"""The estimators: an sklearn Pipeline per model name (median imputation, scaling where
the estimator needs it), fitting with KNN's k capped, and class probabilities in chunks."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from liftlab.ml.config import ClassifierConfig, parse_model_name


class EmptyColumnFiller(TransformerMixin, BaseEstimator):
    """Fills the columns that are entirely missing in the training data with 0 (histogram
    gradient boosting cannot bin a column without a single value); other missing values
    are left for the model."""

    def fit(self, x, y=None):
        values = np.asarray(x, dtype=float)
        self.empty_ = np.isnan(values).all(axis=0) if len(values) else np.ones(0, bool)
        return self

    def transform(self, x):
        values = np.array(x, dtype=float)
        values[:, self.empty_] = 0.0
        return values


def fit_estimator(model: Pipeline, x: pd.DataFrame, y) -> Pipeline:
    """Fit, with k of KNN capped at the number of training reps (tiny warehouses)."""
    if "model" in model.named_steps and isinstance(
        model.named_steps["model"], KNeighborsClassifier
    ):
        k = model.named_steps["model"].n_neighbors
        model.set_params(model__n_neighbors=max(1, min(k, len(x))))
    return model.fit(x, y)


def make_estimator(model_name: str, config: ClassifierConfig) -> Pipeline:
    """An unfitted sklearn Pipeline for the named model."""
    estimator, _ = parse_model_name(model_name)
    seed = config.seed
    impute = ("impute", SimpleImputer(strategy="median", keep_empty_features=True))
    if estimator == "knn":
        steps = [
            impute,
            ("scale", StandardScaler()),
            ("model", KNeighborsClassifier(n_neighbors=config.knn_neighbors)),
        ]
    elif estimator == "random_forest":
        steps = [
            impute,
            (
                "model",
                RandomForestClassifier(
                    n_estimators=config.forest_trees,
                    min_samples_leaf=2,
                    n_jobs=config.forest_jobs,
                    random_state=seed,
                ),
            ),
        ]
    elif estimator == "logistic_regression":
        steps = [
            impute,
            ("scale", StandardScaler()),
            ("model", LogisticRegression(max_iter=2000, random_state=seed)),
        ]
    elif estimator == "gaussian_nb":
        steps = [impute, ("model", GaussianNB())]
    else:  # hist_gradient_boosting handles missing values itself
        steps = [
            ("fill_empty", EmptyColumnFiller()),
            (
                "model",
                HistGradientBoostingClassifier(
                    max_iter=config.boosting_iterations,
                    learning_rate=float(config.boosting_learning_rate),
                    max_leaf_nodes=int(config.boosting_leaf_nodes),
                    l2_regularization=1.0,
                    early_stopping=False,
                    random_state=seed,
                ),
            ),
        ]
    return Pipeline(steps)


def aligned_proba(model: Pipeline, x: pd.DataFrame, classes: list[str]) -> np.ndarray:
    proba = model.predict_proba(x)
    out = np.zeros((len(x), len(classes)))
    index = {c: i for i, c in enumerate(classes)}
    for j, c in enumerate(model.classes_):
        out[:, index[c]] = proba[:, j]
    return out


PREDICT_CHUNK_ROWS = 200_000


def chunked_proba(
    model: Pipeline, reps: pd.DataFrame, columns: list[str], rows: np.ndarray, classes: list[str]
) -> np.ndarray:
    """:func:`aligned_proba` of ``reps`` at positions ``rows``, a chunk at a time (rows are
    predicted independently, so the result is the same; the feature copies stay small)."""
    parts = [
        aligned_proba(model, reps.iloc[rows[start : start + PREDICT_CHUNK_ROWS]][columns], classes)
        for start in range(0, len(rows), PREDICT_CHUNK_ROWS)
    ]
    return np.concatenate(parts) if parts else np.zeros((0, len(classes)))


def set_probabilities(set_ids: pd.Series, proba: np.ndarray, classes: list[str]) -> pd.DataFrame:
    """Average rep probabilities per set (index set_id, one column per class)."""
    frame = pd.DataFrame(proba, columns=classes)
    frame["set_id"] = set_ids.to_numpy()
    return frame.groupby("set_id", sort=True)[classes].mean()
