"""Each lifter's true 1RM over time and their readiness on each day (generator 2.2, issue 14).

A lifter's true 1RM of each lift follows a trajectory over their training span, evaluated in
closed form for any (lifter, lift, day) so that independent batches agree:

* **Progression** saturates: ``1RM = base * (1 + gain * (1 - exp(-t / tau)))`` in training
  days ``t``. Untrained lifters gain faster and further than trained ones (Rhea et al. 2003,
  Med Sci Sports Exerc 35:456; ACSM progression models, Med Sci Sports Exerc 2009 41:687):
  novices up to about 25 % (about 3-4 % a month at first), powerlifters about 6 % (well
  under 1 % a month). No lifter starts faster than :data:`MAX_MONTHLY_GAIN` or gains more
  than :data:`MAX_GAIN`.
* **Deloads**: lifters who periodise take a lighter week (working loads x
  :data:`DELOAD_LOAD`, no heavy day) every 5-9 weeks of training; the 1RM does not progress
  during it.
* **Detraining gaps**: up to :data:`MAX_GAPS` breaks of 2-8 weeks without workouts. Strength
  is lost slowly in the first weeks of training cessation (Mujika & Padilla 2000, Sports Med
  30:79; Bosquet et al. 2013, Scand J Med Sci Sports 23:e140): :data:`DETRAIN_PER_DAY` of the
  1RM per day of the break (1 % after two weeks, 4 % after eight), regained with a time
  constant of :data:`RETRAIN_DAYS` after training resumes; progression pauses during the
  break. Workouts are never placed inside a gap.

Readiness: each lifter-day has an offset (a fraction): N(0, sd) with a lifter-level sd in
:data:`READINESS_SD` (clipped to +/- :data:`READINESS_CLIP`), and with probability
:data:`BAD_DAY_RATE` a bad day drawn uniformly from :data:`BAD_DAY` (the figures issue 14
declares). That day the lifter's effective 1RM is ``true_1rm * (1 + offset)``: the coach
plans loads from the true 1RM, the bar moves at the load's share of the effective 1RM. The
offset is a hash of (lifter key, day), not a draw from a batch's generator, so every batch
and the truth files agree on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_GAPS = 2
# per archetype (powerlifter, explosive_athlete, novice, bodybuilder)
GAIN = np.array([0.06, 0.08, 0.25, 0.08])  # saturating total gain (median lifter)
GAIN_SD = 0.4  # lifter-level log-sd of the gain
GAIN_LIFT_SD = 0.25  # per lift, beyond the lifter's
TAU_DAYS = np.array([300.0, 240.0, 200.0, 240.0])  # training days to 63 % of the gain
MAX_MONTHLY_GAIN = 0.04  # cap of the initial rate, gain / tau * 30
MAX_GAIN = 0.35  # cap of the total gain
DELOAD_SHARE = np.array([0.7, 0.4, 0.1, 0.4])  # lifters who take deload weeks
DELOAD_EVERY = (35, 64)  # training days between deloads (inclusive, exclusive)
DELOAD_DAYS = 7
DELOAD_LOAD = 0.85  # working loads of a deload week, relative to the plan
GAPS_PER_DAY = 1 / 300  # expected breaks per day of span
GAP_DAYS = (14, 57)  # length of a break (inclusive, exclusive)
MIN_ACTIVE_DAYS = 45  # a lifter keeps at least this many days of training besides breaks
DETRAIN_PER_DAY = 0.0007
RETRAIN_DAYS = 28.0
READINESS_SD = (0.03, 0.04)
READINESS_CLIP = 0.10
BAD_DAY_RATE = 0.05
BAD_DAY = (-0.12, -0.08)


@dataclass
class Trajectories:
    """Struct of arrays, one row per lifter (see the module docstring)."""

    key: np.ndarray  # uint64 hash key of the lifter's readiness
    readiness_sd: np.ndarray
    gain: np.ndarray  # (n, 6)
    tau: np.ndarray  # training days
    deload_every: np.ndarray  # training + deload days per cycle; 0: no deloads
    gap_at: np.ndarray  # (n, MAX_GAPS) active days before each break, ascending
    gap_days: np.ndarray  # (n, MAX_GAPS) int, 0: no break

    @classmethod
    def flat(cls, n: int, lifts: int) -> Trajectories:
        """No progression, deloads, breaks or readiness: a fixed 1RM (generator 2.1)."""
        return cls(
            key=np.zeros(n, dtype=np.uint64),
            readiness_sd=np.zeros(n),
            gain=np.zeros((n, lifts)),
            tau=np.ones(n),
            deload_every=np.zeros(n, dtype=np.int64),
            gap_at=np.zeros((n, MAX_GAPS), dtype=np.int64),
            gap_days=np.zeros((n, MAX_GAPS), dtype=np.int64),
        )


def draw_trajectories(
    rng: np.random.Generator, archetype: np.ndarray, span_days: np.ndarray, lifts: int
) -> Trajectories:
    """Per lifter: progression per lift, deload cycle, breaks and readiness spread."""
    n = archetype.size
    tau = TAU_DAYS[archetype] * np.exp(rng.normal(0, 0.2, n))
    gain = GAIN[archetype][:, None] * np.exp(
        rng.normal(0, GAIN_SD, (n, 1)) + rng.normal(0, GAIN_LIFT_SD, (n, lifts))
    )
    gain = np.minimum(gain, np.minimum(MAX_MONTHLY_GAIN * tau / 30.0, MAX_GAIN)[:, None])
    periodises = rng.random(n) < DELOAD_SHARE[archetype]
    every = rng.integers(*DELOAD_EVERY, n) + DELOAD_DAYS
    n_gaps = np.minimum(rng.poisson(span_days * GAPS_PER_DAY), MAX_GAPS)
    gap_days = rng.integers(*GAP_DAYS, (n, MAX_GAPS))
    gap_days = np.where(np.arange(MAX_GAPS)[None, :] < n_gaps[:, None], gap_days, 0)
    fits = span_days - gap_days.sum(axis=1) >= MIN_ACTIVE_DAYS
    gap_days = np.where(fits[:, None], gap_days, 0)
    active = span_days - gap_days.sum(axis=1)
    gap_at = np.sort(np.floor(active[:, None] * rng.uniform(0.2, 0.8, (n, MAX_GAPS))), axis=1)
    return Trajectories(
        key=rng.integers(0, 2**63, n, dtype=np.int64).astype(np.uint64),
        readiness_sd=rng.uniform(*READINESS_SD, n),
        gain=gain,
        tau=tau,
        deload_every=np.where(periodises, every, 0),
        gap_at=gap_at.astype(np.int64),
        gap_days=gap_days.astype(np.int64),
    )


def place_days(traj: Trajectories, lifter: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Calendar offsets (days since the lifter's start) of workouts ``active`` days into the
    lifter's training (breaks skipped): a workout never falls inside a break."""
    skipped = traj.gap_days[lifter] * (active[:, None] >= traj.gap_at[lifter])
    return active + skipped.sum(axis=1)


def _gap_starts(traj: Trajectories, lifter: np.ndarray) -> np.ndarray:
    """Calendar offsets of each break's first day."""
    days = traj.gap_days[lifter]
    return traj.gap_at[lifter] + np.cumsum(days, axis=1) - days


@dataclass
class Course:
    """Where each (lifter, calendar offset) stands: days of breaks elapsed, training days,
    whether it is in a deload week, and the detraining loss still carried."""

    training_days: np.ndarray
    deload: np.ndarray
    detraining: np.ndarray  # fraction of the 1RM lost to breaks, not yet regained


def course(traj: Trajectories, lifter: np.ndarray, offset: np.ndarray) -> Course:
    """The course of training of lifters ``lifter`` at calendar ``offset`` days since their
    start (arrays of one length)."""
    t = offset.astype(float)
    starts = _gap_starts(traj, lifter)
    length = traj.gap_days[lifter]
    elapsed = np.clip(t[:, None] - starts, 0, length)
    active = t - elapsed.sum(axis=1)
    since = np.maximum(t[:, None] - starts - length, 0)
    lost = DETRAIN_PER_DAY * elapsed * np.exp(-since / RETRAIN_DAYS)
    every = traj.deload_every[lifter]
    cycle = np.maximum(every, 1)
    within = np.mod(active, cycle)
    deload = (every > 0) & (within >= cycle - DELOAD_DAYS)
    deload_days = np.where(
        every > 0,
        np.floor(active / cycle) * DELOAD_DAYS + np.clip(within - (cycle - DELOAD_DAYS), 0, None),
        0.0,
    )
    return Course(
        training_days=np.maximum(active - deload_days, 0.0),
        deload=deload,
        detraining=1.0 - np.prod(1.0 - lost, axis=1),
    )


def one_rm_factor(
    traj: Trajectories, lifter: np.ndarray, lift: np.ndarray, offset: np.ndarray
) -> np.ndarray:
    """True 1RM relative to the lifter's starting 1RM of ``lift``, at calendar ``offset``."""
    where = course(traj, lifter, offset)
    progress = 1.0 - np.exp(-where.training_days / traj.tau[lifter])
    return (1.0 + traj.gain[lifter, lift] * progress) * (1.0 - where.detraining)


STREAM = 0x632BE59BD9B4E019  # odd constant separating a key's streams


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser (uint64 arrays wrap on overflow)."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _uniforms(key: np.ndarray, day: np.ndarray, k: int) -> list[np.ndarray]:
    """``k`` independent uniforms in [0, 1) per (key, day), from a hash."""
    base = key ^ _mix(day.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(1))
    out = []
    for stream in range(k):
        bits = _mix(base + np.uint64((STREAM * (stream + 1)) % 2**64))
        out.append((bits >> np.uint64(11)).astype(np.float64) * 2.0**-53)
    return out


def readiness_offset(traj: Trajectories, lifter: np.ndarray, day: np.ndarray) -> np.ndarray:
    """The day's readiness offset of each lifter (``day``: integer days since the epoch)."""
    u_radius, u_angle, u_bad, u_depth = _uniforms(traj.key[lifter], day, 4)
    normal = np.sqrt(-2.0 * np.log1p(-u_radius)) * np.cos(2.0 * np.pi * u_angle)
    offset = np.clip(normal * traj.readiness_sd[lifter], -READINESS_CLIP, READINESS_CLIP)
    bad = BAD_DAY[0] + (BAD_DAY[1] - BAD_DAY[0]) * u_depth
    live = traj.readiness_sd[lifter] > 0
    return np.where(live & (u_bad < BAD_DAY_RATE), bad, offset)
