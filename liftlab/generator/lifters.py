"""Lifter population: archetypes (the clustering ground truth), strength, body size, devices.

Archetypes differ in how they lift, not only in how strong they are: training zone
(%1RM), rep ranges, intent (velocity), technique (peak location, depth), lift mix and RPE
habits. Body size and strength vary within every archetype.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from liftlab.generator.physics import (
    LIFTS,
    SHAPES,
    STRENGTH_SD,
    SUMO_LOC,
    SUMO_ROM,
    SUMO_SHARE,
    lift_array,
)
from liftlab.generator.trajectory import (
    Trajectories,
    draw_trajectories,
    one_rm_factor,
    readiness_offset,
)

LIFT_SPEED_SD = 0.06  # per lift, beyond the lifter's speed
VARIANT_LIFTERS = 0.6  # share of lifters who train variants at all
ROM_CORRELATION = 0.9  # loading of a lifter's ROM deviations on one body factor (_correlate_rom)
# Dirichlet concentration of a lifter's lift mix around the archetype's. (1.0 was tried for
# more varied mixes: it left rare lifts, power clean, to a single lifter of a small export,
# whose sets a lifter-grouped cross-fit then cannot learn; transfer did not improve.)
LIFT_MIX_CONCENTRATION = 4.0
# A lifter's MVT relative to the lift's (physics.py): per archetype (powerlifters grind
# slowest at 1RM), and a lifter-level log-sd shared by their lifts, plus MVT_LIFT_SD per lift.
MVT_FACTOR = np.array([0.85, 1.05, 1.05, 1.0])
MVT_SD = 0.08
MVT_LIFT_SD = 0.04


@dataclass(frozen=True)
class Archetype:
    """Training style of one kind of lifter."""

    name: str
    share: float
    squat_bw: float  # squat 1RM in body masses (mean)
    zone: tuple[float, float]  # working %1RM mean, sd
    work_reps: tuple[float, ...]  # probabilities of 1..10 reps on a working set
    warmups: tuple[float, ...]  # probabilities of 0.. warm-up sets per lift
    work_sets: tuple[int, int]  # working sets per lift, inclusive range
    speed: float  # velocity multiplier (intent / tempo)
    speed_sd: float  # lifter-level log-sd of the speed multiplier (13-25 %: physics.py)
    set_noise: float  # set-level velocity sd (consistency)
    loc_shift: float  # peak location shift, % of ROM
    rom_factor: float  # depth / full range habit
    lift_mix: tuple[float, ...]  # preference over LIFTS
    rpe_rate: float  # probability an RPE is entered
    rpe: tuple[float, float]  # habitual RPE of working sets: mean, sd
    belt_rate: float
    band_rate: float


ARCHETYPES: tuple[Archetype, ...] = (
    Archetype(
        name="powerlifter",
        share=0.30,
        squat_bw=2.05,
        zone=(0.86, 0.04),
        work_reps=(0.78, 0.13, 0.06, 0.02, 0.01),
        warmups=(0.05, 0.25, 0.40, 0.30),
        work_sets=(2, 4),
        speed=0.95,
        speed_sd=0.15,
        set_noise=0.03,
        loc_shift=-2.0,
        rom_factor=0.95,
        lift_mix=(0.36, 0.32, 0.26, 0.03, 0.02, 0.01),
        rpe_rate=0.65,
        rpe=(8.3, 0.5),
        belt_rate=0.60,
        band_rate=0.02,
    ),
    Archetype(
        name="explosive_athlete",
        share=0.20,
        squat_bw=1.65,
        zone=(0.55, 0.05),
        work_reps=(0.76, 0.16, 0.06, 0.02),
        warmups=(0.40, 0.45, 0.15),
        work_sets=(2, 4),
        speed=1.2,
        speed_sd=0.15,
        set_noise=0.03,
        loc_shift=7.0,
        rom_factor=1.02,
        lift_mix=(0.24, 0.14, 0.12, 0.10, 0.08, 0.32),
        rpe_rate=0.25,
        rpe=(6.5, 0.5),
        belt_rate=0.05,
        band_rate=0.20,
    ),
    Archetype(
        name="novice",
        share=0.30,
        squat_bw=1.05,
        zone=(0.62, 0.08),
        work_reps=(0.68, 0.12, 0.07, 0.04, 0.04, 0.02, 0.01, 0.01, 0.005, 0.005),
        warmups=(0.75, 0.25),
        work_sets=(1, 3),
        speed=0.9,
        speed_sd=0.18,
        set_noise=0.08,
        loc_shift=-10.0,
        rom_factor=0.86,
        lift_mix=(0.28, 0.32, 0.16, 0.10, 0.12, 0.02),
        rpe_rate=0.15,
        rpe=(6.0, 1.2),
        belt_rate=0.00,
        band_rate=0.01,
    ),
    Archetype(
        name="bodybuilder",
        share=0.20,
        squat_bw=1.40,
        zone=(0.70, 0.04),
        work_reps=(0.56, 0.08, 0.05, 0.04, 0.04, 0.05, 0.05, 0.06, 0.04, 0.03),
        warmups=(0.30, 0.70),
        work_sets=(3, 4),
        speed=0.72,
        speed_sd=0.14,
        set_noise=0.03,
        loc_shift=2.0,
        rom_factor=1.08,
        lift_mix=(0.14, 0.32, 0.06, 0.22, 0.26, 0.00),
        rpe_rate=0.45,
        rpe=(9.0, 0.5),
        belt_rate=0.10,
        band_rate=0.12,
    ),
)
ARCHETYPE_NAMES: tuple[str, ...] = tuple(a.name for a in ARCHETYPES)
DEVICE_VERSIONS = np.array([3, 2, 1])
DEVICE_SHARES = np.array([0.78, 0.16, 0.06])


@dataclass
class Lifters:
    """Struct of arrays, one row per lifter."""

    user_id: list[str]
    archetype: np.ndarray  # int code into ARCHETYPES
    body_mass_kg: np.ndarray
    height_factor: np.ndarray
    one_rm_kg: np.ndarray  # (n, 6) true 1RM on the lifter's first day (trajectory.py)
    uses_lbs: np.ndarray  # bool
    speed: np.ndarray  # (n, 6) velocity multiplier at the same %1RM
    loc_shift: np.ndarray  # (n, 6) peak location, % of ROM
    rom_factor: np.ndarray  # (n, 6), sumo included
    sumo: np.ndarray  # bool: pulls sumo
    variant_rate: np.ndarray  # share of a lift's sets done as a variant
    duration_bias: np.ndarray  # reported duration / (ROM / mean velocity)
    shape: np.ndarray  # (n, 6, 6) personal velocity shape parameters
    lift_pref: np.ndarray  # (n, 6)
    activity: np.ndarray  # relative share of the sets
    device_version: np.ndarray
    new_app: np.ndarray  # bool: app 3.x (string weights, `deleted`, tags)
    device_unit: np.ndarray
    mac: list[str]
    ios: np.ndarray  # bool
    start_day: np.ndarray  # days since EPOCH_DAY
    span_days: np.ndarray  # calendar days, breaks included
    trajectory: Trajectories  # 1RM over time, deloads, breaks, readiness
    mvt_m_s: np.ndarray  # (n, 6) the lifter's mean velocity at 1RM

    @property
    def size(self) -> int:
        return len(self.user_id)

    def true_one_rm(self, lifter: np.ndarray, lift: np.ndarray, day: np.ndarray) -> np.ndarray:
        """True 1RM (kg) of ``lift`` on ``day`` (integer days since EPOCH_DAY), before the
        day's readiness."""
        offset = day - self.start_day[lifter]
        return self.one_rm_kg[lifter, lift] * one_rm_factor(self.trajectory, lifter, lift, offset)

    def readiness(self, lifter: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Readiness offset of the lifter on ``day`` (effective 1RM = true x (1 + offset))."""
        return readiness_offset(self.trajectory, lifter, day)


def _ids(rng: np.random.Generator, n: int, length: int, alphabet: str) -> list[str]:
    chars = np.array(list(alphabet))
    codes = rng.integers(0, len(chars), size=(n, length))
    return ["".join(row) for row in chars[codes].tolist()]


def _macs(rng: np.random.Generator, n: int) -> list[str]:
    octets = rng.integers(0, 256, size=(n, 6))
    octets[:, 0] = octets[:, 0] | 0xC0  # random static BLE address
    return [":".join(f"{o:02X}" for o in row) for row in octets.tolist()]


def _archetype_params(codes: np.ndarray, attr: str) -> np.ndarray:
    return np.array([getattr(ARCHETYPES[c], attr) for c in codes.tolist()], dtype=float)


# Per lift, the range of a lifter's profile flatness (0: the lift's shape; 1: constant
# speed; negative: peakier). Calibrated on the real exports, where peak / mean velocity is
# about 1.3 on the bench press, 1.5 on the overhead press and 1.8-2.0 on the squat and
# deadlift (the generator's base shapes: 1.4-1.7).
FLATNESS = np.array([(-0.15, 0.15), (0.0, 0.4), (-0.2, 0.2), (-0.1, 0.3), (0.0, 0.4), (-0.1, 0.2)])
# Share of lifters whose device reports a rep's duration longer than ROM / mean velocity
# (firmware: the real sample's V2 and V3 devices read 1.1-1.35 x, the 2017-2018 V3 1.0 x).
LONG_DURATION_SHARE = 0.3
LONG_DURATION = (1.1, 1.35)


def _randomize_shapes(rng: np.random.Generator, shape: np.ndarray) -> None:
    """Per lifter, in place: how deep the sticking dip is (0: none) and how flat the profile
    of each lift (:data:`FLATNESS`). The real exports' traces mostly have no pre-peak dip."""
    n = shape.shape[0]
    dip = rng.uniform(0.0, 1.0, (n, 1))
    u = rng.random((n, 1))
    flat = FLATNESS[None, :, 0] + u * (FLATNESS[None, :, 1] - FLATNESS[None, :, 0])
    y1, y2 = shape[:, :, 2], shape[:, :, 4]
    shape[:, :, 4] = np.where(y2 < y1, y1 + dip * (y2 - y1), y2)
    for i, weight in ((0, 0.5), (2, 1.0), (4, 1.0), (5, 1.0)):
        shape[:, :, i] += weight * flat * (1.0 - shape[:, :, i])
    # how much of the lockout deceleration the device records (0: all of it)
    shape[:, :, 5] += rng.uniform(0.0, 0.6, (n, 1)) * (1.0 - shape[:, :, 5])


def make_lifters(rng: np.random.Generator, n: int) -> Lifters:
    """Draw ``n`` lifters: archetype, size, strength, technique, devices and habits.

    The domain randomization of generator 2.0 (:func:`_randomize`) is drawn after the
    draws of 1.x, and the trajectories of 2.2 after those, so that a seed keeps its
    lifters' archetypes, ids, devices and techniques.
    """
    shares = np.array([a.share for a in ARCHETYPES])
    archetype = np.sort(rng.choice(len(ARCHETYPES), size=n, p=shares / shares.sum()))
    archetype = rng.permutation(archetype)
    male = rng.random(n) < 0.75
    height = np.where(male, 1.78, 1.65) * np.exp(rng.normal(0, 0.04, n))
    height_factor = height / 1.75
    body_mass = np.where(male, 84.0, 65.0) * height_factor**2 * np.exp(rng.normal(0, 0.13, n))
    rel = _archetype_params(archetype, "squat_bw") * np.exp(rng.normal(0, 0.13, n))
    squat = rel * body_mass * np.where(male, 1.0, 0.8)
    ratios = lift_array("strength_ratio")
    one_rm = squat[:, None] * ratios[None, :] * np.exp(rng.normal(0, STRENGTH_SD, (n, len(LIFTS))))
    speed = _archetype_params(archetype, "speed") * np.exp(
        rng.normal(0, 1, n) * _archetype_params(archetype, "speed_sd")
    )
    loc_sd = lift_array("loc_sd")
    loc_shift = (
        _archetype_params(archetype, "loc_shift")[:, None]
        + rng.normal(0, 1, (n, len(LIFTS))) * loc_sd[None, :]
    )
    rom_sigma = lift_array("rom_sigma")
    rom_factor = _archetype_params(archetype, "rom_factor")[:, None] * np.exp(
        rng.normal(0, 1, (n, len(LIFTS)))
        * rom_sigma[None, :]
        * np.where(archetype == 2, 1.0, 0.85)[:, None]
    )
    shape = SHAPES[None, :, :] + rng.normal(0, 0.035, (n, len(LIFTS), SHAPES.shape[1]))
    shape[:, :, [1, 3]] = SHAPES[None, :, [1, 3]] + rng.normal(0, 0.025, (n, len(LIFTS), 2))
    mix = np.array([ARCHETYPES[c].lift_mix for c in archetype.tolist()])
    lift_pref = mix * rng.dirichlet(np.full(len(LIFTS), LIFT_MIX_CONCENTRATION), n) * len(LIFTS)
    lift_pref /= lift_pref.sum(axis=1, keepdims=True)
    version = rng.choice(DEVICE_VERSIONS, size=n, p=DEVICE_SHARES)
    new_app = rng.random(n) < np.where(version == 1, 0.25, 0.8)
    start_day = rng.integers(0, 600, n)
    lifters = Lifters(
        user_id=_ids(rng, n, 28, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
        archetype=archetype,
        body_mass_kg=body_mass,
        height_factor=height_factor,
        one_rm_kg=one_rm,
        uses_lbs=rng.random(n) < 0.6,
        speed=speed[:, None] * np.ones(len(LIFTS)),
        loc_shift=loc_shift,
        rom_factor=rom_factor,
        sumo=np.zeros(n, dtype=bool),
        variant_rate=np.zeros(n),
        duration_bias=np.ones(n),
        shape=shape,
        lift_pref=lift_pref,
        activity=np.exp(rng.normal(0, 0.5, n)),
        device_version=version,
        new_app=new_app,
        device_unit=rng.integers(1000, 9999, n),
        mac=_macs(rng, n),
        ios=rng.random(n) < 0.45,
        start_day=start_day,
        span_days=rng.integers(60, 420, n),
        trajectory=Trajectories.flat(n, len(LIFTS)),
        mvt_m_s=np.tile(lift_array("mvt"), (n, 1)),
    )
    _randomize(rng, lifters)
    lifters.trajectory = draw_trajectories(rng, archetype, lifters.span_days, len(LIFTS))
    lifters.mvt_m_s = (
        lifters.mvt_m_s
        * MVT_FACTOR[archetype][:, None]
        * np.exp(rng.normal(0, MVT_SD, (n, 1)) + rng.normal(0, MVT_LIFT_SD, (n, len(LIFTS))))
    )
    return lifters


def _randomize(rng: np.random.Generator, lifters: Lifters) -> None:
    """Generator 2.0's per-lifter spreads, in place: speed per lift, sumo, variants, trace
    shapes and the device's duration (sources in physics.py)."""
    n = lifters.size
    lifters.speed *= np.exp(rng.normal(0, LIFT_SPEED_SD, (n, len(LIFTS))))
    sumo = rng.random(n) < SUMO_SHARE
    deadlift = LIFTS.index("deadlift")
    lifters.sumo = sumo
    lifters.rom_factor[:, deadlift] *= np.where(sumo, SUMO_ROM, 1.0)
    lifters.loc_shift[:, deadlift] += np.where(sumo, SUMO_LOC, 0.0)
    lifters.variant_rate = np.where(rng.random(n) < VARIANT_LIFTERS, rng.uniform(0.1, 0.6, n), 0.0)
    _randomize_shapes(rng, lifters.shape)
    long = rng.random(n) < LONG_DURATION_SHARE
    lifters.duration_bias = np.where(long, rng.uniform(*LONG_DURATION, n), 1.0)
    _correlate_rom(rng, lifters)


def _correlate_rom(rng: np.random.Generator, lifters: Lifters) -> None:
    """One lifter's ranges of motion move together across lifts: limb lengths and mobility
    set the depth of the squat and the pull of the deadlift alike (bar travel scales with
    segment lengths: Escamilla et al. 2000; Hales 2010, Strength Cond J 32:44), so the
    lifter-level ROM deviation of each lift (log-sd rom_sigma, marginal unchanged) loads
    ROM_CORRELATION on one body factor (two lifts correlate at its square, 0.81).
    Independent deviations put about a fifth of the lifters' squats shorter than their own
    conventional deadlifts; with the shared factor 7.7 % (20,000 lifters). The real lifter of
    app_history_2017_2018 squats 172 mm more than they deadlift."""
    n = lifters.size
    arch = _archetype_params(lifters.archetype, "rom_factor")[:, None]
    deadlift = LIFTS.index("deadlift")
    sumo = np.ones((n, len(LIFTS)))
    sumo[:, deadlift] = np.where(lifters.sumo, SUMO_ROM, 1.0)
    own = np.log(lifters.rom_factor / (arch * sumo))  # sigma * k * standard normal
    scale = lift_array("rom_sigma")[None, :] * np.where(lifters.archetype == 2, 1.0, 0.85)[:, None]
    shared = rng.normal(0, 1, n)[:, None] * scale
    rho = ROM_CORRELATION
    lifters.rom_factor = arch * sumo * np.exp(np.sqrt(1 - rho**2) * own + rho * shared)


def lifters_table(lifters: Lifters) -> dict[str, object]:
    """Columns of the ``truth_lifters`` file."""
    cols: dict[str, object] = {
        "user_id": lifters.user_id,
        "archetype": [ARCHETYPE_NAMES[c] for c in lifters.archetype.tolist()],
        "body_mass_kg": np.round(lifters.body_mass_kg, 2),
    }
    for i, lift in enumerate(LIFTS):
        cols[f"one_rm_{lift}_kg"] = np.round(lifters.one_rm_kg[:, i], 2)
    for i, lift in enumerate(LIFTS):
        cols[f"mvt_{lift}_m_s"] = np.round(lifters.mvt_m_s[:, i], 4)
    cols["weight_unit"] = np.where(lifters.uses_lbs, "lbs", "kgs").tolist()
    cols["device_version"] = lifters.device_version
    cols["new_app"] = lifters.new_app
    return cols
