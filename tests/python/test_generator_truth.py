"""The generator's time-varying truth (issue 14): 1RM trajectories, readiness offsets, and
the truth files that carry them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from liftlab.generator import trajectory as tr
from liftlab.generator.lifters import ARCHETYPE_NAMES, make_lifters
from liftlab.generator.physics import LIFTS
from liftlab.generator.reps import simulate_reps
from liftlab.generator.run import GenerateConfig, generate
from liftlab.generator.workouts import plan_sets
from liftlab.generator.writer import sidecar_paths

N_LIFTERS = 3000
GRID = 30  # evaluation points over each lifter's span


@pytest.fixture(scope="module")
def lifters():
    return make_lifters(np.random.default_rng(np.random.SeedSequence([42, 1])), N_LIFTERS)


def _grid(lifters, lift: int) -> tuple[np.ndarray, np.ndarray]:
    """(lifters, GRID) true 1RM relative to the start over each lifter's calendar span, and
    the days of the grid."""
    lifter = np.repeat(np.arange(lifters.size), GRID)
    step = np.tile(np.linspace(0.0, 1.0, GRID), lifters.size)
    offset = np.floor(step * (lifters.span_days[lifter] - 1))
    factor = tr.one_rm_factor(lifters.trajectory, lifter, np.full(lifter.size, lift), offset)
    return factor.reshape(lifters.size, GRID), offset.reshape(lifters.size, GRID)


def test_trajectories_are_bounded_and_rise_under_progression(lifters) -> None:
    squat, days = _grid(lifters, LIFTS.index("squat"))
    assert np.allclose(squat[:, 0], 1.0)  # the truth_lifters 1RM is the first day's
    assert squat.min() >= 1.0 - tr.DETRAIN_PER_DAY * 2 * (tr.GAP_DAYS[1] - 1) - 1e-9
    assert squat.max() <= 1.0 + tr.MAX_GAIN + 1e-9
    no_gap = lifters.trajectory.gap_days.sum(axis=1) == 0
    assert no_gap.mean() > 0.3 and (~no_gap).mean() > 0.2
    assert (np.diff(squat[no_gap], axis=1) >= -1e-12).all()  # monotone without breaks
    # a month of training never adds more than the declared initial rate
    months = np.diff(days[no_gap], axis=1) / 30.0
    assert (np.diff(squat[no_gap], axis=1) / months).max() <= tr.MAX_MONTHLY_GAIN + 1e-9
    total = pd.Series(squat[:, -1] / squat[:, 0]).groupby(lifters.archetype).median()
    novice, powerlifter = ARCHETYPE_NAMES.index("novice"), ARCHETYPE_NAMES.index("powerlifter")
    assert total[novice] > total[powerlifter] + 0.03


def test_a_break_lowers_the_1rm_a_little_and_it_comes_back(lifters) -> None:
    traj = lifters.trajectory
    one = np.flatnonzero((traj.gap_days[:, 0] >= 28) & (traj.gap_days[:, 1] == 0))[:200]
    start = traj.gap_at[one, 0]  # the first break's start (calendar = active before it)
    end = start + traj.gap_days[one, 0]
    lift = np.zeros(one.size, dtype=np.int64)
    before = tr.one_rm_factor(traj, one, lift, start - 1.0)
    after = tr.one_rm_factor(traj, one, lift, end.astype(float))
    later = tr.one_rm_factor(traj, one, lift, end + 3 * tr.RETRAIN_DAYS)
    drop = 1.0 - after / before
    assert (drop > 0.01).all() and (drop < 0.05).all()
    assert (later > after).all()


def test_workouts_avoid_breaks_and_deloads_are_lighter(lifters) -> None:
    plan = plan_sets(np.random.default_rng(3), lifters, 60_000)
    traj = lifters.trajectory
    offset = plan.day - lifters.start_day[plan.lifter]
    starts = traj.gap_at[plan.lifter] + np.cumsum(traj.gap_days[plan.lifter], axis=1)
    starts -= traj.gap_days[plan.lifter]
    inside = (offset[:, None] >= starts) & (offset[:, None] < starts + traj.gap_days[plan.lifter])
    assert not inside.any()
    assert (offset >= 0).all() and (offset < lifters.span_days[plan.lifter]).all()
    deload = tr.course(traj, plan.lifter, offset.astype(float)).deload
    work = ~plan.is_warmup
    assert 0.02 < deload.mean() < 0.2
    pct = pd.DataFrame(
        {"archetype": lifters.archetype[plan.lifter], "deload": deload, "pct": plan.pct}
    )[work]
    medians = pct.groupby(["archetype", "deload"])["pct"].median().unstack()
    assert (medians[True] / medians[False] < 0.9).all()


def test_readiness_offsets_are_distributed_as_declared(lifters) -> None:
    lifter = np.repeat(np.arange(lifters.size), 100)
    day = lifters.start_day[lifter] + np.tile(np.arange(100), lifters.size)
    offset = lifters.readiness(lifter, day)
    assert np.array_equal(offset, lifters.readiness(lifter, day))  # a function of the day
    # only bad days go below the clip of ordinary ones: the lower half of the bad range
    below_clip = (tr.BAD_DAY[0] + tr.READINESS_CLIP) / (tr.BAD_DAY[0] - tr.BAD_DAY[1])
    assert abs((offset < -tr.READINESS_CLIP).mean() - tr.BAD_DAY_RATE * below_clip) < 0.004
    ordinary = offset[offset > tr.BAD_DAY[1]]
    assert abs(np.median(ordinary)) < 0.002
    assert 0.029 < ordinary.std() < 0.038
    assert offset.min() >= tr.BAD_DAY[0] and offset.max() <= tr.READINESS_CLIP
    same_day = lifters.readiness(lifter[:1000], day[:1000] + 1)  # the next day differs
    assert np.corrcoef(offset[:1000], same_day)[0, 1] < 0.1


def test_the_bar_is_slower_at_the_same_load_on_a_bad_day(lifters) -> None:
    plan = plan_sets(np.random.default_rng(5), lifters, 3000)
    good, bad = plan.take(np.arange(plan.size)), plan.take(np.arange(plan.size))
    good.readiness = np.zeros(plan.size)
    bad.readiness = np.full(plan.size, -0.10)
    fast = simulate_reps(np.random.default_rng(9), lifters, good).mean_velocity
    slow = simulate_reps(np.random.default_rng(9), lifters, bad).mean_velocity
    assert (slow <= fast).all()
    assert np.median(slow / fast) < 0.95


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gen_truth") / "t.jsonl.gz"
    generate(GenerateConfig(sets=2500, lifters=30, seed=14, out=out, batch_lines=700))
    return out


def test_truth_lifter_days_agree_with_truth_sets(export: Path) -> None:
    paths = sidecar_paths(export)
    sets = pd.read_parquet(paths["truth_sets"])
    days = pd.read_parquet(paths["truth_lifter_days"])
    keys = ["user_id", "workout_date", "lift"]
    assert not days.duplicated(keys).any()
    assert (days.groupby(["user_id", "workout_date"]).size() == len(LIFTS)).all()
    assert (days.groupby(["user_id", "workout_date"])["readiness_offset"].nunique() == 1).all()
    base = sets[sets["fault"].ne("revision")].rename(columns={"true_lift": "lift"})
    joined = base.merge(days, on=keys, how="left", suffixes=("", "_day"), validate="m:1")
    assert joined["true_one_rm_kg_day"].notna().all()
    assert (joined["true_one_rm_kg"] == joined["true_one_rm_kg_day"]).all()
    assert (joined["readiness_offset"] == joined["readiness_offset_day"]).all()
    counted = base.groupby(keys).size()
    trained = days.set_index(keys)["n_sets"]
    assert trained[trained > 0].sort_index().equals(counted.sort_index().rename("n_sets"))
    assert set(days["user_id"]) <= set(pd.read_parquet(paths["truth_lifters"])["user_id"])


def test_truth_sets_loads_follow_the_days_true_1rm(export: Path) -> None:
    sets = pd.read_parquet(sidecar_paths(export)["truth_sets"])
    heavy = sets[sets["pct_1rm"] > 0.6]
    ratio = heavy["true_weight_kg"] / (heavy["pct_1rm"] * heavy["true_one_rm_kg"])
    assert abs(ratio.median() - 1.0) < 0.01  # plates and variants (a lighter 1RM) aside
    assert ratio.between(0.75, 1.1).all()


def test_lifters_have_their_own_mvt(lifters, export: Path) -> None:
    from liftlab.generator.physics import lift_array, mean_velocity

    population = lift_array("mvt")
    ratio = pd.DataFrame(lifters.mvt_m_s / population).groupby(lifters.archetype).median()
    powerlifter, novice = ARCHETYPE_NAMES.index("powerlifter"), ARCHETYPE_NAMES.index("novice")
    assert (ratio.loc[powerlifter] < ratio.loc[novice]).all()
    assert 0.9 < np.median(lifters.mvt_m_s / population) < 1.05
    lift = np.arange(len(LIFTS))
    at_1rm = mean_velocity(np.ones(lift.size), lift, np.ones(lift.size), lifters.mvt_m_s[0])
    assert np.allclose(at_1rm, lifters.mvt_m_s[0])
    table = pd.read_parquet(sidecar_paths(export)["truth_lifters"])
    assert {f"mvt_{lift}_m_s" for lift in LIFTS} <= set(table)
