"""One batch of export lines and their ground truth: plan, simulate, fault, encode.

Each batch has its own random generator derived from (seed, batch index), so the output
depends only on the seed, the counts and the profile, never on timing or dict order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from liftlab.generator import cells, encode
from liftlab.generator.faults import (
    DRAWN_SET_FAULTS,
    GARBAGE_RPE,
    REP_FAULTS,
    draw_rep_faults,
    draw_set_faults,
    exercise_labels,
    pick,
)
from liftlab.generator.lifters import Lifters
from liftlab.generator.physics import LB_KG, LIFTS
from liftlab.generator.reps import RepBatch, simulate_reps
from liftlab.generator.workouts import SetPlan, plan_sets

F = {name: i for i, name in enumerate(DRAWN_SET_FAULTS)}
R = {name: i for i, name in enumerate(REP_FAULTS)}


@dataclass
class Batch:
    """The batch's export text (UTF-8, every line ending in a newline) and one truth row
    per line."""

    data: bytes
    n_lines: int
    truth: dict[str, list] = field(default_factory=dict)
    n_reps: int = 0


def _bytes_array(texts: list[str]) -> np.ndarray:
    """An object array of the UTF-8 bytes of ``texts`` (gathered per rep with numpy)."""
    out = np.empty(len(texts), dtype=object)
    out[:] = [t.encode("utf-8") for t in texts]
    return out


@dataclass
class LifterText:
    """Per-lifter constant text, computed once per run (object arrays, gathered per rep)."""

    rep_prefix: np.ndarray
    settings: np.ndarray

    @classmethod
    def of(cls, lifters: Lifters) -> LifterText:
        return cls(
            _bytes_array(encode.rep_prefixes(lifters)),
            _bytes_array([f"{block}," for block in encode.settings_blocks(lifters)]),
        )


@dataclass
class SetFields:
    """Typed (as-emitted) set fields, one entry per base set."""

    exercise: list[str | None]
    weight: list[str]
    metric: list[str]
    rpe: list[str]
    deletion: list[str]
    tags: list[str]
    typed_kg: np.ndarray
    detail: list[str | None]


def typed_weights(lifters: Lifters, plan: SetPlan) -> np.ndarray:
    """The number the lifter typed, in their unit (plates: 5 lb or 2.5 kg)."""
    kg = plan.pct * lifters.one_rm_kg[plan.lifter, plan.lift]
    lbs = lifters.uses_lbs[plan.lifter]
    step = np.where(lbs, 5.0, 2.5)
    value = np.where(lbs, kg / LB_KG, kg)
    return np.maximum(np.rint(value / step) * step, np.where(lbs, 45.0, 20.0))


TAG_TEXT = [
    '"tags":['
    + ",".join(t for t, on in zip(('"warmup"', '"belt"', '"band"'), bits, strict=True) if on)
    + "],"
    for bits in ((c & 1, c & 2, c & 4) for c in range(8))
]


def _weight_texts(rng: np.random.Generator, typed: np.ndarray, new: np.ndarray) -> list[str]:
    """Weight as the app version stores it: number (old), string, or many-decimal string."""
    decimals = (rng.random(typed.size) < 0.08) & new
    jitter = rng.uniform(-0.5, 0.5, typed.size)
    plain = list(map(repr, typed.tolist()))
    out = [f'"{p}"' if nw else p for p, nw in zip(plain, new.tolist(), strict=True)]
    for i in np.flatnonzero(decimals).tolist():
        out[i] = f'"{typed[i] + jitter[i]:.9f}"'
    return out


def set_fields(
    rng: np.random.Generator,
    lifters: Lifters,
    plan: SetPlan,
    fault: np.ndarray,
) -> SetFields:
    """Exercise, weight, metric, rpe, deletion and tags text of each set, faults applied."""
    n = plan.size
    labels, detail = exercise_labels(rng, plan.lift, fault)
    typed = typed_weights(lifters, plan)
    lbs = lifters.uses_lbs[plan.lifter]
    new = lifters.new_app[plan.lifter]
    typed_kg = np.where(lbs, typed * LB_KG, typed)
    weight = _weight_texts(rng, typed, new)
    wrong = fault == F["wrong_unit_label"]
    metric = np.where(lbs != wrong, "lbs", "kgs").tolist()
    rpe = [
        f'"{r}"' if nw else r
        for r, nw in zip(map(repr, plan.rpe.tolist()), new.tolist(), strict=True)
    ]
    garbage = pick(rng, GARBAGE_RPE, n)
    for i in np.flatnonzero(fault >= 0).tolist():
        code = int(fault[i])
        if code == F["weight_empty"]:
            weight[i] = '""'
        elif code == F["weight_null"]:
            weight[i] = "null"
        elif code == F["garbage_rpe"]:
            detail[i] = f"rpe {garbage[i]}"
            rpe[i] = garbage[i]
        elif code == F["wrong_unit_label"]:
            detail[i] = f"value in {'lbs' if lbs[i] else 'kgs'}, labelled {metric[i]}"
    deleted = (fault == F["deleted_set"]).tolist()
    tag_code = (plan.is_warmup * 1 + plan.belt * 2 + plan.band * 4).tolist()
    deletion, tags = [], []
    for nw, gone, code in zip(new.tolist(), deleted, tag_code, strict=True):
        if nw:
            deletion.append('"deleted":true,' if gone else "")
            tags.append(TAG_TEXT[code])
        else:
            deletion.append('"removed":true,' if gone else '"removed":false,')
            tags.append("")
    return SetFields(labels, weight, metric, rpe, deletion, tags, typed_kg, detail)


FLAG_CELLS = cells.text_cells([b"", *(encode.FLAG[v].encode() for v in (1, 2, 3))])
V2_ACCEL = b"-2121.0"
REP_SEPARATORS = (b",", b"]}\n")  # between reps of a set; after the last (closes the line)
REP_TAILS = np.array(
    [[b',"-6789.0","%d.0"]}%s' % (b, sep) for b in range(101)] for sep in REP_SEPARATORS],
    dtype=object,
)
REP_PIECES = 5  # lifter prefix, head, settings, bulk series, tail with separator


def _version_middles(version: np.ndarray, reps: RepBatch) -> np.ndarray:
    """Cells of indices 6..9 of each rep's array (V2/V3); blank for V1 (its settings flag is
    at 6): peak acceleration (V3; V2 writes -2121.0), duration, rest, device clock."""
    accel = encode.significant_cells(reps.peak_accel)
    v2 = version == 2
    accel[v2] = 0
    accel[v2, : len(V2_ACCEL)] = np.frombuffer(V2_ACCEL, dtype=np.uint8)
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


def rep_heads(version: np.ndarray, reps: RepBatch) -> list[bytes]:
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
            encode.velocity_cells(reps.mean_velocity),
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
    """Where the text pieces of each line sit in the batch's flat list of pieces.

    Line i is its set head followed by ``REP_PIECES`` pieces per rep; the last rep's tail
    closes the line (``]}`` and the newline). Joining the list once writes the batch.
    """

    set_at: np.ndarray
    rep_at: np.ndarray
    size: int

    @classmethod
    def of(cls, n_reps: np.ndarray, set_index: np.ndarray) -> Layout:
        if n_reps.size and n_reps.min() < 1:
            raise ValueError("every planned set needs at least one rep")
        firsts = np.cumsum(n_reps) - n_reps
        set_at = np.arange(n_reps.size) + REP_PIECES * firsts
        rep_at = set_index + 1 + REP_PIECES * np.arange(set_index.size)
        return cls(set_at, rep_at, int(n_reps.size + REP_PIECES * set_index.size))

    def line(self, i: int) -> slice:
        stop = self.set_at[i + 1] if i + 1 < self.set_at.size else self.size
        return slice(int(self.set_at[i]), int(stop))


def _apply_rep_faults(
    rng: np.random.Generator, parts: list[list[bytes]], rep_fault: np.ndarray, version: np.ndarray
) -> None:
    """Rewrite the few faulty reps in place (text level, like a buggy client would).

    ``parts`` holds the ``REP_PIECES`` piece lists; a rewritten rep keeps its whole text in
    the head piece and its separator in the tail piece.
    """
    prefix, heads, settings, bulk, tails = parts
    for i in np.flatnonzero(rep_fault >= 0).tolist():
        code = REP_FAULTS[rep_fault[i]]
        sep = next(s for s in REP_SEPARATORS if tails[i].endswith(s))
        text = b"".join([prefix[i], heads[i], settings[i], bulk[i], tails[i][: -len(sep)]])
        head, data = text.split(b',"data":[', 1)
        items = data[:-2].split(b",")
        if code == "infinite_velocity":
            items[2] = b'"Infinity"'
        elif code == "absurd_velocity":
            items[2] = b'"%s"' % encode.ABSURD_VELOCITY.encode()
        elif code == "truncated_array":
            flag = encode.SETTINGS_FLAG_INDEX[int(version[i])]
            items = items[: 3 + int(rng.integers(0, flag - 3))]
        elif code == "invalid_rep":
            head = head.replace(b'"isValid":true', b'"isValid":false', 1)
        else:
            head = head.replace(b'"removed":false', b'"removed":true', 1)
        heads[i] = b'%s,"data":[%s]}' % (head, b",".join(items))
        prefix[i] = settings[i] = bulk[i] = b""
        tails[i] = sep


def fill_rep_pieces(
    rng: np.random.Generator,
    lifters: Lifters,
    text: LifterText,
    plan: SetPlan,
    reps: RepBatch,
    rep_fault: np.ndarray,
    pieces: np.ndarray,
    layout: Layout,
) -> None:
    """The JSON text of every rep object, as pieces: lifter prefix, head, settings, bulk
    series, tail (with the separator after it)."""
    bulk = encode.bulk_texts(rng, reps.traces.values, reps.traces.offsets)
    who = plan.lifter[reps.set_index]
    version = lifters.device_version[who]
    battery = np.clip(rng.integers(15, 100, plan.size)[reps.set_index] - reps.rep_index, 5, 100)
    last = reps.rep_index == plan.n_reps[reps.set_index] - 1
    parts = [
        text.rep_prefix[who].tolist(),
        rep_heads(version, reps),
        text.settings[who].tolist(),
        bulk,
        REP_TAILS[last.astype(np.int64), battery].tolist(),
    ]
    _apply_rep_faults(rng, parts, rep_fault, version)
    for k, part in enumerate(parts):
        pieces[layout.rep_at + k] = part


def _choose(rng: np.random.Generator, pool: np.ndarray, k: int) -> np.ndarray:
    """``k`` distinct elements of ``pool`` in ascending order (fewer if the pool is small)."""
    k = min(k, pool.size)
    return np.sort(rng.choice(pool, size=k, replace=False)) if k else pool[:0]


def _superseded_edit(fields: SetFields, i: int, kind: int) -> tuple[str, str, str | None, str]:
    """The earlier (superseded) version's weight, rpe, exercise and a detail."""
    weight, rpe, exercise = fields.weight[i], fields.rpe[i], fields.exercise[i]
    if kind == 0 and weight not in ('""', "null"):
        number = float(weight.strip('"')) * 10
        wrong = f'"{number!r}"' if weight.startswith('"') else repr(number)
        return wrong, rpe, exercise, f"weight {wrong} corrected to {weight}"
    if kind == 1:
        return weight, rpe, "", f"exercise '' corrected to {exercise!r}"
    wrong_rpe = '"0.0"' if rpe.startswith('"') else "0.0"
    return weight, wrong_rpe, exercise, f"rpe {wrong_rpe} corrected to {rpe}"


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


@dataclass
class Ids:
    """Identifiers and timestamps of a batch (docs per line, sets and workouts per base set)."""

    doc: list[str]
    set: list[str]
    user: list[str]
    workout: list[str]
    start: list[str]

    @classmethod
    def draw(
        cls, rng: np.random.Generator, lifters: Lifters, plan: SetPlan, src: np.ndarray
    ) -> Ids:
        n_base = plan.size
        upload_s = plan.start_ms[src] // 1000 + rng.integers(60, 7200, src.size)
        upload_s[n_base:] += rng.integers(3600, 30 * 86400, src.size - n_base)
        workouts = encode.uuid4s(rng, int(plan.workout.max()) + 1 if n_base else 0)
        return cls(
            doc=encode.object_ids(rng, upload_s),
            set=encode.uuid4s(rng, n_base),
            user=[lifters.user_id[w] for w in plan.lifter.tolist()],
            workout=[workouts[w] for w in plan.workout.tolist()],
            start=encode.iso_ms(plan.start_ms),
        )


class LineWriter:
    """Set document text up to its reps (``"reps":[``), from the batch's fields and ids."""

    def __init__(self, plan: SetPlan, fields: SetFields, ids: Ids):
        self.fields, self.ids = fields, ids
        self.set_number = plan.set_number.tolist()

    def head(self, doc: int, i: int, weight: str, rpe: str, exercise: str | None) -> bytes:
        ids, f = self.ids, self.fields
        return (
            f'{{"_id":"{ids.doc[doc]}","userID":"{ids.user[i]}","setID":"{ids.set[i]}",'
            f'"workoutID":"{ids.workout[i]}","exercise":{encode.json_text(exercise)},'
            f'"setNumber":{self.set_number[i]}.0,"weight":{weight},"metric":"{f.metric[i]}",'
            f'"rpe":{rpe},{f.tags[i]}"initialStartTime":"{ids.start[i]}",'
            f'{f.deletion[i]}"reps":['
        ).encode()

    def typed_head(self, doc: int, i: int) -> bytes:
        f = self.fields
        return self.head(doc, i, f.weight[i], f.rpe[i], f.exercise[i])


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
    names = [DRAWN_SET_FAULTS[c] if c >= 0 else None for c in fault.tolist()]
    rep_fault = draw_rep_faults(rng, rates, reps.size)
    fields = set_fields(rng, lifters, plan, fault)
    layout = Layout.of(plan.n_reps, reps.set_index)
    pieces = np.empty(layout.size, dtype=object)
    fill_rep_pieces(rng, lifters, text, plan, reps, rep_fault, pieces, layout)
    rep_start = np.concatenate([[0], np.cumsum(plan.n_reps)]).tolist()
    src = np.concatenate([np.arange(n_base), special.superseded])
    ids = Ids.draw(rng, lifters, plan, src)
    writer = LineWriter(plan, fields, ids)
    pieces[layout.set_at] = [writer.typed_head(i, i) for i in range(n_base)]
    revisions: list[bytes] = []
    typed_exercise = list(fields.exercise)
    detail = list(fields.detail)
    for j, i in enumerate(special.superseded.tolist()):
        weight, rpe, exercise, det = _superseded_edit(fields, i, special.edit_kind[j])
        line = layout.line(i)
        pieces[line.start] = writer.head(i, i, weight, rpe, exercise)
        revisions.append(writer.typed_head(n_base + j, i))
        revisions.extend(pieces[line.start + 1 : line.stop].tolist())
        typed_exercise[i] = exercise
        names[i], detail[i] = "superseded", det
    for i in special.malformed.tolist():
        line = layout.line(i)
        cut = _cut_line(b"".join(pieces[line].tolist()), special.cut[i])
        pieces[line] = [cut, *[b""] * (line.stop - line.start - 1)]
        names[i], detail[i] = "malformed_json", "line cut mid-way"
    n_lines = n_base + len(special.superseded)
    line_src = src.tolist()
    rep_fault_lists = _rep_fault_lists(rep_fault, rep_start, n_base)
    truth = {
        "line_number": list(range(first_line, first_line + n_lines)),
        "doc_id": ids.doc,
        "set_id": [ids.set[i] for i in line_src],
        "user_id": [ids.user[i] for i in line_src],
        "workout_id": [ids.workout[i] for i in line_src],
        "true_lift": [LIFTS[k] for k in plan.lift[src].tolist()],
        "typed_exercise": typed_exercise + [fields.exercise[i] for i in line_src[n_base:]],
        "fault": names + ["revision"] * n_rev,
        "fault_detail": detail + [f"supersedes line {first_line + i}" for i in line_src[n_base:]],
        "n_reps": plan.n_reps[src].tolist(),
        "rep_faults": [rep_fault_lists[i] for i in line_src],
        "is_warmup": plan.is_warmup[src].tolist(),
        "pct_1rm": np.round(plan.pct[src], 4).tolist(),
        "true_weight_kg": np.round(fields.typed_kg[src], 3).tolist(),
        "device_version": lifters.device_version[plan.lifter[src]].tolist(),
    }
    data = b"".join(pieces.tolist() + revisions)
    return Batch(data=data, n_lines=n_lines, truth=truth, n_reps=int(plan.n_reps[src].sum()))


def _rep_fault_lists(rep_fault: np.ndarray, rep_start: list[int], n_sets: int) -> list[list]:
    names = [REP_FAULTS[c] if c >= 0 else None for c in rep_fault.tolist()]
    return [names[rep_start[i] : rep_start[i + 1]] for i in range(n_sets)]
