"""Exercise classification: rep features, the study's models and a stronger one, set labels.

The dbt Python models in ``python_models/classifier/`` and ``liftlab classify`` are thin
wrappers over this package; everything here works on plain pandas DataFrames so it can be
tested without a warehouse.

* :mod:`liftlab.ml.features` builds one row of features per usable rep from the
  ``int_reps_decoded`` / ``int_sets_aggregated`` columns (the study's six, shape of the
  speed trace, set context, label-free lifter context) and validates feature lists.
* :mod:`liftlab.ml.config`, :mod:`liftlab.ml.estimators`, :mod:`liftlab.ml.evaluation`
  and :mod:`liftlab.ml.labelling`: the models and their settings, the lifter-grouped
  cross-validation (rep level and set level) and the final fit, set labelling;
  :mod:`liftlab.ml.classifier` names what callers use from the four. The typed / predicted
  lift resolution rule is SQL (``fct_sets``).
* :mod:`liftlab.ml.artifact` saves and loads the versioned model artifact.
"""

from liftlab.ml.classifier import (
    LIFTS,
    SCOPES,
    STUDY_LIFTS,
    ClassifierConfig,
    label_sets,
    train_and_evaluate,
)
from liftlab.ml.features import (
    ALL_FEATURES,
    DEFAULT_FEATURES,
    STUDY_FEATURES,
    build_rep_features,
    trace_features,
    validate_features,
)

__all__ = [
    "ALL_FEATURES",
    "DEFAULT_FEATURES",
    "LIFTS",
    "SCOPES",
    "STUDY_FEATURES",
    "STUDY_LIFTS",
    "ClassifierConfig",
    "build_rep_features",
    "label_sets",
    "trace_features",
    "train_and_evaluate",
    "validate_features",
]
