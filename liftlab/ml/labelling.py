"""Labelling sets with a trained model: the reps' class probabilities averaged per set, the
within-lifter neighbour smoothing (liftlab.ml.neighbours), and the most probable lift. Which
lift a set finally is (typed, predicted, uncertain) is decided in SQL, in ``fct_sets``."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from liftlab.ml.config import LABELLED_STATUS, ClassifierConfig
from liftlab.ml.estimators import aligned_proba, set_probabilities
from liftlab.ml.evaluation import isin


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
        proba = aligned_proba(model, features[feature_columns], classes)
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
    sets: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``by_set`` after the within-lifter neighbour smoothing of the config
    (:func:`liftlab.ml.neighbours.smooth_within_lifter`): the sets whose lift is not
    ``typed`` (typed_lifts) are smoothed, the typed ones take part as anchors and keep their
    own rows. With ``sets`` (SEQUENCE_COLUMNS), consecutive sets of a workout are linked
    too, and the sets of ``sets`` without a usable rep that a link reaches come back with
    their neighbours' probabilities. Unchanged when the smoothing is off."""
    from liftlab.ml.neighbours import set_profiles, set_sequence, smooth_within_lifter

    if config.neighbour_k < 2 or by_set.empty:
        return by_set
    typed = typed if typed is not None else pd.Series(dtype=object)
    known = by_set.index.isin(typed.index)
    linked = sets is not None and config.workout_links and "workout_id" in sets
    sequence = set_sequence(sets) if linked else None
    smoothed = smooth_within_lifter(
        by_set[~known],
        set_profiles(features),
        typed,
        config.neighbour_k,
        config.neighbour_rounds,
        sequence,
    )
    return pd.concat([by_set[known], smoothed])


def predict_sets(
    model: Pipeline,
    feature_columns: list[str],
    features: pd.DataFrame,
    config: ClassifierConfig | None = None,
    typed: pd.Series | None = None,
    sets: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Set-level predictions of ``model`` (see :func:`summarise_set_probabilities`), smoothed
    within each lifter as the config says, the ``typed`` sets (typed_lifts) as anchors, and
    consecutive sets of a workout linked when ``sets`` are given (:func:`smooth_sets`)."""
    by_set = predict_set_probabilities(model, feature_columns, features)
    config = config or ClassifierConfig()
    return summarise_set_probabilities(smooth_sets(by_set, features, config, typed, sets))


def label_sets(
    sets: pd.DataFrame,
    features: pd.DataFrame,
    model: Pipeline,
    feature_columns: list[str],
    config: ClassifierConfig | None = None,
    cross_fitted: pd.DataFrame | None = None,
    held_out: pd.Index | None = None,
) -> pd.DataFrame:
    """Every set of ``sets`` with its prediction (null when it has no usable rep, unless the
    sets before and after it in the workout give one: ``prediction_origin``
    'workout_neighbours', see :func:`smooth_sets`): the probabilities only; fct_sets
    resolves ``lift`` / ``lift_source`` from them (SQL).

    ``cross_fitted`` (TrainingResult.cross_fitted) gives out-of-fold probabilities for the
    labelled sets; those sets take them instead of the final model's in-sample ones
    (``prediction_origin`` 'cross_fitted' vs 'final_model'). ``held_out`` names sets whose
    rows the caller has already (the last build's cross-fitted rows): they are left out of
    the final model's pass as the cross-fitted ones are, and come back without a prediction.
    """
    config = config or ClassifierConfig()
    base = sets[["set_id", "typed_lift", "typed_lift_status"]].drop_duplicates("set_id")
    classes = [str(c) for c in model.classes_]
    cf = pd.DataFrame(columns=classes, index=pd.Index([], name="set_id"), dtype=float)
    if cross_fitted is not None and len(cross_fitted):
        cf = cross_fitted.reindex(columns=classes, fill_value=0.0)
        cf = cf[isin(cf.index, features["set_id"])]
    # Only the sets without an out-of-fold prediction go through the final model.
    outside = cf.index if held_out is None else cf.index.union(held_out)
    rest = features[~isin(features["set_id"], outside)] if len(outside) else features
    by_final = predict_set_probabilities(model, feature_columns, rest)
    by_final = smooth_sets(by_final, features, config, typed_lifts(base), sets)
    parts = [frame for frame in (by_final, cf.astype(float)) if len(frame)]
    by_set = (pd.concat(parts) if parts else by_final).sort_index()
    origin = pd.Series("final_model", index=by_set.index, dtype=object)
    origin.loc[cf.index] = "cross_fitted"
    origin.loc[~isin(by_set.index, features["set_id"])] = "workout_neighbours"
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
