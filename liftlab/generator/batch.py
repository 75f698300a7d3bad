"""One batch of export lines and their ground truth: plan, simulate, fault, encode.

Each batch has its own random generator derived from (seed, batch index), so the output
depends only on the seed, the counts and the profile, never on timing or dict order.
"""

from __future__ import annotations

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
    settings: list[str]

    @classmethod
    def of(cls, lifters: Lifters) -> LifterText:
        return cls(encode.rep_prefixes(lifters), encode.settings_blocks(lifters))


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


def typed_weights(rng: np.random.Generator, lifters: Lifters, plan: SetPlan) -> np.ndarray:
    """The number the lifter typed, in their unit (plates: 5 lb or 2.5 kg)."""
    kg = plan.pct * lifters.one_rm_kg[plan.lifter, plan.lift]
    lbs = lifters.uses_lbs[plan.lifter]
    step = np.where(lbs, 5.0, 2.5)
    value = np.where(lbs, kg / LB_KG, kg)
    return np.maximum(np.rint(value / step) * step, np.where(lbs, 45.0, 20.0))


def set_fields(
    rng: np.random.Generator,
    lifters: Lifters,
    plan: SetPlan,
    fault: np.ndarray,
) -> SetFields:
    """Exercise, weight, metric, rpe, deletion and tags text of each set, faults applied."""
    n = plan.size
    labels, detail = exercise_labels(rng, plan.lift, fault)
    typed = typed_weights(rng, lifters, plan)
    lbs = lifters.uses_lbs[plan.lifter]
    new = lifters.new_app[plan.lifter]
    typed_kg = np.where(lbs, typed * LB_KG, typed)
    decimals = rng.random(n) < 0.08
    jitter = rng.uniform(-0.5, 0.5, n)
    weight = []
    for i in range(n):
        if not new[i]:
            weight.append(encode.float_text(typed[i]))
        elif decimals[i]:
            weight.append(f'"{typed[i] + jitter[i]:.9f}"')
        else:
            weight.append(f'"{encode.float_text(typed[i])}"')
    metric = np.where(lbs, "lbs", "kgs")
    wrong = fault == F["wrong_unit_label"]
    metric = np.where(wrong, np.where(lbs, "kgs", "lbs"), metric).tolist()
    rpe = [
        f'"{encode.float_text(r)}"' if nw else encode.float_text(r)
        for r, nw in zip(plan.rpe.tolist(), new.tolist(), strict=True)
    ]
    garbage = pick(rng, GARBAGE_RPE, n)
    deleted = fault == F["deleted_set"]
    deletion = []
    tags = []
    for i in range(n):
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
        if new[i]:
            deletion.append('"deleted":true,' if deleted[i] else "")
            t = []
            if plan.is_warmup[i]:
                t.append('"warmup"')
            if plan.belt[i]:
                t.append('"belt"')
            if plan.band[i]:
                t.append('"band"')
            tags.append('"tags":[' + ",".join(t) + "],")
        else:
            deletion.append('"removed":true,' if deleted[i] else '"removed":false,')
            tags.append("")
    return SetFields(labels, weight, metric, rpe, deletion, tags, typed_kg, detail)


def rep_texts(
    rng: np.random.Generator,
    lifters: Lifters,
    text: LifterText,
    plan: SetPlan,
    reps: RepBatch,
    rep_fault: np.ndarray,
) -> list[str]:
    """The JSON text of every rep object."""
    bulk = encode.bulk_strings(rng, reps.traces.values)
    offs = reps.traces.offsets.tolist()
    who = plan.lifter[reps.set_index]
    version = lifters.device_version[who].tolist()
    stamps = encode.java_float_strings(reps.device_us)
    times = encode.iso_ms(reps.time_ms)
    battery = np.clip(
        rng.integers(15, 100, plan.size)[reps.set_index] - reps.rep_index, 5, 100
    ).tolist()
    cut = rng.random(reps.size).tolist()
    cols = zip(
        who.tolist(),
        version,
        (reps.rep_index + 1).tolist(),
        reps.mean_velocity.tolist(),
        reps.rom_mm.astype(np.int64).tolist(),
        reps.peak_velocity.tolist(),
        reps.peak_location.astype(np.int64).tolist(),
        reps.peak_accel.tolist(),
        reps.duration_us.astype(np.int64).tolist(),
        reps.rest_min.astype(np.int64).tolist(),
        rep_fault.tolist(),
        strict=True,
    )
    out = []
    for i, (w, v, num, mv, rom, pv, loc, acc, dur, rest, rf) in enumerate(cols):
        mv_text = (
            "Infinity"
            if rf == R["infinite_velocity"]
            else encode.ABSURD_VELOCITY
            if rf == R["absurd_velocity"]
            else repr(mv)
        )
        head = f'"{encode.FLAG[v]}","{num}.0","{mv_text}","{rom}.0","{pv!r}","{loc}.0"'
        if v == 3:
            head += f',"{acc:.8g}","{dur}.0","{rest}.0",{stamps[i]},'
        elif v == 2:
            head += f',"-2121.0","{dur}.0","{rest}.0",{stamps[i]},'
        else:
            head += ","
        data = (
            f"{head}{text.settings[w]},{','.join(bulk[offs[i] : offs[i + 1]])}"
            f',"-6789.0","{battery[i]}.0"'
        )
        if rf == R["truncated_array"]:
            items = data.split(",")
            keep = 3 + int(cut[i] * (encode.SETTINGS_FLAG_INDEX[v] - 3))
            data = ",".join(items[:keep])
        valid = "false" if rf == R["invalid_rep"] else "true"
        removed = "true" if rf == R["removed_rep"] else "false"
        out.append(
            f'{{"isValid":{valid},"removed":{removed},{text.rep_prefix[w]}{times[i]}",'
            f'"data":[{data}]}}'
        )
    return out


def _choose(rng: np.random.Generator, pool: np.ndarray, k: int) -> np.ndarray:
    """``k`` distinct elements of ``pool`` in ascending order (fewer if the pool is small)."""
    k = min(k, pool.size)
    return np.sort(rng.choice(pool, size=k, replace=False)) if k else pool[:0]


def _superseded_edit(
    rng: np.random.Generator, fields: SetFields, i: int, kind: int
) -> tuple[str, str, str | None, str]:
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


def build_batch(
    seed: int,
    index: int,
    first_line: int,
    n_lines: int,
    lifters: Lifters,
    text: LifterText,
    rates: dict[str, float],
) -> Batch:
    """``n_lines`` export lines starting at 1-based line ``first_line``, with truth rows."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7, index]))
    n_rev = min(int(rng.binomial(n_lines, rates["revision"])), n_lines // 3)
    n_base = n_lines - n_rev
    plan = plan_sets(rng, lifters, n_base)
    reps = simulate_reps(rng, lifters, plan)
    fault = draw_set_faults(rng, rates, n_base)
    clean = np.flatnonzero(fault < 0)
    superseded = _choose(rng, clean, n_rev)
    n_rev = superseded.size
    pool = np.setdiff1d(clean, superseded)
    malformed = _choose(rng, pool, int(rng.binomial(n_lines, rates["malformed_json"])))
    rep_fault = draw_rep_faults(rng, rates, reps.size)
    fields = set_fields(rng, lifters, plan, fault)
    rep_text = rep_texts(rng, lifters, text, plan, reps, rep_fault)

    # line i < n_base is base set i; line n_base + j re-uploads base set superseded[j]
    src = np.concatenate([np.arange(n_base), superseded])
    upload_s = (plan.start_ms[src] // 1000 + rng.integers(60, 7200, src.size)).astype(np.int64)
    upload_s[n_base:] += rng.integers(3600, 30 * 86400, n_rev)
    doc_ids = encode.object_ids(rng, upload_s)
    set_ids = encode.uuid4s(rng, n_base)
    n_workouts = int(plan.workout.max()) + 1 if plan.size else 0
    workout_ids = encode.uuid4s(rng, n_workouts)
    starts = encode.iso_ms(plan.start_ms)
    rep_start = np.concatenate([[0], np.cumsum(plan.n_reps)]).tolist()
    edit_kind = rng.integers(0, 3, max(n_rev, 1)).tolist()
    cut = rng.random(n_base).tolist()

    fault_name: list[str | None] = [DRAWN_SET_FAULTS[c] if c >= 0 else None for c in fault.tolist()]
    detail = list(fields.detail)
    lines: list[str] = []
    line_src = src.tolist()
    sup_pos = {int(s): j for j, s in enumerate(superseded.tolist())}
    typed_exercise: list[str | None] = []
    bad = frozenset(malformed.tolist())
    for line_idx, i in enumerate(line_src):
        weight, rpe, exercise = fields.weight[i], fields.rpe[i], fields.exercise[i]
        if line_idx < n_base and i in sup_pos:
            weight, rpe, exercise, det = _superseded_edit(rng, fields, i, edit_kind[sup_pos[i]])
            fault_name[i] = "superseded"
            detail[i] = det
        who = int(plan.lifter[i])
        line = (
            f'{{"_id":"{doc_ids[line_idx]}","userID":"{lifters.user_id[who]}",'
            f'"setID":"{set_ids[i]}","workoutID":"{workout_ids[plan.workout[i]]}",'
            f'"exercise":{encode.json_text(exercise)},"setNumber":{plan.set_number[i]}.0,'
            f'"weight":{weight},"metric":"{fields.metric[i]}","rpe":{rpe},{fields.tags[i]}'
            f'"initialStartTime":"{starts[i]}",{fields.deletion[i]}'
            f'"reps":[{",".join(rep_text[rep_start[i] : rep_start[i + 1]])}]}}'
        )
        if line_idx < n_base and fault_name[i] is None and i in bad:
            line = line[: 10 + int(cut[i] * (len(line) - 12))]
            fault_name[i] = "malformed_json"
            detail[i] = "line cut mid-way"
        lines.append(line)
        typed_exercise.append(exercise)

    rep_fault_lists = _rep_fault_lists(rep_fault, rep_start, plan.size)
    numbers = list(range(first_line, first_line + len(lines)))
    revision_detail = [f"supersedes line {first_line + int(s)}" for s in superseded.tolist()]
    truth = {
        "line_number": numbers,
        "doc_id": doc_ids,
        "set_id": [set_ids[i] for i in line_src],
        "user_id": [lifters.user_id[w] for w in plan.lifter[src].tolist()],
        "workout_id": [workout_ids[w] for w in plan.workout[src].tolist()],
        "true_lift": [LIFTS[k] for k in plan.lift[src].tolist()],
        "typed_exercise": typed_exercise,
        "fault": fault_name + ["revision"] * n_rev,
        "fault_detail": detail + revision_detail,
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
