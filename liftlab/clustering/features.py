"""Per-lifter feature tables from ``fct_sets`` rows, in original units.

One row per lifter x lift (or lifter x workout x lift with ``group_by: lifter_workout``);
``lifts: all`` pools every lift of a lifter into one row with ``lift = 'all'``. Each chosen
feature appears once per chosen aggregator as ``<feature>__<aggregator>``. Derived features:
``velocity_loss`` (the set's first-to-last rep velocity loss, from the marts) and
``relative_load`` (set load / the lifter's best load on that lift).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from liftlab.clustering.config import FEATURES, validate_config

ALL_LIFTS = "all"


def feature_column(feature: str, aggregator: str) -> str:
    return f"{feature}__{aggregator}"


def source_columns(cfg: Mapping[str, Any]) -> list[str]:
    """The ``fct_sets`` columns a configuration needs (allow-listed names only)."""
    cols = ["set_id", "lifter_id", "lift"]
    if cfg["group_by"] == "lifter_workout":
        cols.append("workout_id")
    for feature in cfg["features"]:
        col = FEATURES[feature][0]
        if col not in cols:
            cols.append(col)
    return cols


_AGG_FUNCS = {"mean": "mean", "median": "median", "min": "min", "max": "max", "std": "std"}


def build_features(sets: pd.DataFrame, config: Mapping[str, Any]) -> pd.DataFrame:
    """Aggregate set rows into the feature table of ``config``.

    Returns columns: ``group_key`` (lifter_id, or lifter_id|workout_id), ``lifter_id``,
    ``lift``, [``workout_id``], ``n_sets`` (sets of the lifter on that lift, whatever the
    group-by: the minimum-sets rule is per lifter), then the feature columns, sorted by
    lift and group key so that results do not depend on input row order.
    """
    cfg = validate_config(config)
    frame = sets.loc[:, [c for c in source_columns(cfg) if c in sets.columns]].copy()
    missing = [c for c in source_columns(cfg) if c not in frame.columns]
    if missing:
        raise KeyError(f"sets frame lacks columns {missing}")
    lifts = cfg["lifts"]
    # pooled mode keeps sets whose lift is not known: they still show how the lifter lifts
    frame = frame[frame["lifter_id"].notna() & (frame["lift"].notna() | (lifts == ALL_LIFTS))]
    if isinstance(lifts, list):
        frame = frame[frame["lift"].isin(lifts)]

    values = pd.DataFrame(index=frame.index)
    for feature in cfg["features"]:
        col = FEATURES[feature][0]
        v = pd.to_numeric(frame[col], errors="coerce").astype("float64")
        v = v.where(np.isfinite(v))
        if feature == "relative_load":
            best = v.groupby([frame["lifter_id"], frame["lift"]], dropna=False).transform("max")
            v = (v / best).where(best > 0)
        values[feature] = v

    if lifts == ALL_LIFTS:
        frame = frame.assign(lift=ALL_LIFTS)
    keys = ["lifter_id", "lift"]
    n_sets = frame.groupby(keys, sort=False)["set_id"].transform("count")
    if cfg["group_by"] == "lifter_workout":
        keys = ["lifter_id", "lift", "workout_id"]
    values[keys] = frame[keys]
    values["n_sets"] = n_sets

    grouped = values.groupby(keys, sort=True, dropna=False)
    out = grouped["n_sets"].first().to_frame()
    for feature in cfg["features"]:
        for agg in cfg["aggregators"]:
            series = grouped[feature]
            agg_values = series.quantile(0.9) if agg == "p90" else series.agg(_AGG_FUNCS[agg])
            out[feature_column(feature, agg)] = agg_values
    out = out.reset_index()
    if cfg["group_by"] == "lifter_workout":
        out.insert(0, "group_key", out["lifter_id"] + "|" + out["workout_id"].astype(str))
    else:
        out.insert(0, "group_key", out["lifter_id"])
    out["n_sets"] = out["n_sets"].astype("int64")
    return out.sort_values(["lift", "group_key"], kind="stable").reset_index(drop=True)


def feature_names(config: Mapping[str, Any]) -> list[str]:
    cfg = validate_config(config)
    return [feature_column(f, a) for f in cfg["features"] for a in cfg["aggregators"]]
