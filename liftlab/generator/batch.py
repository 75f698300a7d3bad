"""One batch of export lines and their ground truth: plan, simulate, fault, encode.

Each batch has its own random generator derived from (seed, batch index), so the output
depends only on the seed, the counts and the profile, never on timing or dict order.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from liftlab.generator import encode
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
    """Emitted lines (without newline) and one truth row per line."""

    lines: list[str]
    truth: dict[str, list] = field(default_factory=dict)
    n_reps: int = 0


@dataclass
class LifterText:
    """Per-lifter constant text, computed once per run."""

    rep_prefix: list[str]
    data_open: list[str]
    settings: list[str]

    @classmethod
    def of(cls, lifters: Lifters) -> LifterText:
        return cls(
            encode.rep_prefixes(lifters),
            encode.data_openings(lifters),
            encode.settings_blocks(lifters),
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


def _version_middles(
    lifters: Lifters, who: np.ndarray, reps: RepBatch, stamps: list[str]
) -> list[str]:
    """Indices 6..9 of each rep's array (V2/V3); empty for V1 (its settings flag is at 6)."""
    version = lifters.device_version[who]
    mids = np.full(reps.size, "", dtype=object)
    dur = reps.duration_us.astype(np.int64)
    rest = reps.rest_min.astype(np.int64)
    for v in (2, 3):
        idx = np.flatnonzero(version == v)
        first = (
            [f'"{a:.8g}"' for a in reps.peak_accel[idx].tolist()]
            if v == 3
            else ['"-2121.0"'] * idx.size
        )
        mids[idx] = [
            f'{a},"{d}.0","{r}.0",{stamps[i]},'
            for a, d, r, i in zip(
                first, dur[idx].tolist(), rest[idx].tolist(), idx.tolist(), strict=True
            )
        ]
    return mids.tolist()


def _apply_rep_faults(
    rng: np.random.Generator, out: list[str], rep_fault: np.ndarray, version: np.ndarray
) -> None:
    """Rewrite the few faulty reps in place (text level, like a buggy client would)."""
    for i in np.flatnonzero(rep_fault >= 0).tolist():
        code = REP_FAULTS[rep_fault[i]]
        head, data = out[i].split(',"data":[', 1)
        items = data[:-2].split(",")
        if code == "infinite_velocity":
            items[2] = '"Infinity"'
        elif code == "absurd_velocity":
            items[2] = f'"{encode.ABSURD_VELOCITY}"'
        elif code == "truncated_array":
            flag = encode.SETTINGS_FLAG_INDEX[int(version[i])]
            items = items[: 3 + int(rng.integers(0, flag - 3))]
        elif code == "invalid_rep":
            head = head.replace('"isValid":true', '"isValid":false', 1)
        else:
            head = head.replace('"removed":false', '"removed":true', 1)
        out[i] = f'{head},"data":[{",".join(items)}]}}'


def rep_texts(
    rng: np.random.Generator,
    lifters: Lifters,
    text: LifterText,
    plan: SetPlan,
    reps: RepBatch,
    rep_fault: np.ndarray,
) -> list[str]:
    """The JSON text of every rep object."""
    bulk, chars = encode.bulk_text(rng, reps.traces.values)
    char_at = chars[reps.traces.offsets]
    offs = char_at.tolist()
    who = plan.lifter[reps.set_index]
    mids = _version_middles(lifters, who, reps, encode.java_float_strings(reps.device_us))
    battery = np.clip(rng.integers(15, 100, plan.size)[reps.set_index] - reps.rep_index, 5, 100)
    cols = zip(
        who.tolist(),
        encode.iso_ms(reps.time_ms),
        (reps.rep_index + 1).tolist(),
        map(repr, reps.mean_velocity.tolist()),
        reps.rom_mm.astype(np.int64).tolist(),
        map(repr, reps.peak_velocity.tolist()),
        reps.peak_location.astype(np.int64).tolist(),
        mids,
        offs[:-1],
        offs[1:],
        battery.tolist(),
        strict=True,
    )
    pre, data_open, settings = text.rep_prefix, text.data_open, text.settings
    out = [
        f'{pre[w]}{t}{data_open[w]}{num}.0","{mv}","{rom}.0","{pv}","{loc}.0",{mid}'
        f'{settings[w]},{bulk[a : b - 1]},"-6789.0","{bat}.0"]}}'
        for w, t, num, mv, rom, pv, loc, mid, a, b, bat in cols
    ]
    _apply_rep_faults(rng, out, rep_fault, lifters.device_version[who])
    return out


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
    """Set document text from the batch's fields, ids and rep texts."""

    def __init__(self, plan: SetPlan, fields: SetFields, ids: Ids, reps_text: list[str]):
        self.fields, self.ids, self.reps_text = fields, ids, reps_text
        self.set_number = plan.set_number.tolist()

    def line(self, doc: int, i: int, weight: str, rpe: str, exercise: str | None) -> str:
        ids, f = self.ids, self.fields
        return (
            f'{{"_id":"{ids.doc[doc]}","userID":"{ids.user[i]}","setID":"{ids.set[i]}",'
            f'"workoutID":"{ids.workout[i]}","exercise":{encode.json_text(exercise)},'
            f'"setNumber":{self.set_number[i]}.0,"weight":{weight},"metric":"{f.metric[i]}",'
            f'"rpe":{rpe},{f.tags[i]}"initialStartTime":"{ids.start[i]}",'
            f'{f.deletion[i]}"reps":[{self.reps_text[i]}]}}'
        )

    def as_typed(self, doc: int, i: int) -> str:
        f = self.fields
        return self.line(doc, i, f.weight[i], f.rpe[i], f.exercise[i])


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
    rep_text = rep_texts(rng, lifters, text, plan, reps, rep_fault)
    rep_start = np.concatenate([[0], np.cumsum(plan.n_reps)]).tolist()
    src = np.concatenate([np.arange(n_base), special.superseded])
    ids = Ids.draw(rng, lifters, plan, src)
    writer = LineWriter(
        plan, fields, ids, [",".join(rep_text[a:b]) for a, b in itertools.pairwise(rep_start)]
    )
    lines = [writer.as_typed(i, i) for i in range(n_base)]
    typed_exercise = list(fields.exercise)
    detail = list(fields.detail)
    for j, i in enumerate(special.superseded.tolist()):
        weight, rpe, exercise, det = _superseded_edit(fields, i, special.edit_kind[j])
        lines[i] = writer.line(i, i, weight, rpe, exercise)
        lines.append(writer.as_typed(n_base + j, i))
        typed_exercise[i] = exercise
        names[i], detail[i] = "superseded", det
    for i in special.malformed.tolist():
        lines[i] = lines[i][: 10 + int(special.cut[i] * (len(lines[i]) - 12))]
        names[i], detail[i] = "malformed_json", "line cut mid-way"
    line_src = src.tolist()
    rep_fault_lists = _rep_fault_lists(rep_fault, rep_start, n_base)
    truth = {
        "line_number": list(range(first_line, first_line + len(lines))),
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
    return Batch(lines=lines, truth=truth, n_reps=int(plan.n_reps[src].sum()))


def _rep_fault_lists(rep_fault: np.ndarray, rep_start: list[int], n_sets: int) -> list[list]:
    names = [REP_FAULTS[c] if c >= 0 else None for c in rep_fault.tolist()]
    return [names[rep_start[i] : rep_start[i + 1]] for i in range(n_sets)]
