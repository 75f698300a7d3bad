"""One batch of export lines and their ground truth: plan, simulate, fault, encode.

Each batch has its own random generator derived from (seed, batch index), so the output
depends only on the seed, the counts and the profile, never on timing or dict order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from liftlab.generator import cells, encode
from liftlab.generator.faults import (
    REP_FAULT_CODE,
    SET_FAULT_CODE,
    draw_rep_faults,
    draw_set_faults,
)
from liftlab.generator.lifter_days import day_codes
from liftlab.generator.lifters import Lifters
from liftlab.generator.reps import RepBatch, simulate_reps
from liftlab.generator.set_text import (
    Ids,
    SetFields,
    edit_cells,
    set_fields,
    set_heads,
    superseded_edits,
)
from liftlab.generator.truth import BatchCounts, LineFacts, batch_counts, truth_columns
from liftlab.generator.workouts import SetPlan, plan_sets


@dataclass
class Batch:
    """The batch's export text (UTF-8, every line ending in a newline), its truth columns
    (a row per line) and its counts for the manifest."""

    data: bytes
    truth: dict[str, pa.Array]
    counts: BatchCounts
    day_codes: tuple[np.ndarray, np.ndarray]  # lifter_days.day_codes of the planned sets

    @property
    def n_lines(self) -> int:
        return self.counts.lines

    @property
    def n_reps(self) -> int:
        return self.counts.reps


# a rep's flags as the prefix text says them: valid and kept, invalid, removed
REP_FLAGS = (
    ("", ""),
    ('"isValid":true', '"isValid":false'),
    ('"removed":false', '"removed":true'),
)


def _bytes_array(texts: list[str]) -> np.ndarray:
    """An object array of the UTF-8 bytes of ``texts`` (gathered per rep with numpy)."""
    out = np.empty(len(texts), dtype=object)
    out[:] = [t.encode("utf-8") for t in texts]
    return out


@dataclass
class LifterText:
    """Per-lifter constant text, computed once per run (object arrays, gathered per rep)."""

    rep_prefix: np.ndarray  # (REP_FLAGS, lifters): as is, invalid, removed
    settings: np.ndarray
    user: np.ndarray  # cells of the user ids

    @classmethod
    def of(cls, lifters: Lifters) -> LifterText:
        prefixes = encode.rep_prefixes(lifters)
        return cls(
            np.stack([_bytes_array([p.replace(*edit, 1) for p in prefixes]) for edit in REP_FLAGS]),
            _bytes_array([f"{block}," for block in encode.settings_blocks(lifters)]),
            cells.text_cells([u.encode("ascii") for u in lifters.user_id]),
        )


FLAG_CELLS = cells.text_cells([b"", *(encode.FLAG[v].encode() for v in (1, 2, 3))])
V2_ACCEL = b"-2121.0"
REP_SEPARATORS = (b",", b"]}\n")  # between reps of a set; after the last (closes the line)
REP_TAILS = np.array(
    [[b',"-6789.0","%d.0"]}%s' % (b, sep) for b in range(101)] for sep in REP_SEPARATORS],
    dtype=object,
)
EMPTY_LABEL = 1  # label vocabulary code of the empty string
REP_PIECES = 6  # set head or empty, lifter prefix, head, settings, bulk series, tail


def _version_middles(version: np.ndarray, reps: RepBatch) -> np.ndarray:
    """Cells of indices 6..9 of each rep's array (V2/V3); blank for V1 (its settings flag is
    at 6): peak acceleration (V3; V2 writes -2121.0), duration, rest, device clock."""
    accel = encode.significant_cells(reps.peak_accel)
    accel = cells.set_rows(accel, version == 2, V2_ACCEL)
    middles = cells.concat_cells(
        reps.size,
        [
            b'"',
            accel,
            b'","',
            cells.int_cells(reps.duration_us.astype(np.int64)),
            b'.0","',
            cells.int_cells(reps.rest_min.astype(np.int64)),
            b'.0","',
            encode.java_float_cells(reps.device_us),
            b'",',
        ],
    )
    middles[version == 1] = 0
    return middles


def _mean_velocity_cells(reps: RepBatch, rep_fault: np.ndarray) -> np.ndarray:
    """Mean velocity text; Infinity or an absurd value for reps with those faults."""
    velocity = encode.velocity_cells(reps.mean_velocity)
    velocity = cells.set_rows(
        velocity, rep_fault == REP_FAULT_CODE["infinite_velocity"], b"Infinity"
    )
    absurd = encode.ABSURD_VELOCITY.encode("ascii")
    return cells.set_rows(velocity, rep_fault == REP_FAULT_CODE["absurd_velocity"], absurd)


def rep_heads(version: np.ndarray, reps: RepBatch, rep_fault: np.ndarray) -> list[bytes]:
    """Each rep's text from ``time``'s value through index 9 of its data array."""
    return cells.row_bytes(
        reps.size,
        [
            cells.iso_ms_cells(reps.time_ms),
            b'","data":["',
            FLAG_CELLS[version],
            b'","',
            cells.int_cells(reps.rep_index + 1),
            b'.0","',
            _mean_velocity_cells(reps, rep_fault),
            b'","',
            cells.int_cells(reps.rom_mm.astype(np.int64)),
            b'.0","',
            encode.velocity_cells(reps.peak_velocity),
            b'","',
            cells.int_cells(reps.peak_location.astype(np.int64)),
            b'.0",',
            _version_middles(version, reps),
        ],
    )


@dataclass(frozen=True)
class Layout:
    """Where each line's text pieces sit in the batch's flat list of pieces.

    Every rep owns ``REP_PIECES`` consecutive slots: its set's head (on the set's first rep;
    empty otherwise), lifter prefix, head, settings, bulk series and tail; the last rep's
    tail closes the line (``]}`` and the newline). The regular stride lets each kind of
    piece be placed with one slice assignment, and one join writes the batch.
    """

    first_rep: list[int]  # per set
    n_reps: list[int]  # per set
    size: int

    @classmethod
    def of(cls, n_reps: np.ndarray) -> Layout:
        if n_reps.size and n_reps.min() < 1:
            raise ValueError("every planned set needs at least one rep")
        first = np.cumsum(n_reps) - n_reps
        return cls(first.tolist(), n_reps.tolist(), REP_PIECES * int(n_reps.sum()))

    def line(self, i: int) -> slice:
        start = REP_PIECES * self.first_rep[i]
        return slice(start, start + REP_PIECES * self.n_reps[i])

    def pieces(self, set_heads: list[bytes], rep_parts: list[list[bytes]]) -> list[bytes]:
        """The flat list: ``set_heads`` (one per set) and the rep piece lists."""
        slot: list[bytes] = [b""] * (self.size // REP_PIECES)
        for first, head in zip(self.first_rep, set_heads, strict=True):
            slot[first] = head
        flat: list[bytes] = [b""] * self.size
        for k, part in enumerate([slot, *rep_parts]):
            flat[k::REP_PIECES] = part
        return flat


def _truncate_arrays(
    rng: np.random.Generator, parts: list[list[bytes]], rows: np.ndarray, version: np.ndarray
) -> None:
    """Cut the data array of reps ``rows`` after a random item before the settings flag
    (text level, like a buggy client). ``parts`` holds the rep piece lists; a cut rep keeps
    its whole text in the head piece and its separator in the tail piece."""
    prefix, heads, settings, bulk, tails = parts
    for i in rows.tolist():
        sep = next(s for s in REP_SEPARATORS if tails[i].endswith(s))
        text = b"".join([prefix[i], heads[i], settings[i], bulk[i], tails[i][: -len(sep)]])
        head, data = text.split(b',"data":[', 1)
        flag = encode.SETTINGS_FLAG_INDEX[int(version[i])]
        items = data[:-2].split(b",")[: 3 + int(rng.integers(0, flag - 3))]
        heads[i] = b'%s,"data":[%s]}' % (head, b",".join(items))
        prefix[i] = settings[i] = bulk[i] = b""
        tails[i] = sep


def rep_pieces(
    rng: np.random.Generator,
    lifters: Lifters,
    text: LifterText,
    plan: SetPlan,
    reps: RepBatch,
    rep_fault: np.ndarray,
) -> list[list[bytes]]:
    """The JSON text of every rep object, as piece lists: lifter prefix, head, settings,
    bulk series, tail (with the separator after it)."""
    bulk = encode.bulk_texts(rng, reps.traces.values, reps.traces.offsets)
    who = plan.lifter[reps.set_index]
    version = lifters.device_version[who]
    battery = np.clip(rng.integers(15, 100, plan.size)[reps.set_index] - reps.rep_index, 5, 100)
    last = reps.rep_index == plan.n_reps[reps.set_index] - 1
    flag = np.select(
        [rep_fault == REP_FAULT_CODE["invalid_rep"], rep_fault == REP_FAULT_CODE["removed_rep"]],
        [1, 2],
        0,
    )
    parts = [
        text.rep_prefix[flag, who].tolist(),
        rep_heads(version, reps, rep_fault),
        text.settings[who].tolist(),
        bulk,
        REP_TAILS[last.astype(np.int64), battery].tolist(),
    ]
    _truncate_arrays(
        rng, parts, np.flatnonzero(rep_fault == REP_FAULT_CODE["truncated_array"]), version
    )
    return parts


def _choose(rng: np.random.Generator, pool: np.ndarray, k: int) -> np.ndarray:
    """``k`` distinct elements of ``pool`` in ascending order (fewer if the pool is small)."""
    k = min(k, pool.size)
    return np.sort(rng.choice(pool, size=k, replace=False)) if k else pool[:0]


@dataclass
class Special:
    """Base sets re-uploaded later (superseded) and lines cut mid-way (malformed)."""

    superseded: np.ndarray
    malformed: np.ndarray
    edit_kind: list[int]
    cut: list[float]


def _special_lines(
    rng: np.random.Generator, fault: np.ndarray, n_rev: int, n_lines: int, rate: float
) -> Special:
    """Pick them among clean base sets, so every line carries at most one set fault."""
    clean = np.flatnonzero(fault < 0)
    superseded = _choose(rng, clean, n_rev)
    pool = np.setdiff1d(clean, superseded)
    malformed = _choose(rng, pool, int(rng.binomial(n_lines, rate)))
    edit_kind = rng.integers(0, 3, superseded.size).tolist()
    return Special(superseded, malformed, edit_kind, rng.random(fault.size).tolist())


def _superseded_heads(
    plan: SetPlan,
    fields: SetFields,
    ids: Ids,
    superseded: np.ndarray,
    edits: list[tuple[str, str, str | None, str]],
) -> list[bytes]:
    """Heads of the earlier, superseded versions: weight, rpe or exercise as first typed."""
    if not edits:
        return []
    weight, rpe, exercise, _ = zip(*edits, strict=True)
    return set_heads(
        plan,
        fields,
        ids,
        superseded,
        superseded,
        {
            "weight": edit_cells(list(weight)),
            "rpe": edit_cells(list(rpe)),
            "exercise": edit_cells([encode.json_text(e) for e in exercise]),
        },
    )


def _cut_line(line: bytes, cut: float) -> bytes:
    """A line cut mid-way (at a character, so the file stays valid UTF-8), newline kept."""
    text = line[:-1].decode("utf-8")
    return text[: 10 + int(cut * (len(text) - 12))].encode("utf-8") + b"\n"


def build_batch(
    seed: int,
    index: int,
    first_line: int,
    n_lines: int,
    lifters: Lifters,
    text: LifterText,
    rates: dict[str, float],
) -> Batch:
    """``n_lines`` export lines starting at 1-based line ``first_line``, with truth rows.

    Line i < n_base is base set i; line n_base + j re-uploads base set ``superseded[j]``.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7, index]))
    n_rev = min(int(rng.binomial(n_lines, rates["revision"])), n_lines // 3)
    plan = plan_sets(rng, lifters, n_lines - n_rev)
    reps = simulate_reps(rng, lifters, plan)
    fault = draw_set_faults(rng, rates, plan.size)
    special = _special_lines(rng, fault, n_rev, n_lines, rates["malformed_json"])
    n_base = plan.size
    n_rev = special.superseded.size
    rep_fault = draw_rep_faults(rng, rates, reps.size)
    fields = set_fields(rng, lifters, plan, fault)
    layout = Layout.of(plan.n_reps)
    parts = rep_pieces(rng, lifters, text, plan, reps, rep_fault)
    src = np.concatenate([np.arange(n_base), special.superseded])
    ids = Ids.draw(rng, text.user, plan, src)
    heads = set_heads(plan, fields, ids, np.arange(src.size), src)
    pieces = layout.pieces(heads[:n_base], parts)
    line_fault = np.concatenate([fault, np.full(n_rev, SET_FAULT_CODE["revision"])])
    typed_label = fields.label[src]
    detail = fields.detail
    edits = superseded_edits(fields, special.superseded, special.edit_kind)
    earlier = _superseded_heads(plan, fields, ids, special.superseded, edits)
    revisions: list[bytes] = []
    for j, i in enumerate(special.superseded.tolist()):
        line = layout.line(i)
        pieces[line.start] = earlier[j]
        revisions.append(heads[n_base + j])
        revisions.extend(pieces[line.start + 1 : line.stop])
        if special.edit_kind[j] == 1:
            typed_label[i] = EMPTY_LABEL
        line_fault[i], detail[i] = SET_FAULT_CODE["superseded"], edits[j][3]
    for i in special.malformed.tolist():
        line = layout.line(i)
        cut = _cut_line(b"".join(pieces[line]), special.cut[i])
        pieces[line] = [cut, *[b""] * (line.stop - line.start - 1)]
        line_fault[i], detail[i] = SET_FAULT_CODE["malformed_json"], "line cut mid-way"
    facts = LineFacts(
        first_line=first_line,
        src=src,
        fault=line_fault,
        detail=detail + [f"supersedes line {first_line + i}" for i in special.superseded.tolist()],
        typed_label=typed_label,
        true_lift=plan.lift[src],
        n_reps=plan.n_reps,
        rep_fault=rep_fault,
        is_warmup=plan.is_warmup[src],
        pct_1rm=plan.pct[src],
        true_weight_kg=fields.typed_kg[src],
        device_version=lifters.device_version[plan.lifter[src]],
        day=plan.day[src],
        true_one_rm_kg=plan.one_rm_kg[src],
        readiness=plan.readiness[src],
    )
    id_cells = {
        "doc": ids.doc,
        "set": ids.set[src],
        "user": ids.user[src],
        "workout": ids.workout[src],
    }
    return Batch(
        data=b"".join(pieces + revisions),
        truth=truth_columns(facts, id_cells),
        counts=batch_counts(facts),
        day_codes=day_codes(plan),
    )
