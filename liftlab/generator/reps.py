"""Rep simulation: velocities, ROM, peak location and bulk traces for planned sets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from liftlab.generator.lifters import ARCHETYPES, Lifters
from liftlab.generator.physics import (
    DEVICE_NOISE_CV,
    LB_KG,
    Traces,
    build_traces,
    lift_array,
    mean_velocity,
    variant_array,
    velocity_loss,
)
from liftlab.generator.set_text import VARIANT_LOAD, typed_weights
from liftlab.generator.workouts import SetPlan

SET_NOISE = np.array([a.set_noise for a in ARCHETYPES])
VARIANT_ROM = variant_array("rom", 1.0)
VARIANT_SPEED = variant_array("speed", 1.0)
VARIANT_LOC = variant_array("loc", 0.0)
# Near 1RM the sticking region deepens (van den Tillaar & Ettema 2010, J Strength Cond Res
# 24:2964; Kompf & Arandjelovic 2016, Sports Med 46:751): the real exports' heavy squats
# (0.35-0.43 m/s) peak at 2.2-2.5 x their mean velocity, their light ones at 1.7-1.9 x.
# Relative speeds before the peak (start, sticking knots) fall by up to GRIND at 100 % 1RM.
GRIND = 0.35
GRIND_KNOTS = [0, 2, 4]


@dataclass
class RepBatch:
    """Struct of arrays, one row per rep, plus the traces."""

    set_index: np.ndarray
    rep_index: np.ndarray
    mean_velocity: np.ndarray
    rom_mm: np.ndarray
    peak_velocity: np.ndarray
    peak_location: np.ndarray
    peak_accel: np.ndarray
    duration_us: np.ndarray
    rest_min: np.ndarray
    device_us: np.ndarray
    time_ms: np.ndarray
    traces: Traces

    @property
    def size(self) -> int:
        return int(self.set_index.size)


def effective_pct(lifters: Lifters, plan: SetPlan) -> np.ndarray:
    """Each set's load (as typed: plates, the empty bar) as a share of the day's effective
    1RM of its variant, ``true 1RM x (1 + readiness)`` (trajectory.py): the bar is slower on
    a bad day at the same load."""
    load_kg = np.where(lifters.uses_lbs[plan.lifter], LB_KG, 1.0) * typed_weights(lifters, plan)
    variant_one_rm = plan.one_rm_kg * VARIANT_LOAD[plan.variant]
    return load_kg / (variant_one_rm * (1.0 + plan.readiness))


def simulate_reps(rng: np.random.Generator, lifters: Lifters, plan: SetPlan) -> RepBatch:
    """Every rep of every planned set, vectorised over the batch."""
    set_index = np.repeat(np.arange(plan.size), plan.n_reps)
    starts = np.cumsum(plan.n_reps) - plan.n_reps
    rep_index = np.arange(set_index.size) - starts[set_index]
    n = set_index.size
    who = plan.lifter[set_index]
    lift = plan.lift[set_index]
    arch = lifters.archetype[who]
    novice = arch == 2
    set_factor = np.exp(rng.normal(0, 1, plan.size) * SET_NOISE[lifters.archetype[plan.lifter]])
    pct = effective_pct(lifters, plan)[set_index]
    variant = plan.variant[set_index]
    speed = lifters.speed[who, lift] * VARIANT_SPEED[variant]
    mv = mean_velocity(pct, lift, speed, lifters.mvt_m_s[who, lift]) * set_factor[set_index]
    mv *= velocity_loss(pct, rep_index) * rng.normal(1.0, DEVICE_NOISE_CV, n)
    mv = np.clip(mv, 0.05, 3.5)
    rom_noise = np.where(novice, 0.05, 0.03)
    rom = lift_array("rom_mm")[lift] * lifters.height_factor[who]
    rom *= lifters.rom_factor[who, lift] * VARIANT_ROM[variant]
    rom *= np.exp(rng.normal(0, 1, n) * rom_noise)
    rom = np.rint(np.clip(rom, 80, 1600))
    loc = lift_array("loc_pct")[lift] + lifters.loc_shift[who, lift] + VARIANT_LOC[variant]
    loc += rng.normal(0, 1, n) * np.where(novice, 5.0, 3.0) + 1.5 * np.minimum(rep_index, 4)
    loc = np.rint(np.clip(loc, 25, 97))
    shape = lifters.shape[who, lift] + rng.normal(0, 0.02, (n, 6))
    # heavy reps grind: slower out of the bottom and through the sticking region
    shape[:, GRIND_KNOTS] *= (1.0 - GRIND * np.clip((pct - 0.7) / 0.3, 0.0, 1.0))[:, None]
    traces = build_traces(rng, shape, loc, rom, mv)
    pv = mv * traces.peak_ratio * rng.normal(1.0, 0.02, n)
    duration = rom / mv * 1000.0 * lifters.duration_bias[who] * np.exp(rng.normal(0, 0.02, n))
    accel = pv**2 / (2 * np.maximum(loc, 10) / 100 * rom / 1000) * rng.uniform(4.0, 9.0, n)
    rest = np.where(rep_index == 0, np.floor(rng.gamma(2.0, 1.3, n)), 0.0)
    base = rng.integers(50_000_000, 900_000_000, plan.size)
    step = np.rint(duration + rng.uniform(1.5e6, 4.5e6, n)).astype(np.int64)
    cum = np.cumsum(step)
    within = cum - (cum[starts] - step[starts])[set_index]
    device_us = base[set_index] + within
    time_ms = plan.start_ms[set_index] + 15_000 + within // 1000
    return RepBatch(
        set_index=set_index,
        rep_index=rep_index,
        mean_velocity=mv,
        rom_mm=rom,
        peak_velocity=pv,
        peak_location=loc,
        peak_accel=accel,
        duration_us=np.rint(duration),
        rest_min=rest,
        device_us=device_us,
        time_ms=time_ms,
        traces=traces,
    )
