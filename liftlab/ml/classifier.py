"""The exercise classifier, in four modules a reader can take one at a time.

- :mod:`liftlab.ml.config`: model names (``<estimator>_<feature set>``: the study's four
  estimators, KNN k=10, random forest, logistic regression, Gaussian naive Bayes, on the
  study's six features ``_study``, and histogram gradient boosting on the configured full
  list ``_full``), scopes, :class:`ClassifierConfig`.
- :mod:`liftlab.ml.estimators`: the sklearn Pipelines (median imputation, scaling where the
  estimator needs it) and class probabilities.
- :mod:`liftlab.ml.evaluation`: lifter-grouped cross-validation (workout-grouped with fewer
  lifters than folds), metrics, confusion counts, the final fit.
- :mod:`liftlab.ml.labelling`: set probabilities, the within-lifter smoothing, set labels.

This module names what callers use from them (``from liftlab.ml.classifier import ...``).
Which lift a set finally is lives in SQL (``fct_sets``), not here.
"""

from liftlab.lifts import LIFTS, STUDY_LIFTS
from liftlab.ml.config import (
    CV_GROUPINGS,
    DEFAULT_MODELS,
    ESTIMATORS,
    FEATURE_SETS,
    LABELLED_STATUS,
    LEVELS,
    SCOPES,
    ClassifierConfig,
    parse_model_name,
    valid_model_names,
)
from liftlab.ml.estimators import make_estimator, set_probabilities
from liftlab.ml.evaluation import (
    TrainingResult,
    choose_cv_grouping,
    choose_model,
    confusion_frame,
    cross_validate,
    isin,
    labelled_reps,
    metrics_frame,
    sample_training_sets,
    train_and_evaluate,
)
from liftlab.ml.labelling import (
    label_sets,
    predict_set_probabilities,
    predict_sets,
    smooth_sets,
    summarise_set_probabilities,
    typed_lifts,
)

__all__ = [
    "CV_GROUPINGS",
    "DEFAULT_MODELS",
    "ESTIMATORS",
    "FEATURE_SETS",
    "LABELLED_STATUS",
    "LEVELS",
    "LIFTS",
    "SCOPES",
    "STUDY_LIFTS",
    "ClassifierConfig",
    "TrainingResult",
    "choose_cv_grouping",
    "choose_model",
    "confusion_frame",
    "cross_validate",
    "isin",
    "label_sets",
    "labelled_reps",
    "make_estimator",
    "metrics_frame",
    "parse_model_name",
    "predict_set_probabilities",
    "predict_sets",
    "sample_training_sets",
    "set_probabilities",
    "smooth_sets",
    "summarise_set_probabilities",
    "train_and_evaluate",
    "typed_lifts",
    "valid_model_names",
]
