"""Models, lifter-grouped cross-validation, set labelling and the lift resolution rule.

Models are named ``<estimator>_<feature set>``: the study's four estimators (KNN k=10,
random forest, logistic regression, Gaussian naive Bayes) on the study's six features
(``_study``) and histogram gradient boosting on the configured full feature list
(``_full``); any estimator can be combined with either feature set through configuration.
Every model is an sklearn Pipeline with median imputation and, where the estimator needs
it (KNN, logistic regression), standard scaling.

Evaluation: GroupKFold by ``lifter_id`` (no lifter on both sides), on labelled sets only
(``typed_lift_status = 'matched'``), per scope (``study3``: squat, bench press, deadlift;
``all6``: the six canonical lifts). With fewer lifters than folds (a one-lifter export) the
folds are grouped by workout instead (no workout on both sides; ``cv_grouping`` says which).
Rep level scores each rep; set level averages the reps' class probabilities over the set and
takes the most probable lift. A score that cannot be computed is null with a reason
(``metric_note``).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, precision_recall_fscore_support
from sklearn.model_selection import GroupKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from liftlab.lifts import LIFTS, STUDY_LIFTS
from liftlab.ml.features import DEFAULT_FEATURES, STUDY_FEATURES, validate_features

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


@dataclass
class ClassifierConfig:
    """Everything configurable (dbt vars of the classifier models map onto these fields)."""

    features: list[str] = field(default_factory=lambda: list(DEFAULT_FEATURES))
    models: list[str] = field(default_factory=lambda: list(DEFAULT_MODELS))
    model_choice: str = "best"  # 'best' or one of `models`
    best_metric_scope: str = "all6"
    cv_folds: int = 5
    seed: int = 42
    # Sets without a known lift average their probabilities with those of their nearest
    # neighbour_k sets of the same lifter, neighbour_rounds times (liftlab.ml.neighbours:
    # one lifter's sets of one lift lie together); 0 turns it off.
    neighbour_k: int = 20
    neighbour_rounds: int = 5
    # Cross-validate on at most this many labelled sets (whole lifters, sampled with the
    # seed); 0 = all. Keeps the build's evaluation to a few minutes at the study's scale.
    cv_max_sets: int = 10000
    # Folds of the cross-fit that predicts the labelled sets out of fold (all of them).
    cross_fit_folds: int = 3
    # Fit the cross-fit folds and the final model on at most this many labelled sets (drawn
    # with the seed); 0 = all. Set-level accuracy of gradient boosting is flat from 15k
    # training sets up (measured on the study-scale data: 95.2 % with 15k, 30k or 57k sets),
    # while fit time grows with the sample; the cap keeps training time bounded at any scale.
    train_max_sets: int = 15000
    # Predict labelled sets out of fold (by a model that never saw the lifter), so that a
    # mislabelled set cannot vouch for itself; other sets use the final model.
    cross_fit_labelled: bool = True
    # Threads for OpenMP / BLAS (the forest has forest_jobs). One by default: on a shared
    # 2-core machine OpenMP's spinning threads made gradient boosting 20x slower than one.
    threads: int = 1
    # Models cross-validated at once (threads). Two use both cores of a 2-core machine; the
    # scores do not depend on it, only cv_seconds (each model's wall time) does.
    cv_jobs: int = 2
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
        self.cross_fit_folds = int(self.cross_fit_folds)
        if self.cross_fit_folds < 2:
            raise ValueError("cross_fit_folds must be at least 2")
        self.threads = max(1, int(self.threads))
        self.cv_jobs = max(1, int(self.cv_jobs))
        self.neighbour_k = max(0, int(self.neighbour_k))
        self.neighbour_rounds = max(0, int(self.neighbour_rounds))

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

    def features_for(self, model_name: str) -> list[str]:
        _, feature_set = parse_model_name(model_name)
        return list(STUDY_FEATURES) if feature_set == "study" else list(self.features)


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


def _fit(model: Pipeline, x: pd.DataFrame, y) -> Pipeline:
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


def isin(values, members) -> np.ndarray:
    """``values`` (a Series, Index or array of strings) found in ``members``, as a bool array.

    Hash-based in Arrow. pandas' isin on Arrow-backed strings turns every member into a
    Python object first: 27 of the 58 s of labelling 2M reps went there.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    left = pa.array(pd.Series(values, copy=False))
    right = pa.array(pd.Series(members, copy=False))
    if len(left) == 0 or len(right) == 0 or pa.types.is_null(left.type):
        return np.zeros(len(left), dtype=bool)
    if right.type != left.type:
        right = right.cast(left.type)
    return pc.fill_null(pc.is_in(left, value_set=right), False).to_numpy(zero_copy_only=False)


def labelled_reps(
    features: pd.DataFrame,
    lifts: tuple[str, ...] = LIFTS,
    max_sets: int = 0,
    seed: int = 0,
) -> pd.DataFrame:
    """Reps of sets whose typed lift matched a canonical lift in ``lifts``; with ``max_sets``,
    only the lifters :func:`_sample_sets` keeps. The rows are chosen before anything is
    copied, and ``features`` itself comes back when every row is kept (millions of reps)."""
    mask = (features["typed_lift_status"] == LABELLED_STATUS) & features["typed_lift"].isin(lifts)
    mask = np.array(mask, dtype=bool)
    if max_sets:
        keep = _sampled_lifters(features.loc[mask, ["lifter_id", "set_id"]], max_sets, seed)
        if keep is not None:
            mask &= isin(features["lifter_id"], keep)
    if mask.all() and features.index.equals(pd.RangeIndex(len(features))):
        return features
    return features[mask].reset_index(drop=True)


def _sampled_lifters(ids: pd.DataFrame, max_sets: int, seed: int) -> list | None:
    """Whole lifters (shuffled with the seed) until about ``max_sets`` sets, from the reps'
    lifter_id and set_id; None when every lifter is kept."""
    if not max_sets or ids["set_id"].nunique() <= max_sets:
        return None
    per_lifter = ids.groupby("lifter_id")["set_id"].nunique().sort_index()
    order = np.random.default_rng(seed).permutation(per_lifter.index.to_numpy())
    cum = per_lifter.loc[order].cumsum()
    return list(cum.index[: max(int((cum < max_sets).sum()) + 1, 2)])


def _sample_sets(reps: pd.DataFrame, max_sets: int, seed: int) -> pd.DataFrame:
    """Keep whole lifters (shuffled with the seed) until about ``max_sets`` sets."""
    keep = _sampled_lifters(reps[["lifter_id", "set_id"]], max_sets, seed)
    if keep is None:
        return reps
    return reps[isin(reps["lifter_id"], keep)].reset_index(drop=True)


def sampled_positions(set_ids: pd.Series, max_sets: int, seed: int) -> np.ndarray:
    """Positions of the rows of at most ``max_sets`` whole sets drawn with the seed (all rows
    when 0 or fewer), in order: the rows :func:`sample_training_sets` keeps."""
    positions = np.arange(len(set_ids))
    unique = np.sort(set_ids.unique())
    if not max_sets or len(unique) <= max_sets:
        return positions
    keep = np.random.default_rng(seed).choice(unique, size=max_sets, replace=False)
    return positions[isin(set_ids, keep)]


def sample_training_sets(reps: pd.DataFrame, max_sets: int, seed: int) -> pd.DataFrame:
    """At most ``max_sets`` whole sets of ``reps`` drawn with the seed (all when 0 or fewer)."""
    positions = sampled_positions(reps["set_id"], max_sets, seed)
    if len(positions) == len(reps):
        return reps
    return reps.iloc[positions]


def _aligned_proba(model: Pipeline, x: pd.DataFrame, classes: list[str]) -> np.ndarray:
    proba = model.predict_proba(x)
    out = np.zeros((len(x), len(classes)))
    index = {c: i for i, c in enumerate(classes)}
    for j, c in enumerate(model.classes_):
        out[:, index[c]] = proba[:, j]
    return out


PREDICT_CHUNK_ROWS = 200_000


def _chunked_proba(
    model: Pipeline, reps: pd.DataFrame, columns: list[str], rows: np.ndarray, classes: list[str]
) -> np.ndarray:
    """:func:`_aligned_proba` of ``reps`` at positions ``rows``, a chunk at a time (rows are
    predicted independently, so the result is the same; the feature copies stay small)."""
    parts = [
        _aligned_proba(model, reps.iloc[rows[start : start + PREDICT_CHUNK_ROWS]][columns], classes)
        for start in range(0, len(rows), PREDICT_CHUNK_ROWS)
    ]
    return np.concatenate(parts) if parts else np.zeros((0, len(classes)))


def set_probabilities(set_ids: pd.Series, proba: np.ndarray, classes: list[str]) -> pd.DataFrame:
    """Average rep probabilities per set (index set_id, one column per class)."""
    frame = pd.DataFrame(proba, columns=classes)
    frame["set_id"] = set_ids.to_numpy()
    return frame.groupby("set_id", sort=True)[classes].mean()


def _codes(labels, classes: list[str]) -> np.ndarray:
    """Lift names as integer codes (index in ``classes``; -1 for any other): sklearn's metrics
    are many times faster on integers than on arrays of strings."""
    return pd.Categorical(np.asarray(labels, dtype=object), categories=classes).codes


def _code_scores(yt: np.ndarray, yp: np.ndarray, classes: list[str]) -> dict:
    """Accuracy, macro F1 and per-lift precision / recall of integer codes (index in
    ``classes``)."""
    codes = list(range(len(classes)))
    precision, recall, f1, _ = precision_recall_fscore_support(
        yt, yp, labels=codes, zero_division=0
    )
    row = {
        "accuracy": float(accuracy_score(yt, yp)),
        "macro_f1": float(np.mean(f1)),
    }
    for lift in LIFTS:
        if lift in classes:
            i = classes.index(lift)
            row[f"precision_{lift}"] = float(precision[i])
            row[f"recall_{lift}"] = float(recall[i])
        else:
            row[f"precision_{lift}"] = None
            row[f"recall_{lift}"] = None
    return row


def choose_cv_grouping(
    n_lifters: int, n_workouts: int | None, folds: int
) -> tuple[str | None, str | None]:
    """(grouping, reason): ``lifter`` when there are at least ``folds`` lifters; else
    ``workout`` when workouts are known (``n_workouts`` not None) and there are two or more;
    else ``lifter`` with two or more lifters; else no grouping and the reason why."""
    if n_lifters >= folds:
        return "lifter", None
    if n_workouts is not None:
        if n_workouts >= 2:
            return "workout", None
        return None, "one lifter and fewer than 2 workouts labelled"
    if n_lifters >= 2:
        return "lifter", None
    return None, "fewer than 2 lifters labelled (and no workout_id to group by)"


def cv_groups(reps: pd.DataFrame, folds: int) -> tuple[str | None, np.ndarray | None, str | None]:
    """(grouping, integer group of each rep, reason when no grouping can be used), by
    :func:`choose_cv_grouping`. A workout group is the pair (lifter_id, workout_id)."""
    n_lifters = int(reps["lifter_id"].nunique())
    has_workouts = "workout_id" in reps and bool(reps["workout_id"].notna().any())
    n_workouts = None
    if has_workouts:
        n_workouts = int(reps[["lifter_id", "workout_id"]].drop_duplicates().shape[0])
    grouping, reason = choose_cv_grouping(n_lifters, n_workouts, folds)
    if grouping == "lifter":
        return grouping, pd.factorize(reps["lifter_id"], sort=True)[0], None
    if grouping == "workout":
        codes = reps.groupby(["lifter_id", "workout_id"], sort=True, dropna=False).ngroup()
        return grouping, codes.to_numpy(), None
    return None, None, reason


def missing_lifts_note(scope: str, classes: list[str]) -> str | None:
    """Why some precision / recall columns of a scope are null: its lifts never labelled."""
    missing = [lift for lift in SCOPES[scope] if lift not in classes]
    if not missing:
        return None
    return f"not labelled: {', '.join(missing)} (their precision and recall are null)"


def unevaluated_rows(
    model_name: str,
    scope: str,
    reps: pd.DataFrame,
    reason: str,
    grouping: str | None = None,
) -> list[dict]:
    """The rep and set rows of a model and scope that could not be cross-validated: null
    scores, ``n_folds`` 0 and the reason in ``metric_note``."""
    estimator, feature_set = parse_model_name(model_name)
    return [
        {
            "model": model_name,
            "estimator": estimator,
            "feature_set": feature_set,
            "level": level,
            "lifts": scope,
            "n_folds": 0,
            "n": len(reps) if level == "rep" else int(reps["set_id"].nunique()),
            "n_lifters": int(reps["lifter_id"].nunique()),
            "cv_seconds": 0.0,
            "cv_grouping": grouping,
            "metric_note": reason,
        }
        for level in LEVELS
    ]


def cross_validate(
    features: pd.DataFrame,
    model_name: str,
    scope: str,
    config: ClassifierConfig,
    sample: bool = True,
    executor: ThreadPoolExecutor | None = None,
) -> tuple[list[dict], list[dict], pd.DataFrame | None]:
    """Lifter-grouped CV of one model on one scope (workout-grouped with fewer lifters than
    folds, see :func:`choose_cv_grouping`); the folds are fitted in ``executor`` when one is
    given (the results do not depend on it).

    Returns (metrics rows, confusion rows, out-of-fold set probabilities: index set_id, one
    column per class, each set predicted by a model that never saw its lifter, or its
    workout). When the scope cannot be evaluated, the metrics rows carry null scores and the
    reason (``metric_note``), and there are no confusion rows or probabilities.
    """
    with threadpool_limits(limits=config.threads):
        return _cross_validate(features, model_name, scope, config, sample, executor)


def _cross_validate(
    features: pd.DataFrame,
    model_name: str,
    scope: str,
    config: ClassifierConfig,
    sample: bool,
    executor: ThreadPoolExecutor | None = None,
) -> tuple[list[dict], list[dict], pd.DataFrame | None]:
    max_sets = config.cv_max_sets if sample else 0
    reps = labelled_reps(features, SCOPES[scope], max_sets, config.seed)
    classes = [lift for lift in SCOPES[scope] if lift in set(reps["typed_lift"])]
    if len(classes) < 2:
        reason = f"one lift labelled ({classes[0]})" if classes else "no lift of the scope labelled"
        return unevaluated_rows(model_name, scope, reps, reason), [], None
    grouping, groups, reason = cv_groups(reps, config.cv_folds)
    if grouping is None:
        return unevaluated_rows(model_name, scope, reps, reason), [], None
    n_groups = int(groups.max()) + 1
    columns = config.features_for(model_name)
    splitter = GroupKFold(n_splits=min(config.cv_folds, n_groups))
    # Integer codes throughout: groups and sets (in sorted order, as GroupKFold and the
    # set-level groupby order strings) and lifts (index in classes). No Python string per
    # rep: at millions of labelled reps the string arrays took gigabytes.
    y_all = pd.Categorical(reps["typed_lift"], categories=classes).codes
    set_codes, set_names = pd.factorize(reps["set_id"], sort=True)
    class_names = np.asarray(classes, dtype=object)
    rep_true, rep_pred, set_true, set_pred, oof = [], [], [], [], []
    fold_scores = {"rep": [], "set": []}
    started = time.perf_counter()

    def fold_proba(train: np.ndarray, test: np.ndarray) -> np.ndarray:
        # the limit is set in the thread that fits: OpenMP's thread count is per thread
        with threadpool_limits(limits=config.threads):
            # the training rows are drawn from the ids before any feature is copied
            fit_rows = train[
                sampled_positions(reps["set_id"].iloc[train], config.train_max_sets, config.seed)
            ]
            model = clone(make_estimator(model_name, config))
            _fit(model, reps.iloc[fit_rows][columns], class_names[y_all[fit_rows]])
            return _chunked_proba(model, reps, columns, test, classes)

    # a fold whose training lifters (workouts) did one lift only is skipped (tiny warehouses)
    folds = [
        (train, test)
        for train, test in splitter.split(y_all, y_all, groups)
        if np.unique(y_all[train]).size >= 2
    ]
    if executor is None:
        probas = [fold_proba(train, test) for train, test in folds]
    else:
        probas = [f.result() for f in [executor.submit(fold_proba, *fold) for fold in folds]]
    for (_, test), proba in zip(folds, probas, strict=True):
        pred = proba.argmax(axis=1).astype(np.int8)
        sets, set_proba, truth = _set_means(set_codes[test], proba, y_all[test])
        spred = set_proba.argmax(axis=1).astype(np.int8)
        oof.append((sets, set_proba))
        rep_true.append(y_all[test])
        rep_pred.append(pred)
        set_true.append(truth)
        set_pred.append(spred)
        for level, yt, yp in (("rep", y_all[test], pred), ("set", truth, spred)):
            scores = _code_scores(yt, yp, classes)
            fold_scores[level].append((scores["accuracy"], scores["macro_f1"]))
    seconds = time.perf_counter() - started
    if not rep_true:
        reason = f"every fold's training {grouping}s did one lift only"
        return unevaluated_rows(model_name, scope, reps, reason, grouping), [], None
    estimator, feature_set = parse_model_name(model_name)
    note = missing_lifts_note(scope, classes)
    metrics, confusion = [], []
    for level, yt, yp in (
        ("rep", np.concatenate(rep_true), np.concatenate(rep_pred)),
        ("set", np.concatenate(set_true), np.concatenate(set_pred)),
    ):
        folds = np.asarray(fold_scores[level])
        row = {
            "model": model_name,
            "estimator": estimator,
            "feature_set": feature_set,
            "level": level,
            "lifts": scope,
            **_code_scores(yt, yp, classes),
            "accuracy_fold_std": float(folds[:, 0].std()),
            "macro_f1_fold_std": float(folds[:, 1].std()),
            "n_folds": len(folds),
            "n": len(yt),
            "n_lifters": int(reps["lifter_id"].nunique()),
            "cv_seconds": round(seconds, 3),
            "cv_grouping": grouping,
            "metric_note": note,
        }
        metrics.append(row)
        k = len(classes)
        counts = np.bincount(yt.astype(np.int64) * k + yp, minlength=k * k).reshape(k, k)
        for i, true_lift in enumerate(classes):
            for j, predicted_lift in enumerate(classes):
                n = int(counts[i, j])
                confusion.append(
                    {
                        "model": model_name,
                        "level": level,
                        "lifts": scope,
                        "true_lift": true_lift,
                        "predicted_lift": predicted_lift,
                        "n": n,
                    }
                )
    return metrics, confusion, _out_of_fold_frame(oof, set_names, classes)


def _set_means(
    set_codes: np.ndarray, proba: np.ndarray, y_codes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per set (ascending set code): the code, the reps' mean class probabilities and the
    set's lift code. The same groupby mean as :func:`set_probabilities` (so the same numbers,
    ties included), on integer codes instead of set_id strings."""
    means = pd.DataFrame(proba).groupby(set_codes, sort=True).mean()
    sets = means.index.to_numpy()
    truth = np.empty(sets.size, dtype=y_codes.dtype)
    truth[np.searchsorted(sets, set_codes)] = y_codes  # every rep of a set has its lift
    return sets, means.to_numpy(), truth


def _out_of_fold_frame(
    parts: list[tuple[np.ndarray, np.ndarray]], set_names: pd.Index, classes: list[str]
) -> pd.DataFrame:
    """The folds' set probabilities as one frame: index set_id (sorted), one column per class."""
    codes = np.concatenate([sets for sets, _ in parts])
    values = np.concatenate([means for _, means in parts])
    order = np.argsort(codes, kind="stable")
    index = pd.Index(set_names.take(codes[order]), name="set_id")
    return pd.DataFrame(values[order], index=index, columns=classes)


def _evaluate_all(
    features: pd.DataFrame, jobs: list[tuple[str, str]], config: ClassifierConfig
) -> list[tuple[list[dict], list[dict], pd.DataFrame | None]]:
    """cross_validate of every (model, scope), ``cv_jobs`` at a time in threads (the fits
    release the GIL for most of their time); results in the order of ``jobs`` and identical
    whatever ``cv_jobs`` is. Each thread sets its own threadpool limit in cross_validate
    (OpenMP's thread count is a per-thread setting)."""

    def one(job: tuple[str, str]):
        return cross_validate(features, job[0], job[1], config)

    if config.cv_jobs <= 1 or len(jobs) <= 1:
        return [one(job) for job in jobs]
    # the slowest first (boosting, then the forest; six lifts before three), so that the
    # threads finish together
    slow = {"hist_gradient_boosting": 0, "random_forest": 1}
    order = sorted(
        range(len(jobs)),
        key=lambda i: (slow.get(parse_model_name(jobs[i][0])[0], 2), jobs[i][1] != "all6"),
    )
    with ThreadPoolExecutor(max_workers=config.cv_jobs) as pool:
        futures = {i: pool.submit(one, jobs[i]) for i in order}
        return [futures[i].result() for i in range(len(jobs))]


def choose_model(metrics: pd.DataFrame, config: ClassifierConfig) -> str:
    """The configured model, or the best set-level macro F1 on the configured scope."""
    if config.model_choice != "best":
        return config.model_choice
    scored = metrics[metrics["macro_f1"].notna()] if len(metrics) else metrics
    if scored.empty:
        return config.models[-1]
    rows = scored[(scored["level"] == "set") & (scored["lifts"] == config.best_metric_scope)]
    if rows.empty:
        rows = scored[scored["level"] == "set"]
    order = {m: i for i, m in enumerate(config.models)}
    rows = rows.assign(_order=rows["model"].map(order))
    rows = rows.sort_values(["macro_f1", "accuracy", "_order"], ascending=[False, False, True])
    return str(rows["model"].iloc[0])


@dataclass
class TrainingResult:
    model: Pipeline
    model_name: str
    feature_columns: list[str]
    classes: list[str]
    metrics: pd.DataFrame
    confusion: pd.DataFrame
    config: ClassifierConfig
    n_training_reps: int
    n_training_sets: int
    fit_seconds: float
    # Out-of-fold set probabilities of the chosen model for the labelled sets (see label_sets).
    cross_fitted: pd.DataFrame | None = None


def metrics_frame(rows: list[dict]) -> pd.DataFrame:
    columns = [
        "model",
        "estimator",
        "feature_set",
        "level",
        "lifts",
        "accuracy",
        "macro_f1",
        *[f"{k}_{lift}" for lift in LIFTS for k in ("precision", "recall")],
        "accuracy_fold_std",
        "macro_f1_fold_std",
        "n_folds",
        "n",
        "n_lifters",
        "cv_seconds",
        "cv_grouping",
        "metric_note",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    scores = columns[columns.index("accuracy") : columns.index("n_folds")]
    for c in scores:
        frame[c] = frame[c].astype(float)
    return frame


def confusion_frame(rows: list[dict]) -> pd.DataFrame:
    columns = ["model", "level", "lifts", "true_lift", "predicted_lift", "n"]
    return pd.DataFrame(rows, columns=columns)


def train_and_evaluate(
    features: pd.DataFrame,
    config: ClassifierConfig | None = None,
    scopes: tuple[str, ...] = ("study3", "all6"),
    evaluate: bool = True,
) -> TrainingResult:
    """Cross-validate every configured model per scope, choose one, fit it on all labelled reps.

    The final model is trained on every labelled rep of the six lifts, so it can label any
    set. Raises ValueError when fewer than two lifts are labelled.
    """
    config = config or ClassifierConfig()
    metric_rows: list[dict] = []
    confusion_rows: list[dict] = []
    oof: dict[tuple[str, str], pd.DataFrame | None] = {}
    if evaluate:
        jobs = [(name, scope) for scope in scopes for name in config.models]
        for (name, scope), (m, c, o) in zip(
            jobs, _evaluate_all(features, jobs, config), strict=True
        ):
            metric_rows += m
            confusion_rows += c
            oof[name, scope] = o
    metrics = metrics_frame(metric_rows)
    confusion = confusion_frame(confusion_rows)
    chosen = choose_model(metrics, config)
    labelled = labelled_reps(features, LIFTS)
    classes = sorted(set(labelled["typed_lift"]), key=LIFTS.index)
    if len(classes) < 2:
        raise ValueError(
            f"need labelled sets of at least two lifts to train the classifier; found {classes}"
        )
    train = sample_training_sets(labelled, config.train_max_sets, config.seed)
    columns = config.features_for(chosen)
    model = make_estimator(chosen, config)

    def fit_final() -> float:
        started = time.perf_counter()
        with threadpool_limits(limits=config.threads):  # in the fitting thread (OpenMP)
            _fit(model, train[columns], train["typed_lift"].to_numpy())
        return time.perf_counter() - started

    # The final fit and the cross-fit's folds are independent: they share the cv_jobs
    # threads (the final fit first, as it is the longest).
    cross_fitted = None
    with ThreadPoolExecutor(max_workers=config.cv_jobs) as pool:
        final = pool.submit(fit_final)
        if config.cross_fit_labelled:
            cached = oof.get((chosen, "all6"))
            if cached is not None and len(cached) == labelled["set_id"].nunique():
                cross_fitted = cached
            else:
                cross_config = replace(config, cv_folds=config.cross_fit_folds)
                cross_fitted = cross_validate(
                    features, chosen, "all6", cross_config, sample=False, executor=pool
                )[2]
        fit_seconds = final.result()
    return TrainingResult(
        model=model,
        model_name=chosen,
        feature_columns=columns,
        classes=[str(c) for c in model.classes_],
        metrics=metrics,
        confusion=confusion,
        config=config,
        n_training_reps=len(train),
        n_training_sets=int(train["set_id"].nunique()),
        fit_seconds=fit_seconds,
        cross_fitted=cross_fitted,
    )


def summarise_set_probabilities(by_set: pd.DataFrame) -> pd.DataFrame:
    """From set probabilities (index set_id, one column per class) to set_id, predicted_lift,
    probability, runner_up_lift, margin and one ``proba_<lift>`` column per class."""
    classes = [str(c) for c in by_set.columns]
    values = by_set.to_numpy(dtype=float)
    if len(values) == 0:
        cols = ["set_id", "predicted_lift", "probability", "runner_up_lift", "margin"]
        return pd.DataFrame(columns=cols + [f"proba_{c}" for c in classes])
    order = np.argsort(-values, axis=1, kind="stable")
    rows = np.arange(len(values))
    top = values[rows, order[:, 0]]
    multi = values.shape[1] > 1
    second = values[rows, order[:, 1]] if multi else np.zeros(len(values))
    out = pd.DataFrame(
        {
            "set_id": by_set.index.to_numpy(),
            "predicted_lift": np.asarray(classes)[order[:, 0]],
            "probability": top,
            "runner_up_lift": np.asarray(classes)[order[:, 1]] if multi else None,
            "margin": top - second,
        }
    )
    for i, c in enumerate(classes):
        out[f"proba_{c}"] = values[:, i]
    return out


def predict_set_probabilities(
    model: Pipeline, feature_columns: list[str], features: pd.DataFrame, threads: int = 1
) -> pd.DataFrame:
    """Averaged rep probabilities per set (index set_id, one column per model class)."""
    classes = [str(c) for c in model.classes_]
    if features.empty:
        return pd.DataFrame(columns=classes, index=pd.Index([], name="set_id"), dtype=float)
    missing = [c for c in feature_columns if c not in features]
    if missing:
        raise ValueError(f"feature columns missing from the input: {', '.join(missing)}")
    with threadpool_limits(limits=threads):
        proba = _aligned_proba(model, features[feature_columns], classes)
    return set_probabilities(features["set_id"], proba, classes)


def typed_lifts(sets: pd.DataFrame) -> pd.Series:
    """The typed lift of each labelled (matched) set of ``sets``, indexed by set_id."""
    labelled = sets[sets["typed_lift_status"] == LABELLED_STATUS]
    return labelled.drop_duplicates("set_id").set_index("set_id")["typed_lift"]


def smooth_sets(
    by_set: pd.DataFrame,
    features: pd.DataFrame,
    config: ClassifierConfig,
    typed: pd.Series | None = None,
) -> pd.DataFrame:
    """``by_set`` after the within-lifter neighbour smoothing of the config
    (:func:`liftlab.ml.neighbours.smooth_within_lifter`): the sets whose lift is not
    ``typed`` (typed_lifts) are smoothed, the typed ones take part as anchors and keep their
    own rows. Unchanged when the smoothing is off."""
    from liftlab.ml.neighbours import set_profiles, smooth_within_lifter

    if config.neighbour_k < 2 or by_set.empty:
        return by_set
    typed = typed if typed is not None else pd.Series(dtype=object)
    known = by_set.index.isin(typed.index)
    smoothed = smooth_within_lifter(
        by_set[~known], set_profiles(features), typed, config.neighbour_k, config.neighbour_rounds
    )
    return pd.concat([by_set[known], smoothed]).reindex(by_set.index)


def predict_sets(
    model: Pipeline,
    feature_columns: list[str],
    features: pd.DataFrame,
    config: ClassifierConfig | None = None,
    typed: pd.Series | None = None,
) -> pd.DataFrame:
    """Set-level predictions of ``model`` (see :func:`summarise_set_probabilities`), smoothed
    within each lifter as the config says, the ``typed`` sets (typed_lifts) as anchors."""
    by_set = predict_set_probabilities(model, feature_columns, features)
    config = config or ClassifierConfig()
    return summarise_set_probabilities(smooth_sets(by_set, features, config, typed))


def label_sets(
    sets: pd.DataFrame,
    features: pd.DataFrame,
    model: Pipeline,
    feature_columns: list[str],
    config: ClassifierConfig | None = None,
    cross_fitted: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every set of ``sets`` with its prediction (null when it has no usable rep): the
    probabilities only; fct_sets resolves ``lift`` / ``lift_source`` from them (SQL).

    ``cross_fitted`` (TrainingResult.cross_fitted) gives out-of-fold probabilities for the
    labelled sets; those sets take them instead of the final model's in-sample ones
    (``prediction_origin`` 'cross_fitted' vs 'final_model').
    """
    config = config or ClassifierConfig()
    base = sets[["set_id", "typed_lift", "typed_lift_status"]].drop_duplicates("set_id")
    classes = [str(c) for c in model.classes_]
    cf = pd.DataFrame(columns=classes, index=pd.Index([], name="set_id"), dtype=float)
    if cross_fitted is not None and len(cross_fitted):
        cf = cross_fitted.reindex(columns=classes, fill_value=0.0)
        cf = cf[isin(cf.index, features["set_id"])]
    # Only the sets without an out-of-fold prediction go through the final model.
    rest = features[~isin(features["set_id"], cf.index)] if len(cf) else features
    by_final = predict_set_probabilities(model, feature_columns, rest)
    by_final = smooth_sets(by_final, features, config, typed_lifts(base))
    parts = [frame for frame in (by_final, cf.astype(float)) if len(frame)]
    by_set = (pd.concat(parts) if parts else by_final).sort_index()
    origin = pd.Series("final_model", index=by_set.index, dtype=object)
    origin.loc[cf.index] = "cross_fitted"
    predictions = summarise_set_probabilities(by_set)
    predictions["prediction_origin"] = origin.loc[predictions["set_id"]].to_numpy()
    merged = base.merge(predictions, on="set_id", how="left")
    typed_p = np.full(len(merged), np.nan)
    for c in model.classes_:
        col = f"proba_{c}"
        hit = (merged["typed_lift"] == c).to_numpy()
        typed_p[hit] = merged.loc[hit, col].to_numpy(dtype=float)
    has_pred = merged["predicted_lift"].notna().to_numpy()
    typed_known = merged["typed_lift"].notna().to_numpy()
    # A typed lift the model never saw gets probability 0 from it.
    typed_p[has_pred & typed_known & np.isnan(typed_p)] = 0.0
    merged["typed_lift_probability"] = typed_p
    merged = merged.drop(columns=[c for c in merged if c.startswith("proba_")])
    return merged.sort_values("set_id", kind="stable").reset_index(drop=True)
