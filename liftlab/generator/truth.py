"""A batch's ground truth as Arrow columns, and the counts its manifest adds up.

Columns are built from the batch's numpy arrays and id cells (codes decoded through Arrow
dictionaries), not from one Python object per line: writing the truth then costs about
what writing the numbers does.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa

from liftlab.generator import cells
from liftlab.generator.faults import REP_FAULTS, SET_FAULT_CODE, SET_FAULTS, label_vocabulary
from liftlab.generator.physics import LIFTS
from liftlab.generator.workouts import DAY_MS, EPOCH_MS

GONE = ("malformed_json", "superseded", "deleted_set")  # lines the warehouse does not keep


def cell_strings(matrix: np.ndarray) -> pa.Array:
    """Arrow strings of the rows of a cell matrix (ASCII; zero-copy when fixed width)."""
    n, width = matrix.shape
    if n and np.all(matrix != 0):
        offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
        data = np.ascontiguousarray(matrix).tobytes()
        return pa.Array.from_buffers(
            pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
        )
    return pa.array(cells.row_strings(n, [matrix]), pa.string())


def coded_strings(codes: np.ndarray, vocabulary: tuple[str | None, ...]) -> pa.Array:
    """Strings ``vocabulary[code]`` (null where code < 0 or the entry is None)."""
    indices = pa.array(codes.astype(np.int32), mask=codes < 0)
    dictionary = pa.array(list(vocabulary), pa.string())
    return pa.DictionaryArray.from_arrays(indices, dictionary).cast(pa.string())


def line_rep_index(rep_start: np.ndarray, n_reps: np.ndarray, src: np.ndarray) -> np.ndarray:
    """Offsets (lines + 1) and the flat rep indices of each line's reps (a line repeats
    the reps of its base set)."""
    counts = n_reps[src]
    offsets = np.zeros(src.size + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    flat = np.repeat(rep_start[src] - offsets[:-1], counts) + np.arange(offsets[-1])
    return offsets, flat


@dataclass
class BatchCounts:
    """What a batch adds to the manifest."""

    lines: int
    reps: int
    faults: Counter
    rep_faults: Counter
    reps_in_kept: int
    usable_reps_in_kept: int


@dataclass
class LineFacts:
    """Per emitted line (numpy arrays) plus the batch's reps, for the truth file."""

    first_line: int
    src: np.ndarray  # base set of each line
    fault: np.ndarray  # code into SET_FAULTS, -1 clean
    detail: list[str | None]
    typed_label: np.ndarray  # code into the label vocabulary
    true_lift: np.ndarray
    n_reps: np.ndarray  # per base set
    rep_fault: np.ndarray  # per rep: code into REP_FAULTS, -1 clean
    is_warmup: np.ndarray
    pct_1rm: np.ndarray
    true_weight_kg: np.ndarray
    device_version: np.ndarray
    day: np.ndarray  # workout day, days since EPOCH_MS
    true_one_rm_kg: np.ndarray
    readiness: np.ndarray

    @cached_property
    def line_reps(self) -> tuple[np.ndarray, np.ndarray]:
        """Offsets and flat rep indices of every line's reps (:func:`line_rep_index`)."""
        rep_start = np.cumsum(self.n_reps) - self.n_reps
        return line_rep_index(rep_start, self.n_reps, self.src)


def truth_columns(facts: LineFacts, ids: dict[str, np.ndarray]) -> dict[str, pa.Array]:
    """The truth_sets columns of a batch (``ids``: doc, set, user and workout id cells, one
    row per line)."""
    n = facts.src.size
    offsets, flat = facts.line_reps
    rep_faults = pa.ListArray.from_arrays(
        pa.array(offsets.astype(np.int32)), coded_strings(facts.rep_fault[flat], REP_FAULTS)
    )
    return {
        "line_number": pa.array(np.arange(facts.first_line, facts.first_line + n)),
        **{f"{name}_id": cell_strings(matrix) for name, matrix in ids.items()},
        "true_lift": coded_strings(facts.true_lift, LIFTS),
        "typed_exercise": coded_strings(facts.typed_label, label_vocabulary().labels),
        "fault": coded_strings(facts.fault, SET_FAULTS),
        "fault_detail": pa.array(facts.detail, pa.string()),
        "n_reps": pa.array(facts.n_reps[facts.src]),
        "rep_faults": rep_faults,
        "is_warmup": pa.array(facts.is_warmup),
        "pct_1rm": pa.array(np.round(facts.pct_1rm, 4)),
        "true_weight_kg": pa.array(np.round(facts.true_weight_kg, 3)),
        "device_version": pa.array(facts.device_version.astype(np.int64)),
        "workout_date": dates(facts.day),
        "true_one_rm_kg": pa.array(np.round(facts.true_one_rm_kg, 2)),
        "readiness_offset": pa.array(np.round(facts.readiness, 4)),
    }


EPOCH_DATE = EPOCH_MS // DAY_MS  # EPOCH_MS as days since 1970-01-01


def dates(day: np.ndarray) -> pa.Array:
    """Arrow dates of generator days (days since EPOCH_MS)."""
    return pa.array((day + EPOCH_DATE).astype(np.int32), pa.date32())


def batch_counts(facts: LineFacts) -> BatchCounts:
    """Lines, reps and faults of a batch as the manifest counts them (a line's reps count
    once per line, revisions included)."""
    _, flat = facts.line_reps
    line_reps = facts.n_reps[facts.src]
    by_fault = np.bincount(facts.fault + 1, minlength=len(SET_FAULTS) + 1)
    faults = Counter({"clean": int(by_fault[0])} if by_fault[0] else {})
    faults.update({name: int(c) for name, c in zip(SET_FAULTS, by_fault[1:], strict=True) if c})
    rep_codes = facts.rep_fault[flat]
    by_rep_fault = np.bincount(rep_codes[rep_codes >= 0], minlength=len(REP_FAULTS))
    kept = ~np.isin(facts.fault, [SET_FAULT_CODE[name] for name in GONE])
    kept_rep = np.repeat(kept, line_reps)
    return BatchCounts(
        lines=int(facts.src.size),
        reps=int(line_reps.sum()),
        faults=faults,
        rep_faults=Counter(
            {name: int(c) for name, c in zip(REP_FAULTS, by_rep_fault, strict=True) if c}
        ),
        reps_in_kept=int(line_reps[kept].sum()),
        usable_reps_in_kept=int(((rep_codes < 0) & kept_rep).sum()),
    )
