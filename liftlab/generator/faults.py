"""Fault profiles, the fault vocabulary and the exercise-label variants.

Each set line carries at most one set-level fault (``fault`` in the ground truth); each rep
at most one rep-level fault (``rep_faults``). The vocabulary is the warehouse's contract:

set level: unlabeled, alias, typo, unknown_name, mislabeled, weight_empty, weight_null,
wrong_unit_label, garbage_rpe, deleted_set, revision (the later line of a re-upload; its
earlier line is ``superseded``), malformed_json.
rep level: infinite_velocity, absurd_velocity, removed_rep, invalid_rep, truncated_array.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from liftlab.generator.physics import LIFTS, VARIANTS, variant_array

VARIANT_LABEL_RATE = variant_array("label_rate", 0.0)

LABEL_FAULTS: tuple[str, ...] = ("unlabeled", "alias", "typo", "unknown_name", "mislabeled")
VALUE_FAULTS: tuple[str, ...] = (
    "weight_empty",
    "weight_null",
    "wrong_unit_label",
    "garbage_rpe",
    "deleted_set",
)
DRAWN_SET_FAULTS: tuple[str, ...] = LABEL_FAULTS + VALUE_FAULTS
SET_FAULTS: tuple[str, ...] = (*DRAWN_SET_FAULTS, "revision", "superseded", "malformed_json")
REP_FAULTS: tuple[str, ...] = (
    "infinite_velocity",
    "absurd_velocity",
    "removed_rep",
    "invalid_rep",
    "truncated_array",
)
SET_FAULT_CODE = {name: i for i, name in enumerate(SET_FAULTS)}  # drawn faults first
REP_FAULT_CODE = {name: i for i, name in enumerate(REP_FAULTS)}

# Rates: set faults per base set (mutually exclusive), revision per emitted line,
# malformed_json per line, rep faults per rep (mutually exclusive).
PROFILES: dict[str, dict[str, float]] = {
    "none": dict.fromkeys((*DRAWN_SET_FAULTS, "revision", "malformed_json", *REP_FAULTS), 0.0),
    "realistic": {
        "unlabeled": 0.30,
        "alias": 0.09,
        "typo": 0.06,
        "unknown_name": 0.02,
        "mislabeled": 0.02,
        "weight_empty": 0.008,
        "weight_null": 0.008,
        "wrong_unit_label": 0.01,
        "garbage_rpe": 0.008,
        "deleted_set": 0.02,
        "revision": 0.012,
        "malformed_json": 0.0005,
        "infinite_velocity": 0.004,
        "absurd_velocity": 0.002,
        "removed_rep": 0.02,
        "invalid_rep": 0.015,
        "truncated_array": 0.003,
    },
    "heavy": {
        "unlabeled": 0.35,
        "alias": 0.15,
        "typo": 0.12,
        "unknown_name": 0.05,
        "mislabeled": 0.05,
        "weight_empty": 0.03,
        "weight_null": 0.03,
        "wrong_unit_label": 0.03,
        "garbage_rpe": 0.03,
        "deleted_set": 0.05,
        "revision": 0.04,
        "malformed_json": 0.01,
        "infinite_velocity": 0.02,
        "absurd_velocity": 0.01,
        "removed_rep": 0.05,
        "invalid_rep": 0.04,
        "truncated_array": 0.02,
    },
}

# The app's label for a clean set: the lift's name as newer apps store it (lower case).
CLEAN_LABEL: dict[str, str] = {
    "squat": "squat",
    "bench_press": "bench press",
    "deadlift": "deadlift",
    "overhead_press": "overhead press",
    "barbell_row": "barbell row",
    "power_clean": "power clean",
}
ALIASES: dict[str, tuple[str, ...]] = {
    "squat": ("Squat", " squat ", "Back Squat", "SQUAT", "back squat"),
    "bench_press": ("bp", "Bench", "comp bench", "BENCH PRESS", "Bench Press", "bench"),
    "deadlift": ("sumo deadlift", "DL", "Deadlift", "conventional deadlift", "dead lift"),
    "overhead_press": ("ohp", "military press", "OHP", "Overhead Press", "shoulder press"),
    "barbell_row": ("bent over row", "Barbell Row", "BB row", "barbell rows", "pendlay row"),
    "power_clean": ("Power Clean", "clean", "POWER CLEAN", " power clean"),
}
UNKNOWN_NAMES: tuple[str, ...] = (
    "\U0001f3cb\ufe0f",
    "asdf",
    "leg day",
    "test",
    "???",
    "\U0001f4aa",
    "new exercise",
    "x",
    "heavy day",
    "1",
)
GARBAGE_RPE: tuple[str, ...] = ('"1575.0"', "-3", '"abc"', '"99"', "45.5", '"-1.0"')


def profile_rates(name: str) -> dict[str, float]:
    """The rates of a named profile (KeyError names the valid profiles)."""
    if name not in PROFILES:
        raise KeyError(f"unknown fault profile {name!r}; choose one of {sorted(PROFILES)}")
    return PROFILES[name]


def one_edit_typos(word: str) -> list[str]:
    """Adjacent swaps, dropped and doubled letters of ``word`` (letters only), deduplicated."""
    out: list[str] = []
    for i, ch in enumerate(word):
        if not ch.isalpha():
            continue
        out.append(word[:i] + word[i + 1 :])
        out.append(word[:i] + ch + word[i:])
        if i + 1 < len(word) and word[i + 1].isalpha() and word[i + 1] != ch:
            out.append(word[:i] + word[i + 1] + ch + word[i + 2 :])
    return list(dict.fromkeys(out))


@cache
def typo_table(lift: str) -> tuple[str, ...]:
    """All one-edit typos of a lift's clean label that are not another known label."""
    known = {label.strip().lower() for names in ALIASES.values() for label in names}
    known |= set(CLEAN_LABEL.values())
    return tuple(t for t in one_edit_typos(CLEAN_LABEL[lift]) if t.strip().lower() not in known)


def draw_set_faults(rng: np.random.Generator, rates: dict[str, float], n: int) -> np.ndarray:
    """Per base set: index into DRAWN_SET_FAULTS, or -1 when clean."""
    p = np.array([rates[name] for name in DRAWN_SET_FAULTS])
    cum = np.cumsum(p)
    code = np.searchsorted(cum, rng.random(n), side="right")
    return np.where(code >= len(DRAWN_SET_FAULTS), -1, code)


def draw_rep_faults(rng: np.random.Generator, rates: dict[str, float], n: int) -> np.ndarray:
    """Per rep: index into REP_FAULTS, or -1 when clean."""
    cum = np.cumsum([rates[name] for name in REP_FAULTS])
    code = np.searchsorted(cum, rng.random(n), side="right")
    return np.where(code >= len(REP_FAULTS), -1, code)


@dataclass(frozen=True)
class LabelVocabulary:
    """Every exercise text the generator can type, and where each lift's variants start.

    Codes: 0 = JSON null, 1 = empty string, then per lift its clean label, aliases and
    typos, then the unknown names.
    """

    labels: tuple[str | None, ...]
    clean: np.ndarray  # code of each lift's clean label
    alias_start: np.ndarray
    alias_count: np.ndarray
    typo_start: np.ndarray
    typo_count: np.ndarray
    unknown_start: int
    variant: np.ndarray  # code of each variant's name, by variant code (0: none, -1)


@cache
def label_vocabulary() -> LabelVocabulary:
    labels: list[str | None] = [None, ""]
    clean, alias_start, alias_count, typo_start, typo_count = [], [], [], [], []
    for lift in LIFTS:
        clean.append(len(labels))
        labels.append(CLEAN_LABEL[lift])
        alias_start.append(len(labels))
        alias_count.append(len(ALIASES[lift]))
        labels.extend(ALIASES[lift])
        typo_start.append(len(labels))
        typo_count.append(len(typo_table(lift)))
        labels.extend(typo_table(lift))
    unknown_start = len(labels)
    labels.extend(UNKNOWN_NAMES)
    variant = [-1, *range(len(labels), len(labels) + len(VARIANTS))]
    labels.extend(v.label for v in VARIANTS)
    return LabelVocabulary(
        tuple(labels),
        *(np.array(v) for v in (clean, alias_start, alias_count, typo_start, typo_count)),
        unknown_start,
        np.array(variant),
    )


def exercise_labels(
    rng: np.random.Generator, lift: np.ndarray, fault: np.ndarray, variant: np.ndarray
) -> tuple[np.ndarray, list[str | None]]:
    """Typed exercise per set as a code into :func:`label_vocabulary`, and a fault detail
    ("null" / "empty string" for unlabeled sets, "typed <lift>" for mislabeled ones).

    A variant set without a label fault is typed with the variant's name at its label rate
    (else with the lift's)."""
    vocab = label_vocabulary()
    u = rng.random(lift.size)
    k = rng.integers(0, 1 << 30, lift.size)
    named = (variant > 0) & (rng.random(lift.size) < VARIANT_LABEL_RATE[variant])
    label = {name: fault == i for i, name in enumerate(LABEL_FAULTS)}
    others = len(LIFTS) - 1
    wrong = k % others
    wrong += wrong >= lift  # the k-th lift other than the true one
    code = np.where(named, vocab.variant[variant], vocab.clean[lift])
    code = np.where(label["unlabeled"], np.where(u < 0.5, 0, 1), code)
    code = np.where(label["alias"], vocab.alias_start[lift] + k % vocab.alias_count[lift], code)
    code = np.where(label["typo"], vocab.typo_start[lift] + k % vocab.typo_count[lift], code)
    code = np.where(label["unknown_name"], vocab.unknown_start + k % len(UNKNOWN_NAMES), code)
    code = np.where(label["mislabeled"], vocab.clean[wrong], code)
    detail: list[str | None] = [None] * lift.size
    for i in np.flatnonzero(label["unlabeled"]).tolist():
        detail[i] = "null" if code[i] == 0 else "empty string"
    for i in np.flatnonzero(label["mislabeled"]).tolist():
        detail[i] = f"typed {LIFTS[wrong[i]]}"
    return code, detail
