"""The classifier's configuration: model names (``<estimator>_<feature set>``), scopes and
:class:`ClassifierConfig`, whose defaults are the dbt vars' (dbt_project.yml)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from liftlab import project_vars
from liftlab.lifts import LIFTS, STUDY_LIFTS
from liftlab.ml.features import ALL_FEATURES, DEFAULT_FEATURES, STUDY_FEATURES, validate_features

SCOPES: dict[str, tuple[str, ...]] = {"study3": STUDY_LIFTS, "all6": LIFTS}


LEVELS: tuple[str, ...] = ("rep", "set")


ESTIMATORS: tuple[str, ...] = (
    "knn",
    "random_forest",
    "logistic_regression",
    "gaussian_nb",
    "hist_gradient_boosting",
)


FEATURE_SETS: tuple[str, ...] = ("study", "full")


DEFAULT_MODELS: tuple[str, ...] = (
    "knn_study",
    "random_forest_study",
    "logistic_regression_study",
    "gaussian_nb_study",
    "hist_gradient_boosting_full",
)


LABELLED_STATUS = "matched"


CV_GROUPINGS: tuple[str, ...] = ("lifter", "workout")


def parse_flag(value: object) -> bool:
    """A yes/no setting: a bool, or its text as a dbt config renders it ('True', 'false')."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise ValueError(f"expected true or false, not {value!r}")


def valid_model_names() -> list[str]:
    return [f"{e}_{f}" for e in ESTIMATORS for f in FEATURE_SETS]


def parse_model_name(name: str) -> tuple[str, str]:
    """Split ``knn_study`` into (estimator, feature set), or raise listing valid names."""
    for fs in FEATURE_SETS:
        suffix = f"_{fs}"
        if name.endswith(suffix) and name[: -len(suffix)] in ESTIMATORS:
            return name[: -len(suffix)], fs
    raise ValueError(
        f"unknown classifier model {name!r}. Valid models: {', '.join(valid_model_names())}"
    )


# settings that decide whether an earlier result is kept, not what a result is
REUSE_SETTINGS: tuple[str, ...] = ("reevaluate_share",)


@dataclass
class ClassifierConfig:
    """Everything configurable (dbt vars of the classifier models map onto these fields)."""

    features: list[str] = field(default_factory=lambda: list(DEFAULT_FEATURES))
    models: list[str] = field(default_factory=lambda: list(DEFAULT_MODELS))
    # the defaults of the dbt vars (classifier_*) are read from dbt_project.yml, their home
    model_choice: str = project_vars.default("classifier_model")  # 'best' or one of models
    best_metric_scope: str = "all6"
    cv_folds: int = project_vars.default("classifier_cv_folds")
    seed: int = project_vars.default("classifier_seed")
    # Sets without a known lift average their probabilities with those of their nearest
    # neighbour_k sets of the same lifter, neighbour_rounds times (liftlab.ml.neighbours:
    # one lifter's sets of one lift lie together); 0 turns it off.
    neighbour_k: int = project_vars.default("classifier_neighbour_k")
    neighbour_rounds: int = 5
    # Link consecutive sets of a workout in that smoothing too (liftlab.ml.neighbours): a
    # set without a usable rep then takes its neighbours' lift.
    workout_links: bool = project_vars.default("classifier_workout_links")
    # Cross-validate on at most this many labelled sets (whole lifters, sampled with the
    # seed); 0 = all. Keeps the build's evaluation to a few minutes at the study's scale.
    cv_max_sets: int = project_vars.default("classifier_cv_max_sets")
    # Keep the last cross-validation (the side-by-side scores and the model chosen from
    # them) while at most this share of the labelled sets changed since it ran (an
    # --append of a daily file); the chosen model is still fitted on this build's labelled
    # reps. 0 (the default) cross-validates whenever they change, so that an --append
    # gives the marts of a full rebuild (liftlab.ml.reuse.kept_evaluation).
    reevaluate_share: float = project_vars.default("classifier_reevaluate_share")
    # Folds of the cross-fit that predicts the labelled sets out of fold (all of them).
    cross_fit_folds: int = project_vars.default("classifier_cross_fit_folds")
    # Fit the cross-fit folds and the final model on at most this many labelled sets (drawn
    # with the seed); 0 = all. Set-level accuracy of gradient boosting is flat from 15k
    # training sets up (measured on the study-scale data: 95.2 % with 15k, 30k or 57k sets),
    # while fit time grows with the sample; the cap keeps training time bounded at any scale.
    train_max_sets: int = project_vars.default("classifier_train_max_sets")
    # Predict labelled sets out of fold (by a model that never saw the lifter), so that a
    # mislabelled set cannot vouch for itself; other sets use the final model.
    cross_fit_labelled: bool = True
    # Threads for OpenMP / BLAS (the forest has forest_jobs). One by default: on a shared
    # 2-core machine OpenMP's spinning threads made gradient boosting 20x slower than one.
    threads: int = 1
    # Models cross-validated at once (threads). Two use both cores of a 2-core machine; the
    # scores do not depend on it, only cv_seconds (each model's wall time) does.
    cv_jobs: int = project_vars.default("classifier_cv_jobs")
    knn_neighbors: int = 10
    forest_trees: int = 100
    # Threads of the random forest (joblib threads, which wait without spinning: two are
    # never slower than one, even with the other core busy).
    forest_jobs: int = 2
    # 100 rounds at rate 0.2 on trees of 15 leaves: as accurate as 200 rounds at 0.1 on 31
    # leaves (set-level accuracy 94.7 % either way, 5-fold lifter-grouped CV of 10k study-scale
    # sets) in a third of the time.
    boosting_iterations: int = 100
    boosting_learning_rate: float = 0.2
    boosting_leaf_nodes: int = 15

    def __post_init__(self) -> None:
        self.features = validate_features(self.features)
        if isinstance(self.models, str):
            self.models = [m.strip() for m in self.models.split(",") if m.strip()]
        self.models = list(self.models or DEFAULT_MODELS)
        for name in self.models:
            parse_model_name(name)
        if self.model_choice not in ("best", *self.models):
            raise ValueError(
                f"classifier model_choice {self.model_choice!r} must be 'best' or one of the "
                f"configured models: {', '.join(self.models)}"
            )
        if self.best_metric_scope not in SCOPES:
            raise ValueError(
                f"best_metric_scope must be one of {', '.join(SCOPES)}, "
                f"not {self.best_metric_scope!r}"
            )
        self.cv_folds = int(self.cv_folds)
        if self.cv_folds < 2:
            raise ValueError("cv_folds must be at least 2")
        self.seed = int(self.seed)
        self.cv_max_sets = int(self.cv_max_sets or 0)
        self.train_max_sets = int(self.train_max_sets or 0)
        if self.cv_max_sets < 0 or self.train_max_sets < 0:
            raise ValueError("cv_max_sets and train_max_sets must be 0 (all) or positive")
        self.reevaluate_share = float(self.reevaluate_share)
        if not 0 <= self.reevaluate_share <= 1:
            raise ValueError("reevaluate_share must be between 0 (never keep) and 1")
        self.cross_fit_folds = int(self.cross_fit_folds)
        if self.cross_fit_folds < 2:
            raise ValueError("cross_fit_folds must be at least 2")
        self.threads = max(1, int(self.threads))
        self.cv_jobs = max(1, int(self.cv_jobs))
        self.neighbour_k = max(0, int(self.neighbour_k))
        self.neighbour_rounds = max(0, int(self.neighbour_rounds))
        self.workout_links = parse_flag(self.workout_links)

    @classmethod
    def from_mapping(cls, values: dict | None) -> ClassifierConfig:
        """Build from a dict, ignoring None values (unset dbt vars) and rejecting unknown keys."""
        values = {k: v for k, v in (values or {}).items() if v is not None}
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(
                f"unknown classifier setting(s): {', '.join(unknown)}. "
                f"Valid settings: {', '.join(sorted(known))}"
            )
        return cls(**values)

    def to_dict(self) -> dict:
        return asdict(self)

    def result_settings(self) -> dict:
        """The settings a score or a fitted model depends on: all but REUSE_SETTINGS (which
        decide whether an earlier result is kept, not what it is), for the digests."""
        return {k: v for k, v in self.to_dict().items() if k not in REUSE_SETTINGS}

    def features_for(self, model_name: str) -> list[str]:
        _, feature_set = parse_model_name(model_name)
        return list(STUDY_FEATURES) if feature_set == "study" else list(self.features)

    def model_features(self) -> list[str]:
        """Every feature some configured model reads, in the order of ALL_FEATURES."""
        columns = {c for name in self.models for c in self.features_for(name)}
        return [c for c in ALL_FEATURES if c in columns]
