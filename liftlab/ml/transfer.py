"""Transfer of the exercise classifier from generated to real exports (issue 13).

A model trained on generated sets only predicts every set of a real export with its labels
hidden; the prediction is scored against the lift the lifter typed, mapped to its family
(``SSB Squat`` and ``Tempo Squats (2/2/1)`` are squats). Sets typed null are not scored.
Beside the score, :func:`realism` measures how far the generated rep distributions are from
a real export's, per lift and feature (KS statistic and Wasserstein distance in units of
the generated feature's standard deviation).

Small pure functions over DataFrames; the warehouse work (landing, dbt, rep features) is done
by :func:`export_features`, which reuses ``liftlab.commands.classify.build_intermediate`` and
``liftlab.ml.warehouse.rep_features``.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

# Family of a typed exercise name: first matching pattern on the lower-cased text wins, so
# variants ("ssb squat", "tempo squats (2/2/1)", "sumo deadlift", "close grip bench") fall
# into their lift. Checked before the warehouse's typed_lift, which knows only its aliases.
FAMILY_PATTERNS: tuple[tuple[str, str], ...] = (
    ("deadlift", r"dead ?lift|\bdl\b|\bsumo\b|\brdl\b"),
    ("overhead_press", r"overhead|\bohp\b|military|shoulder press|push press"),
    ("bench_press", r"bench|\bbp\b"),
    ("squat", r"squat|\bsq\b"),
    ("barbell_row", r"\brows?\b"),
    ("power_clean", r"clean"),
)
REALISM_FEATURES: dict[str, str] = {
    "mean_velocity_m_s": "mean velocity",
    "rom_mm": "ROM",
    "peak_velocity_m_s": "peak velocity",
    "peak_velocity_location_pct": "peak location",
    "duration_s": "duration",
    "rel_load": "load / lifter median",
}


def lift_family(exercise: str | None, typed_lift: str | None = None) -> str | None:
    """The lift family of a typed exercise name (None when untyped or unknown)."""
    if exercise is not None and exercise.strip():
        text = exercise.strip().lower()
        for family, pattern in FAMILY_PATTERNS:
            if re.search(pattern, text):
                return family
    return typed_lift if isinstance(typed_lift, str) else None


def set_families(sets: pd.DataFrame) -> pd.Series:
    """``set_id`` -> typed lift family, for sets with ``exercise_raw`` and ``typed_lift``."""
    families = [
        lift_family(e if isinstance(e, str) else None, t)
        for e, t in zip(sets["exercise_raw"], sets["typed_lift"], strict=True)
    ]
    return pd.Series(families, index=sets["set_id"].to_numpy(), name="family")


def hide_labels(features: pd.DataFrame) -> pd.DataFrame:
    """The features with every typed label removed (the model must not see them)."""
    return features.assign(typed_lift=None, typed_lift_status="unlabeled")


@dataclass(frozen=True)
class Score:
    accuracy: float  # over every scored set (a set without a usable rep counts as wrong)
    n_sets: int
    accuracy_predicted: float  # over the scored sets that have a prediction
    n_predicted: int
    confusion: pd.DataFrame  # rows typed family, columns predicted lift ("none"), counts


def score_sets(predictions: pd.DataFrame, families: pd.Series) -> Score:
    """Set-level accuracy of ``predictions`` (set_id, predicted_lift) against ``families``.

    Sets without a family (typed null or unknown) are excluded; a scored set without a
    prediction (no usable rep) counts as wrong.
    """
    known = families.dropna()
    predicted = predictions.set_index("set_id")["predicted_lift"].reindex(known.index)
    predicted = predicted.fillna("none")
    right = predicted.to_numpy() == known.to_numpy()
    confusion = pd.crosstab(
        pd.Series(known.to_numpy(), name="typed"), pd.Series(predicted.to_numpy(), name="predicted")
    )
    has = predicted.to_numpy() != "none"
    return Score(
        accuracy=float(right.mean()) if len(right) else float("nan"),
        n_sets=len(right),
        accuracy_predicted=float(right[has].mean()) if has.any() else float("nan"),
        n_predicted=int(has.sum()),
        confusion=confusion,
    )


def distance(generated: np.ndarray, real: np.ndarray) -> tuple[float, float]:
    """(KS statistic, Wasserstein distance / generated sd) of two samples (NaN if empty)."""
    g = generated[np.isfinite(generated)]
    r = real[np.isfinite(real)]
    if g.size < 2 or r.size < 1:
        return float("nan"), float("nan")
    scale = float(np.std(g)) or 1.0
    ks = float(stats.ks_2samp(g, r).statistic)
    return ks, float(stats.wasserstein_distance(g / scale, r / scale))


def realism(generated: pd.DataFrame, real: pd.DataFrame, lift_column: str = "lift") -> pd.DataFrame:
    """Per lift of ``real`` and feature: KS, Wasserstein (generated sd), medians, and the
    percentile of the real median within the generated distribution.

    Both frames have ``lift_column`` and the :data:`REALISM_FEATURES` columns, one row per rep.
    """
    rows = []
    for lift in sorted(real[lift_column].dropna().unique()):
        g_lift = generated[generated[lift_column] == lift]
        r_lift = real[real[lift_column] == lift]
        for column, label in REALISM_FEATURES.items():
            g = g_lift[column].to_numpy(dtype=float)
            r = r_lift[column].to_numpy(dtype=float)
            ks, w = distance(g, r)
            g_ok, r_ok = g[np.isfinite(g)], r[np.isfinite(r)]
            r_median = float(np.median(r_ok)) if r_ok.size else float("nan")
            pct = float((g_ok < r_median).mean() * 100) if g_ok.size else float("nan")
            rows.append(
                {
                    "lift": lift,
                    "feature": label,
                    "ks": ks,
                    "wasserstein_sd": w,
                    "generated_median": float(np.median(g_ok)) if g_ok.size else float("nan"),
                    "real_median": r_median,
                    "real_median_pct": pct,
                    "n_real": int(r_ok.size),
                }
            )
    return pd.DataFrame(rows)


def export_features(
    data: str | Path, workdir: Path | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rep features, sets) of an export: landed and built up to the intermediate models in a
    temporary DuckDB file, as ``liftlab classify`` does."""
    import duckdb

    from liftlab.commands.classify import build_intermediate
    from liftlab.ml.warehouse import rep_features

    with tempfile.TemporaryDirectory(prefix="liftlab-transfer-", dir=workdir) as tmp:
        database = Path(tmp) / "export.duckdb"
        build_intermediate(str(data), database)
        with duckdb.connect(str(database), read_only=True) as con:
            sets = con.sql(
                "select set_id, lifter_id, workout_id, started_at, set_number, load_kg,"
                " exercise_raw, typed_lift, typed_lift_status from int_sets_aggregated"
            ).df()
            features = rep_features(con)
    return features, sets


def with_lift(features: pd.DataFrame, lifts: pd.Series) -> pd.DataFrame:
    """``features`` with a ``lift`` column from ``lifts`` (indexed by set_id)."""
    return features.assign(lift=features["set_id"].map(lifts).to_numpy())
