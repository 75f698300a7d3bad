"""Workout planning: which lifter trains which lifts when, warm-up ramps, working sets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from liftlab.generator.lifters import ARCHETYPES, Lifters
from liftlab.generator.physics import LIFTS, SUMO_VARIANT, max_reps, variant_table
from liftlab.generator.trajectory import DELOAD_LOAD, course, place_days

EPOCH_MS = 1_483_228_800_000  # 2017-01-01T00:00:00Z
DAY_MS = 86_400_000
MAX_REPS = 10
# Share of a lifter's workouts that are heavy days (working sets at 90-98 % 1RM, RPE 9-10,
# about 0.2-0.4 m/s: physics.py), per archetype.
HEAVY_DAY = np.array([0.25, 0.05, 0.08, 0.10])
HEAVY_PCT = (0.90, 0.98)
VARIANT_TOTAL, VARIANT_CUM = variant_table()
DEADLIFT = LIFTS.index("deadlift")


@dataclass
class SetPlan:
    """Struct of arrays, one row per planned set (before faults)."""

    lifter: np.ndarray
    lift: np.ndarray
    workout: np.ndarray  # batch-local workout number
    set_number: np.ndarray
    is_warmup: np.ndarray
    pct: np.ndarray  # of the variant's 1RM
    variant: np.ndarray  # code: 0 = the lift itself, else physics.VARIANTS[code - 1]
    n_reps: np.ndarray
    rpe: np.ndarray  # true RPE (0 = would not be entered)
    start_ms: np.ndarray  # unix ms of the first edit
    belt: np.ndarray
    band: np.ndarray
    day: np.ndarray  # workout day, integer days since EPOCH_MS (UTC)
    one_rm_kg: np.ndarray  # true 1RM of the set's lift that day (before readiness)
    readiness: np.ndarray  # the day's readiness offset (effective 1RM = true x (1 + it))

    @property
    def size(self) -> int:
        return int(self.lifter.size)

    def take(self, idx: np.ndarray) -> SetPlan:
        return SetPlan(**{k: v[idx] for k, v in self.__dict__.items()})


def _cum_table(rows: list[tuple[float, ...]], width: int) -> np.ndarray:
    table = np.zeros((len(rows), width))
    for i, row in enumerate(rows):
        table[i, : len(row)] = row
    table /= table.sum(axis=1, keepdims=True)
    return np.cumsum(table, axis=1)


WORK_REPS = _cum_table([a.work_reps for a in ARCHETYPES], MAX_REPS)
WARMUPS = _cum_table([a.warmups for a in ARCHETYPES], 4)
ZONE = np.array([a.zone for a in ARCHETYPES])
WORK_SETS = np.array([a.work_sets for a in ARCHETYPES])
RPE_RATE = np.array([a.rpe_rate for a in ARCHETYPES])
RPE = np.array([a.rpe for a in ARCHETYPES])
BELT_RATE = np.array([a.belt_rate for a in ARCHETYPES])
BAND_RATE = np.array([a.band_rate for a in ARCHETYPES])


def _categorical(rng: np.random.Generator, cum: np.ndarray) -> np.ndarray:
    """Index drawn per row from per-row cumulative probabilities (n, k)."""
    u = rng.random(cum.shape[0])
    return (u[:, None] > cum).sum(axis=1)


def _pick_lifts(
    rng: np.random.Generator, pref: np.ndarray, n_lifts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Blocks (workout, lift): ``n_lifts`` distinct lifts per workout (Gumbel top-k)."""
    scores = np.log(pref + 1e-12) + rng.gumbel(size=pref.shape)
    order = np.argsort(-scores, axis=1, kind="stable")
    keep = np.arange(pref.shape[1])[None, :] < n_lifts[:, None]
    return order, keep


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Owner index and position within owner for a repeat by ``counts``."""
    owner = np.repeat(np.arange(counts.size), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(owner.size) - starts[owner]


def _variants(
    rng: np.random.Generator, lifters: Lifters, lifter: np.ndarray, lift: np.ndarray
) -> np.ndarray:
    """Variant code of each block (a lift in a workout): drawn at the lifter's variant rate
    among the lift's variants; a sumo puller's other deadlifts are sumo."""
    cum = VARIANT_CUM[lift]
    drawn = np.minimum(_categorical(rng, cum), cum.shape[1] - 1)
    use = rng.random(lift.size) < lifters.variant_rate[lifter] * VARIANT_TOTAL[lift]
    sumo = (lift == DEADLIFT) & lifters.sumo[lifter]
    return np.where(use, drawn, np.where(sumo, SUMO_VARIANT, 0)).astype(np.int64)


def _workout_days(
    rng: np.random.Generator, lifters: Lifters, w_lifter: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Day (since EPOCH_MS) of each workout, uniform over the lifter's training days (their
    span without its breaks), and whether it falls in a deload week."""
    traj = lifters.trajectory
    active = lifters.span_days[w_lifter] - traj.gap_days[w_lifter].sum(axis=1)
    offset = np.floor(place_days(traj, w_lifter, rng.random(w_lifter.size) * active))
    deload = course(traj, w_lifter, offset).deload
    return lifters.start_day[w_lifter] + offset.astype(np.int64), deload


def plan_workouts(rng: np.random.Generator, lifters: Lifters, n_workouts: int) -> SetPlan:
    """Plan ``n_workouts`` workouts: several lifts each, warm-ups then working sets; loads
    as a share of the day's true 1RM (lighter in a deload week)."""
    p = lifters.activity / lifters.activity.sum()
    w_lifter = rng.choice(lifters.size, size=n_workouts, p=p)
    w_day, w_deload = _workout_days(rng, lifters, w_lifter)
    w_start = EPOCH_MS + w_day * DAY_MS
    w_start += rng.integers(6 * 3600_000, 21 * 3600_000, n_workouts)
    n_lifts = rng.choice([1, 2, 3], size=n_workouts, p=[0.3, 0.45, 0.25])
    order, keep = _pick_lifts(rng, lifters.lift_pref[w_lifter], n_lifts)
    b_workout, b_pos = np.nonzero(keep)
    b_lift = order[b_workout, b_pos]
    b_lifter = w_lifter[b_workout]
    arch = lifters.archetype[b_lifter]
    n_warm = _categorical(rng, WARMUPS[arch])
    lo, hi = WORK_SETS[arch, 0], WORK_SETS[arch, 1]
    n_work = lo + np.floor(rng.random(arch.size) * (hi - lo + 1)).astype(np.int64)
    b_pct = np.clip(ZONE[arch, 0] + ZONE[arch, 1] * rng.normal(size=arch.size), 0.4, 0.98)
    heavy_day = (rng.random(n_workouts) < HEAVY_DAY[lifters.archetype[w_lifter]])[b_workout]
    deload = w_deload[b_workout]
    b_pct = np.where(heavy_day & ~deload, rng.uniform(*HEAVY_PCT, arch.size), b_pct)
    b_pct = np.where(deload, b_pct * DELOAD_LOAD, b_pct)
    b_variant = _variants(rng, lifters, b_lifter, b_lift)
    block, pos = _expand(n_warm + n_work)
    warm = pos < n_warm[block]
    n = block.size
    ramp = 0.45 + 0.45 * (pos + 1) / (n_warm[block] + 1)
    pct = np.where(warm, b_pct[block] * ramp, b_pct[block] + rng.normal(0, 0.02, n))
    pct = np.clip(pct, 0.25, 1.0)
    arch_s = arch[block]
    work_reps = _categorical(rng, WORK_REPS[arch_s]) + 1
    warm_reps = rng.choice([1, 2, 3], size=n, p=[0.9, 0.08, 0.02])
    cap = max_reps(pct).astype(np.int64)
    reps = np.where(warm, warm_reps, np.minimum(work_reps, cap))
    habit = RPE[arch_s, 0] + 8.0 * (pct - ZONE[arch_s, 0]) + RPE[arch_s, 1] * rng.normal(size=n)
    rpe = np.clip(np.round(habit * 2) / 2, 4, 10)
    rpe = np.where(warm | (rng.random(n) >= RPE_RATE[arch_s]), 0.0, rpe)
    workout = b_workout[block]
    _, set_pos = _expand(np.bincount(workout, minlength=n_workouts))
    start = w_start[workout] + set_pos * 180_000 + rng.integers(0, 60_000, n)
    heavy = (~warm) & (pct > 0.75)
    b_day = w_day[b_workout]
    return SetPlan(
        lifter=b_lifter[block],
        lift=b_lift[block],
        workout=workout,
        set_number=set_pos + 1,
        is_warmup=warm,
        pct=pct,
        variant=b_variant[block],
        n_reps=reps.astype(np.int64),
        rpe=rpe,
        start_ms=start,
        belt=heavy & (rng.random(n) < BELT_RATE[arch_s]),
        band=(~warm) & (rng.random(n) < BAND_RATE[arch_s]),
        day=b_day[block],
        one_rm_kg=lifters.true_one_rm(b_lifter, b_lift, b_day)[block],
        readiness=lifters.readiness(w_lifter, w_day)[b_workout][block],
    )


def plan_sets(rng: np.random.Generator, lifters: Lifters, n_sets: int) -> SetPlan:
    """Exactly ``n_sets`` sets (whole workouts, the last one possibly cut short)."""
    plan = plan_workouts(rng, lifters, max(1, n_sets // 6 + 1))
    while plan.size < n_sets:
        more = plan_workouts(rng, lifters, max(1, (n_sets - plan.size) // 6 + 1))
        more.workout = more.workout + int(plan.workout.max()) + 1
        plan = SetPlan(
            **{k: np.concatenate([v, getattr(more, k)]) for k, v in plan.__dict__.items()}
        )
    return plan.take(np.arange(n_sets))
