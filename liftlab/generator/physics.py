"""Barbell physics of the synthetic generator: published constants and vectorised rep models.

Sources of the numbers (as quoted in issue 3 and the literature it summarises):

* Load-velocity relationship: mean concentric velocity (MCV) falls linearly with %1RM,
  r about -0.9 or stronger. Minimum velocity threshold (MCV at 1RM): bench press about
  0.15-0.17 m/s and about 0.79 m/s at 60 % 1RM (Gonzalez-Badillo & Sanchez-Medina 2010,
  Int J Sports Med 31:347); back squat about 0.30 m/s (Conceicao et al. 2016, J Sports Sci
  34:1099; Banyard et al. 2017); deadlift about 0.14 m/s (Helms et al. 2017; Ruf et al.
  2018, J Strength Cond Res; Moran-Navarro et al. 2021); prone row / bench pull about
  0.5 m/s at 1RM (Sanchez-Medina et al. 2014, Int J Sports Med 35:209); overhead press
  about 0.19 m/s (Balsalobre-Fernandez et al. 2018); power clean mean velocity about
  1.0 m/s near 1RM and peak 1.6-2.0 m/s at 80-90 % (Comfort et al. 2012; Haff et al. 2019).
* Peak velocity is about 1.4-1.8 x mean velocity; rep duration = ROM / mean velocity;
  velocity is lost rep by rep within a set, more at heavy loads and near failure
  (Sanchez-Medina & Gonzalez-Badillo 2011, Med Sci Sports Exerc 43:1725).
* Device noise: about 3 % coefficient of variation for linear position transducers and
  the OpenBarbell (Balsalobre-Fernandez et al. 2016; Goldsmith et al. 2019, PLoS ONE).
* Velocity shapes: the bar starts from rest, so squat and deadlift traces start slow (the
  real exports' peak / mean velocity is 1.8-2.0 on both, 1.3 on the bench press, 1.5 on the
  overhead press); how much of the lockout deceleration a device records varies (real
  end-of-rep slopes from -1.2 to +0.5 of peak speed per path).
* Range of motion and peak velocity location: means of real OpenBarbell users as quoted by
  the study this project reproduces (bench about 343 mm, squat about 610 mm, deadlift about
  499 mm; peak velocity at about 63 %, 79 % and 68 % of ROM). The squat ROM and location
  spread is right/upper skewed so that the sample export (deep squats, late peaks) stays
  inside the generated p10-p90 range. Overhead press, barbell row and power clean values
  are anthropometric estimates.
* Bulk tick series: each bulk value is the time, in microseconds, the bar takes to cover
  one encoder tick distance (about 0.3 mm: the sample's peak velocity x smallest bulk value
  is about 300), sampled about every 30 mm of travel (sample: ROM / number of bulk values).
  So instantaneous velocity = TICK_UM / value and the bulk series' mean equals
  TICK_UM / mean velocity.

Domain randomization (generator 2.0, issue 13: a classifier trained on generated data must
label real exports). The spreads are drawn per lifter so that no single real lifter sits
outside the generated population:

* Speed at the same %1RM differs 13-25 % between lifters (individual load-velocity
  profiles: Pestana-Melero et al. 2018, J Appl Biomech 34:184; Banyard et al. 2018, Int J
  Sports Physiol Perform 13:763): lifter-level log-sd about 0.15 (archetypes' speed_sd),
  plus about 0.06 per lift.
* Individual MVT (generator 2.2): the velocity at 1RM differs between lifters (squat
  0.23-0.30 m/s, bench 0.10-0.17 m/s between studies and lifters, seeds/lifts.csv), and
  experienced lifters grind slower at 1RM than novices (Zourdos et al. 2016, J Strength
  Cond Res 30:267): a lifter's MVT is the lift's times an archetype factor
  (lifters.MVT_FACTOR) and a lifter-level log-sd of lifters.MVT_SD.
* Heavy sessions: RPE 9-10 sets move at about 0.2-0.4 m/s (Helms et al. 2017, J Strength
  Cond Res 31:292; squat about 0.23 m/s at RPE 10), so some workouts are "heavy days" at
  90-98 % 1RM (workouts.HEAVY_DAY).
* Strength ratios vary: deadlift / squat 1RM about 1.15 with a lifter-level log-sd of 0.12
  on each lift, so about one lifter in five squats more than they deadlift (the lifter of
  the real 2017-2018 export does: squat loads 111-134 kg, deadlift 120 kg).
* Range of motion from body height and technique: squat depth, bench arch (log-sd 0.15:
  real bench ROM 271-307 mm against a population mean of 343 mm), sumo deadlift (about a
  quarter of lifters; the bar travels about 20-25 % less than conventional: Escamilla et
  al. 2000, Med Sci Sports Exerc 32:1265). Overhead press ROM about 0.33 x body height
  (real export 614 mm).
* Peak-velocity location per lift and lifter: the study's population mean is 72 % of ROM;
  the real overhead press peaks early (27 % of ROM: the bar is fastest leaving the
  shoulders and slows through the sticking region by the forehead), the real bench at
  51-77 %, deadlift 73 %, squat 81-90 %. Lifter-level sd 7-11 % of ROM.
* Variants (:data:`VARIANTS`) with their own load, ROM, speed and peak location: pause
  squat and bench (a pause removes the stretch-shortening cycle: lower concentric
  velocity, Pallares et al. 2014, J Sports Sci 32:1165), tempo squat (slow eccentric and
  a pause lower the concentric velocity: Wilk et al. 2018, J Hum Kinet 65:171), box squat
  (depth set by the box), safety squat bar (1RM about 11 % below the back squat: Hecker et
  al. 2019, J Strength Cond Res 33:2585), front squat (1RM about 80 % of the back squat:
  Yavuz et al. 2015, J Sports Sci 33:1058), close-grip bench (longer bar path, 1RM about
  90-95 %: Saeterbakken et al. 2017, PLoS ONE 12:e0179226) and sumo deadlift. Each is
  typed under its own name (the real export's "SSB Squat", "Tempo Squats (2/2/1)") or,
  as lifters often do, under the plain lift's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from liftlab.lifts import LIFTS

LB_KG = 0.45359237
DEVICE_NOISE_CV = 0.03
TICK_UM = 300.0  # encoder tick distance in micrometres: value_us = TICK_UM / v_m_s
MM_PER_SAMPLE = 30.0  # travel between two bulk samples


@dataclass(frozen=True)
class LiftPhysics:
    """Per-lift constants. Shape knots: velocity relative to peak at x=0, x1, x2, peak, 1.

    x1 and x2 are fractions of the peak location, so the sticking region moves with it.
    """

    mvt: float  # mean velocity at 1RM, m/s
    slope: float  # m/s gained per unit of (1 - %1RM)
    rom_mm: float  # population mean ROM
    rom_sigma: float  # lifter-level log-sd of ROM beyond body height (depth, arch)
    loc_pct: float  # mean peak-velocity location, % of ROM
    loc_sd: float  # lifter-level sd of location
    strength_ratio: float  # 1RM relative to the squat 1RM
    shape: tuple[float, float, float, float, float, float]  # y0, f1, y1, f2, y2, y_end


PHYSICS: dict[str, LiftPhysics] = {
    "squat": LiftPhysics(
        0.30, 1.45, 610.0, 0.15, 82.0, 7.0, 1.00, (0.30, 0.18, 0.55, 0.48, 0.50, 0.62)
    ),
    "bench_press": LiftPhysics(
        0.15, 1.60, 335.0, 0.15, 63.0, 11.0, 0.68, (0.50, 0.30, 0.84, 0.66, 0.62, 0.34)
    ),
    "deadlift": LiftPhysics(
        0.14, 1.35, 540.0, 0.08, 69.0, 8.0, 1.15, (0.15, 0.33, 0.60, 0.70, 0.72, 0.30)
    ),
    "overhead_press": LiftPhysics(
        0.19, 1.50, 580.0, 0.10, 38.0, 11.0, 0.42, (0.48, 0.36, 0.88, 0.66, 0.60, 0.30)
    ),
    "barbell_row": LiftPhysics(
        0.50, 1.00, 400.0, 0.10, 46.0, 7.0, 0.62, (0.40, 0.40, 0.80, 0.75, 0.94, 0.28)
    ),
    "power_clean": LiftPhysics(
        0.95, 0.90, 1000.0, 0.07, 82.0, 5.0, 0.72, (0.30, 0.30, 0.55, 0.62, 0.50, 0.60)
    ),
}
SHAPES = np.array([PHYSICS[name].shape for name in LIFTS])
STRENGTH_SD = 0.12  # lifter-level log-sd of each lift's 1RM around its strength ratio
SUMO_SHARE = 0.25  # lifters who pull sumo
SUMO_ROM = 0.78  # sumo bar travel relative to conventional (Escamilla et al. 2000)
SUMO_LOC = 4.0  # sumo peak location shift, % of ROM (shorter pull, later lockout)


@dataclass(frozen=True)
class Variant:
    """A variant of a lift, relative to the lift itself (sources in the module docstring)."""

    label: str  # the name typed for it
    lift: str
    share: float  # share of the lift's sets of a lifter who trains variants
    load: float  # 1RM relative to the lift's
    rom: float  # ROM factor
    speed: float  # velocity factor at the same %1RM of the variant
    loc: float  # peak location shift, % of ROM
    label_rate: float  # probability the set is typed with the variant's name


# Code 0 is "no variant" (the lift itself); variant v is VARIANTS[v - 1].
VARIANTS: tuple[Variant, ...] = (
    Variant("Pause Squat", "squat", 0.20, 0.88, 1.00, 0.88, -2.0, 0.6),
    Variant("Tempo Squats (2/2/1)", "squat", 0.15, 0.80, 1.00, 0.85, 0.0, 0.8),
    Variant("Box Squat", "squat", 0.10, 0.92, 0.88, 0.95, -3.0, 0.7),
    Variant("SSB Squat", "squat", 0.20, 0.89, 0.98, 0.95, 1.0, 0.9),
    Variant("Front Squat", "squat", 0.15, 0.80, 1.02, 1.00, 2.0, 0.95),
    Variant("Pause Bench", "bench_press", 0.30, 0.95, 1.00, 0.90, -3.0, 0.6),
    Variant("Close Grip Bench", "bench_press", 0.20, 0.92, 1.10, 0.97, 2.0, 0.8),
    # sumo: a lifter's technique, its ROM (SUMO_ROM) and peak location are the lifter's own
    Variant("Sumo Deadlift", "deadlift", 0.0, 1.00, 1.00, 1.00, 0.0, 0.5),
    Variant("Pause Deadlift", "deadlift", 0.10, 0.88, 1.00, 0.90, -2.0, 0.7),
)
SUMO_VARIANT = 1 + next(i for i, v in enumerate(VARIANTS) if v.label == "Sumo Deadlift")


def variant_array(attr: str, default: float) -> np.ndarray:
    """A Variant attribute indexed by variant code (code 0, the lift itself, is ``default``)."""
    return np.array([default, *(getattr(v, attr) for v in VARIANTS)], dtype=float)


def variant_table() -> tuple[np.ndarray, np.ndarray]:
    """Per lift: the summed share of its variants, and the (lifts, variants + 1) cumulative
    shares of the variant codes among its variant sets (code 0 never; a lift without
    variants has an all-zero row). Sumo is a lifter's technique (share 0), not drawn."""
    table = np.zeros((len(LIFTS), len(VARIANTS) + 1))
    for code, v in enumerate(VARIANTS, start=1):
        table[LIFTS.index(v.lift), code] = v.share
    totals = table.sum(axis=1, keepdims=True)
    shares = np.divide(table, totals, out=np.zeros_like(table), where=totals > 0)
    return totals[:, 0], np.cumsum(shares, axis=1)


def lift_array(attr: str) -> np.ndarray:
    """One LiftPhysics attribute as an array indexed by lift code."""
    return np.array([getattr(PHYSICS[name], attr) for name in LIFTS], dtype=float)


def mean_velocity(
    pct_1rm: np.ndarray, lift: np.ndarray, speed: np.ndarray, mvt: np.ndarray | None = None
) -> np.ndarray:
    """Expected first-rep mean concentric velocity (m/s) at a load (%1RM as a fraction),
    down to ``mvt`` at 1RM (default: the lift's population MVT)."""
    mvt = lift_array("mvt")[lift] if mvt is None else mvt
    slope = lift_array("slope")[lift]
    return mvt + slope * speed * np.clip(1.0 - pct_1rm, 0.0, 0.95)


def velocity_loss(pct_1rm: np.ndarray, rep_index: np.ndarray) -> np.ndarray:
    """Multiplicative velocity factor of rep ``rep_index`` (0-based) within its set."""
    per_rep = 0.012 + 0.10 * np.clip(pct_1rm, 0.0, 1.0) ** 4
    return np.clip(1.0 - per_rep * rep_index, 0.35, 1.0)


def max_reps(pct_1rm: np.ndarray) -> np.ndarray:
    """Epley inverted: reps to failure at a load."""
    return np.maximum(1, np.floor(30.0 * (1.0 / np.clip(pct_1rm, 0.3, 1.0) - 1.0) + 1))


def _ease(t: np.ndarray) -> np.ndarray:
    """Cosine ease 0..1 over t in [0, 1], in float32 (numpy's SIMD cosine; a shape needs no
    more precision)."""
    half_turn = np.float32(np.pi) * np.clip(t, 0.0, 1.0).astype(np.float32)
    return np.float32(0.5) - np.float32(0.5) * np.cos(half_turn)


def tick_segments(kx: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Flat index (into ``kx.ravel()``) of the upper knot of every tick's segment.

    Rep r has ``n[r]`` ticks at x = (i + 0.5) / n[r]; its knots ``kx[r]`` start at 0 and end
    at 1. A tick belongs to the segment (kx[j-1], kx[j]]. Ticks per segment are counted per
    rep and the indices laid out with one ``repeat``, rather than searched tick by tick.
    """
    width = kx.shape[1]
    below = np.clip(np.floor(kx * n[:, None] - 0.5) + 1, 0, n[:, None]).astype(np.int64)
    below[:, -1] = n  # every tick is at or below the last knot
    np.maximum.accumulate(below, axis=1, out=below)
    per_segment = np.diff(below, axis=1)
    upper = np.arange(kx.shape[0])[:, None] * width + np.arange(1, width)
    return np.repeat(upper.ravel(), per_segment.ravel())


def shape_values(x: np.ndarray, upper: np.ndarray, kx: np.ndarray, ky: np.ndarray) -> np.ndarray:
    """Relative velocity at positions ``x`` (0 < x < 1), eased between the knots of each
    tick's segment (``upper``: flat index of its upper knot, from :func:`tick_segments`).

    ``kx`` and ``ky`` are (n_reps, k) knot positions (0 first, 1 last, non-decreasing) and
    values.
    """
    flat_x, flat_y = kx.ravel(), ky.ravel()
    lower = upper - 1
    x0, y0 = flat_x[lower], flat_y[lower]
    t = (x - x0) / np.maximum(flat_x[upper] - x0, flat_x.dtype.type(1e-9))
    return y0 + (flat_y[upper] - y0) * _ease(t)


def rep_knots(shape: np.ndarray, loc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Knot positions and values (n, 5) from shape parameters (n, 6) and peak location."""
    y0, f1, y1, f2, y2, y_end = (shape[:, i] for i in range(6))
    kx = np.stack([np.zeros_like(loc), f1 * loc, f2 * loc, loc, np.ones_like(loc)], axis=1)
    ky = np.stack([y0, y1, y2, np.ones_like(loc), y_end], axis=1)
    return kx, ky


@dataclass
class Traces:
    """Bulk series of a batch of reps: flat values with per-rep offsets (CSR layout)."""

    values: np.ndarray  # float µs per tick
    offsets: np.ndarray  # len = n_reps + 1
    peak_ratio: np.ndarray  # peak velocity / mean velocity per rep


def build_traces(
    rng: np.random.Generator,
    shape: np.ndarray,
    loc: np.ndarray,
    rom: np.ndarray,
    mv: np.ndarray,
) -> Traces:
    """Sample each rep's velocity shape every ~30 mm and turn it into tick intervals.

    The shape is scaled so that the spatial harmonic mean of the trace equals ``mv``;
    hence the mean bulk value is TICK_UM / mv, consistent with ROM and duration.
    """
    n = np.maximum(4, np.rint(rom / MM_PER_SAMPLE * rng.uniform(0.92, 1.08, rom.size)))
    n = n.astype(np.int64)
    offsets = np.zeros(n.size + 1, dtype=np.int64)
    np.cumsum(n, out=offsets[1:])
    # per tick in float32 (a shape sampled at ~30 mm needs no more; halves the traffic)
    position = np.arange(offsets[-1], dtype=np.float32)
    position -= np.repeat((offsets[:-1] - 0.5).astype(np.float32), n)
    x = position * np.repeat((1.0 / n).astype(np.float32), n)
    kx, ky = rep_knots(shape, loc / 100.0)
    upper = tick_segments(kx, n)
    rel = shape_values(x, upper, kx.astype(np.float32), ky.astype(np.float32))
    rel *= np.float32(1.0) + np.float32(0.02) * rng.standard_normal(rel.size, dtype=np.float32)
    np.maximum(rel, np.float32(0.05), out=rel)
    inv_rel = np.float32(1.0) / rel
    inv_mean = np.add.reduceat(inv_rel, offsets[:-1], dtype=np.float64) / n
    # exact peak of the continuous shape is 1.0; velocity = rel * mv * inv_mean
    values = inv_rel * np.repeat((TICK_UM / (mv * inv_mean)).astype(np.float32), n)
    return Traces(values=values, offsets=offsets, peak_ratio=inv_mean)
