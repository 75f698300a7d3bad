"""Set documents' own fields (everything before ``"reps":[``) as text, vectorised.

Fields are drawn per base set, faults applied, and written as byte cells
(:mod:`liftlab.generator.cells`); a whole head is one row, so a set costs no Python string
until the rare lines that are edited by hand (superseded versions).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from liftlab.generator import cells, encode
from liftlab.generator.faults import (
    GARBAGE_RPE,
    SET_FAULT_CODE,
    exercise_labels,
    label_vocabulary,
)
from liftlab.generator.lifters import Lifters
from liftlab.generator.physics import LB_KG, variant_array
from liftlab.generator.workouts import SetPlan

DECIMAL_WEIGHT_RATE = 0.08  # new-app weights stored with many decimals ("184.664246824")

TAG_TEXT = [
    '"tags":['
    + ",".join(t for t, on in zip(('"warmup"', '"belt"', '"band"'), bits, strict=True) if on)
    + "],"
    for bits in ((c & 1, c & 2, c & 4) for c in range(8))
]
NO_TAGS = len(TAG_TEXT)  # old app: no tags field
# deletion field by (new app, deleted): old apps write removed true/false, new ones deleted
DELETION_TEXT = ['"removed":false,', '"removed":true,', "", '"deleted":true,']
METRIC_TEXT = ["kgs", "lbs"]
VARIANT_LOAD = variant_array("load", 1.0)


def _table(texts: list[str | None]) -> np.ndarray:
    return cells.text_cells([t.encode("utf-8") for t in texts])


@cache
def _tables() -> dict[str, np.ndarray]:
    """Cell tables of the small vocabularies, gathered per set by code."""
    return {
        "exercise": _table([encode.json_text(v) for v in label_vocabulary().labels]),
        "tags": _table([*TAG_TEXT, ""]),
        "deletion": _table(DELETION_TEXT),
        "metric": _table(METRIC_TEXT),
        "garbage_rpe": _table(list(GARBAGE_RPE)),
    }


@dataclass
class SetFields:
    """Typed (as-emitted) set fields, one entry per base set."""

    label: np.ndarray  # code into the label vocabulary
    weight: np.ndarray  # cells: the weight value as emitted
    lbs_label: np.ndarray  # metric says lbs
    rpe: np.ndarray  # cells
    deletion: np.ndarray  # code into DELETION_TEXT
    tags: np.ndarray  # code into TAG_TEXT, NO_TAGS for old apps
    typed_kg: np.ndarray
    detail: list[str | None]

    @property
    def exercise(self) -> list[str | None]:
        """The typed exercise texts (None = JSON null)."""
        labels = label_vocabulary().labels
        return [labels[c] for c in self.label.tolist()]


def typed_weights(lifters: Lifters, plan: SetPlan) -> np.ndarray:
    """The number the lifter typed, in their unit (plates: 5 lb or 2.5 kg), planned from the
    day's true 1RM."""
    kg = plan.pct * plan.one_rm_kg * VARIANT_LOAD[plan.variant]
    lbs = lifters.uses_lbs[plan.lifter]
    step = np.where(lbs, 5.0, 2.5)
    value = np.where(lbs, kg / LB_KG, kg)
    return np.maximum(np.rint(value / step) * step, np.where(lbs, 45.0, 20.0))


def _quoted(text: np.ndarray, quote: np.ndarray) -> np.ndarray:
    """Cells of ``text`` in double quotes where ``quote`` (new apps store strings)."""
    mark = np.where(quote, ord('"'), 0).astype(np.uint8)[:, None]
    return cells.concat_cells(quote.size, [mark, text, mark])


def half_cells(values: np.ndarray) -> np.ndarray:
    """Non-negative multiples of 0.5 as Python prints floats: ``185.0``, ``102.5``."""
    doubled = np.rint(values * 2).astype(np.int64)
    if not np.array_equal(doubled, values * 2):
        raise ValueError("values must be multiples of 0.5")
    whole, half = np.divmod(doubled, 2)
    return cells.concat_cells(
        values.size, [cells.int_cells(whole), b".", cells.int_cells(half * 5, 1)]
    )


def decimal_cells(values: np.ndarray, decimals: int) -> np.ndarray:
    """Non-negative numbers with exactly ``decimals`` decimals (``%.9f`` for 9)."""
    scaled = np.rint(values * 10.0**decimals).astype(np.int64)
    whole, fraction = np.divmod(scaled, 10**decimals)
    return cells.concat_cells(
        values.size, [cells.int_cells(whole), b".", cells.padded_cells(fraction, decimals)]
    )


def _pick_rows(mask: np.ndarray, when: np.ndarray, otherwise: np.ndarray) -> np.ndarray:
    """Row-wise choice between two cell matrices (padded to the wider)."""
    width = max(when.shape[1], otherwise.shape[1])
    out = np.zeros((mask.size, width), dtype=np.uint8)
    out[:, : otherwise.shape[1]] = otherwise
    out[mask, : when.shape[1]] = when[mask]
    out[mask, when.shape[1] :] = 0
    return out


def weight_cells(rng: np.random.Generator, typed: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Weight as the app version stores it: number (old), string, or many-decimal string."""
    decimals = (rng.random(typed.size) < DECIMAL_WEIGHT_RATE) & new
    jitter = rng.uniform(-0.5, 0.5, typed.size)
    text = _pick_rows(decimals, decimal_cells(typed + jitter, 9), half_cells(typed))
    return _quoted(text, new)


def set_fields(
    rng: np.random.Generator, lifters: Lifters, plan: SetPlan, fault: np.ndarray
) -> SetFields:
    """Exercise, weight, metric, rpe, deletion and tags of each set, faults applied."""
    n = plan.size
    label, detail = exercise_labels(rng, plan.lift, fault, plan.variant)
    typed = typed_weights(lifters, plan)
    lbs = lifters.uses_lbs[plan.lifter]
    new = lifters.new_app[plan.lifter]
    weight = weight_cells(rng, typed, new)
    weight = cells.set_rows(weight, fault == SET_FAULT_CODE["weight_empty"], b'""')
    weight = cells.set_rows(weight, fault == SET_FAULT_CODE["weight_null"], b"null")
    wrong = fault == SET_FAULT_CODE["wrong_unit_label"]
    lbs_label = lbs != wrong
    garbage = rng.integers(0, len(GARBAGE_RPE), n)
    is_garbage = fault == SET_FAULT_CODE["garbage_rpe"]
    rpe = _pick_rows(
        is_garbage, _tables()["garbage_rpe"][garbage], _quoted(half_cells(plan.rpe), new)
    )
    for i in np.flatnonzero(is_garbage).tolist():
        detail[i] = f"rpe {GARBAGE_RPE[garbage[i]]}"
    for i in np.flatnonzero(wrong).tolist():
        unit, said = ("lbs" if lbs[i] else "kgs"), METRIC_TEXT[int(lbs_label[i])]
        detail[i] = f"value in {unit}, labelled {said}"
    deleted = fault == SET_FAULT_CODE["deleted_set"]
    tag_code = plan.is_warmup * 1 + plan.belt * 2 + plan.band * 4
    return SetFields(
        label=label,
        weight=weight,
        lbs_label=lbs_label,
        rpe=rpe,
        deletion=new * 2 + deleted,
        tags=np.where(new, tag_code, NO_TAGS),
        typed_kg=np.where(lbs, typed * LB_KG, typed),
        detail=detail,
    )


def superseded_edits(
    fields: SetFields, rows: np.ndarray, kinds: list[int]
) -> list[tuple[str, str, str | None, str]]:
    """The earlier (superseded) versions' weight, rpe, exercise and a detail: a weight
    typed ten times too big (kind 0), an empty exercise (1) or an rpe of 0 (2)."""
    weights = cells.row_strings(rows.size, [fields.weight[rows]])
    rpes = cells.row_strings(rows.size, [fields.rpe[rows]])
    labels = label_vocabulary().labels
    return [
        _superseded_edit(weight, rpe, labels[int(fields.label[i])], kind)
        for i, weight, rpe, kind in zip(rows.tolist(), weights, rpes, kinds, strict=True)
    ]


def _superseded_edit(
    weight: str, rpe: str, exercise: str | None, kind: int
) -> tuple[str, str, str | None, str]:
    if kind == 0 and weight not in ('""', "null"):
        number = float(weight.strip('"')) * 10
        wrong = f'"{number!r}"' if weight.startswith('"') else repr(number)
        return wrong, rpe, exercise, f"weight {wrong} corrected to {weight}"
    if kind == 1:
        return weight, rpe, "", f"exercise '' corrected to {exercise!r}"
    wrong_rpe = '"0.0"' if rpe.startswith('"') else "0.0"
    return weight, wrong_rpe, exercise, f"rpe {wrong_rpe} corrected to {rpe}"


@dataclass
class Ids:
    """Identifiers and timestamps of a batch as cells: documents per line; sets, users,
    workouts and start times per base set."""

    doc: np.ndarray
    set: np.ndarray
    user: np.ndarray
    workout: np.ndarray
    start: np.ndarray

    @classmethod
    def draw(
        cls, rng: np.random.Generator, user_cells: np.ndarray, plan: SetPlan, src: np.ndarray
    ) -> Ids:
        n_base = plan.size
        upload_s = plan.start_ms[src] // 1000 + rng.integers(60, 7200, src.size)
        upload_s[n_base:] += rng.integers(3600, 30 * 86400, src.size - n_base)
        workouts = encode.uuid_cells(rng, int(plan.workout.max()) + 1 if n_base else 0)
        return cls(
            doc=encode.object_id_cells(rng, upload_s),
            set=encode.uuid_cells(rng, n_base),
            user=user_cells[plan.lifter],
            workout=workouts[plan.workout],
            start=cells.iso_ms_cells(plan.start_ms),
        )


def set_heads(
    plan: SetPlan,
    fields: SetFields,
    ids: Ids,
    doc: np.ndarray,
    src: np.ndarray,
    edits: dict[str, np.ndarray] | None = None,
) -> list[bytes]:
    """The text of lines with documents ``doc`` of base sets ``src``, up to ``"reps":[``.

    ``edits`` may replace the ``weight``, ``rpe`` or ``exercise`` cells of those lines.
    """
    edits = edits or {}
    tables = _tables()
    return cells.row_bytes(
        src.size,
        [
            b'{"_id":"',
            ids.doc[doc],
            b'","userID":"',
            ids.user[src],
            b'","setID":"',
            ids.set[src],
            b'","workoutID":"',
            ids.workout[src],
            b'","exercise":',
            edits.get("exercise", tables["exercise"][fields.label[src]]),
            b',"setNumber":',
            cells.int_cells(plan.set_number[src]),
            b'.0,"weight":',
            edits.get("weight", fields.weight[src]),
            b',"metric":"',
            tables["metric"][fields.lbs_label[src].astype(np.int64)],
            b'","rpe":',
            edits.get("rpe", fields.rpe[src]),
            b",",
            tables["tags"][fields.tags[src]],
            b'"initialStartTime":"',
            ids.start[src],
            b'",',
            tables["deletion"][fields.deletion[src]],
            b'"reps":[',
        ],
    )


def edit_cells(texts: list[str]) -> np.ndarray:
    """Cells of hand-edited field texts (JSON already)."""
    return cells.text_cells([t.encode("utf-8") for t in texts])
