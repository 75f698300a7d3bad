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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LIFTS: tuple[str, ...] = (
    "squat",
    "bench_press",
    "deadlift",
    "overhead_press",
    "barbell_row",
    "power_clean",
)
STUDY_LIFTS: tuple[str, ...] = ("squat", "bench_press", "deadlift")
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
    rom_sigma: float  # lifter-level log-sd of ROM beyond body height
    loc_pct: float  # mean peak-velocity location, % of ROM
    loc_sd: float  # lifter-level sd of location
    strength_ratio: float  # 1RM relative to the squat 1RM
    shape: tuple[float, float, float, float, float, float]  # y0, f1, y1, f2, y2, y_end


PHYSICS: dict[str, LiftPhysics] = {
    "squat": LiftPhysics(
        0.30, 1.45, 620.0, 0.19, 81.5, 9.0, 1.00, (0.55, 0.18, 0.62, 0.48, 0.50, 0.62)
    ),
    "bench_press": LiftPhysics(
        0.15, 1.60, 350.0, 0.12, 62.0, 12.0, 0.68, (0.50, 0.30, 0.84, 0.66, 0.62, 0.34)
    ),
    "deadlift": LiftPhysics(
        0.14, 1.35, 518.0, 0.09, 68.0, 7.0, 1.20, (0.34, 0.33, 0.66, 0.70, 0.72, 0.30)
    ),
    "overhead_press": LiftPhysics(
        0.19, 1.50, 480.0, 0.09, 56.0, 7.0, 0.45, (0.48, 0.36, 0.88, 0.66, 0.60, 0.30)
    ),
    "barbell_row": LiftPhysics(
        0.50, 1.00, 400.0, 0.10, 46.0, 6.0, 0.62, (0.40, 0.40, 0.80, 0.75, 0.94, 0.28)
    ),
    "power_clean": LiftPhysics(
        0.95, 0.90, 1000.0, 0.07, 82.0, 5.0, 0.72, (0.30, 0.30, 0.55, 0.62, 0.50, 0.60)
    ),
}
SHAPES = np.array([PHYSICS[name].shape for name in LIFTS])


def lift_array(attr: str) -> np.ndarray:
    """One LiftPhysics attribute as an array indexed by lift code."""
    return np.array([getattr(PHYSICS[name], attr) for name in LIFTS], dtype=float)


def mean_velocity(pct_1rm: np.ndarray, lift: np.ndarray, speed: np.ndarray) -> np.ndarray:
    """Expected first-rep mean concentric velocity (m/s) at a load (%1RM as a fraction)."""
    mvt = lift_array("mvt")[lift]
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
