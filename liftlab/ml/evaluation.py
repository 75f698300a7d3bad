"""Cross-validation and the final fit.

Evaluation: GroupKFold by ``lifter_id`` (no lifter on both sides), on labelled sets only
(``typed_lift_status = 'matched'``), per scope (``study3``: squat, bench press, deadlift;
``all6``: the six canonical lifts). With fewer lifters than folds (a one-lifter export) the
folds are grouped by workout instead (no workout on both sides; ``cv_grouping`` says which).
Rep level scores each rep; set level averages the reps' class probabilities over the set and
takes the most probable lift. A score that cannot be computed is null with a reason
(``metric_note``). The fold loop is written out rather than ``cross_val_predict``: it
samples each fold's training sets, skips folds whose training lifters did one lift, scores
every fold at rep and set level and runs models in threads; the scores and the confusion
counts are scikit-learn's (``precision_recall_fscore_support``, ``confusion_matrix``).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from liftlab.lifts import LIFTS
from liftlab.ml.config import LABELLED_STATUS, LEVELS, SCOPES, ClassifierConfig, parse_model_name
from liftlab.ml.estimators import chunked_proba, fit_estimator, make_estimator


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
            fit_estimator(model, reps.iloc[fit_rows][columns], class_names[y_all[fit_rows]])
            return chunked_proba(model, reps, columns, test, classes)

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
        counts = confusion_matrix(yt, yp, labels=list(range(len(classes))))
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


@dataclass
class Evaluation:
    """What the cross-validation gives: the scores, the confusion counts, the model chosen
    from them and the out-of-fold set probabilities of each (model, scope)."""

    metrics: pd.DataFrame
    confusion: pd.DataFrame
    chosen: str
    out_of_fold: dict[tuple[str, str], pd.DataFrame | None] = field(default_factory=dict)


def evaluate_models(
    features: pd.DataFrame,
    config: ClassifierConfig | None = None,
    scopes: tuple[str, ...] = ("study3", "all6"),
    evaluate: bool = True,
) -> Evaluation:
    """Cross-validate every configured model per scope and choose one (:func:`choose_model`)."""
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
    return Evaluation(metrics, confusion_frame(confusion_rows), choose_model(metrics, config), oof)


def training_sets(features: pd.DataFrame, config: ClassifierConfig):
    """(every labelled rep of the six lifts, the final fit's sample of them, its classes in
    the order the fitted model has them); ValueError with fewer than two lifts labelled."""
    labelled = labelled_reps(features, LIFTS)
    classes = sorted(set(labelled["typed_lift"]), key=LIFTS.index)
    if len(classes) < 2:
        raise ValueError(
            f"need labelled sets of at least two lifts to train the classifier; found {classes}"
        )
    train = sample_training_sets(labelled, config.train_max_sets, config.seed)
    return labelled, train, [str(c) for c in np.unique(train["typed_lift"].to_numpy())]


def _covered_every_labelled_set(evaluation: Evaluation, n_sets: int) -> bool:
    """The set-level CV of the chosen model over the six lifts predicted every labelled set."""
    m = evaluation.metrics
    if m.empty:
        return False
    row = m[(m["model"] == evaluation.chosen) & (m["level"] == "set") & (m["lifts"] == "all6")]
    return bool(len(row)) and int(row["n_folds"].iloc[0]) > 0 and int(row["n"].iloc[0]) == n_sets


def fit_chosen(
    features: pd.DataFrame, config: ClassifierConfig, evaluation: Evaluation
) -> TrainingResult:
    """Fit the chosen model on the labelled reps (at most ``train_max_sets`` sets) and
    predict every labelled set out of fold (``cross_fit_labelled``): with the CV's own
    out-of-fold probabilities when the CV predicted every labelled set (from
    ``evaluation``, or, when it came from a table and holds none, by running that one CV
    again: the same folds, the same numbers), else by a ``cross_fit_folds``-fold cross-fit.
    """
    chosen = evaluation.chosen
    labelled, train, _ = training_sets(features, config)
    columns = config.features_for(chosen)
    model = make_estimator(chosen, config)
    n_sets = labelled["set_id"].nunique()

    def fit_final() -> float:
        started = time.perf_counter()
        with threadpool_limits(limits=config.threads):  # in the fitting thread (OpenMP)
            fit_estimator(model, train[columns], train["typed_lift"].to_numpy())
        return time.perf_counter() - started

    # The final fit and the cross-fit's folds are independent: they share the cv_jobs
    # threads (the final fit first, as it is the longest).
    cross_fitted = None
    with ThreadPoolExecutor(max_workers=config.cv_jobs) as pool:
        final = pool.submit(fit_final)
        if config.cross_fit_labelled:
            cached = evaluation.out_of_fold.get((chosen, "all6"))
            if cached is not None and len(cached) == n_sets:
                cross_fitted = cached
            elif cached is None and _covered_every_labelled_set(evaluation, n_sets):
                cross_fitted = cross_validate(features, chosen, "all6", config, executor=pool)[2]
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
        metrics=evaluation.metrics,
        confusion=evaluation.confusion,
        config=config,
        n_training_reps=len(train),
        n_training_sets=int(train["set_id"].nunique()),
        fit_seconds=fit_seconds,
        cross_fitted=cross_fitted,
    )


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
    evaluation = evaluate_models(features, config, scopes, evaluate)
    return fit_chosen(features, config, evaluation)
