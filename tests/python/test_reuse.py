"""The labelled-set sketch that decides whether a cross-validation is kept (liftlab.ml.reuse)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from liftlab.ml.reuse import (
    SKETCH_SIZE,
    changed_share,
    kept_evaluation,
    labelled_sketch,
    parse_sketch,
    sketch_text,
)


def _sets(ids, lift: str = "squat") -> pd.DataFrame:
    ids = [f"set-{i}" for i in ids]
    # two reps per set: the sketch counts sets, not reps
    return pd.DataFrame({"set_id": ids * 2, "typed_lift": [lift] * (2 * len(ids))})


def test_the_share_is_exact_below_the_sketch_size():
    before = labelled_sketch(_sets(range(100)))
    assert before.size == 100
    assert changed_share(before, before) == 0.0
    # 100 sets, 10 removed and 10 added: 20 of the 110 in either are not in both
    after = labelled_sketch(_sets(range(10, 110)))
    assert changed_share(before, after) == pytest.approx(20 / 110)
    # a set labelled another lift is another set
    relabelled = labelled_sketch(pd.concat([_sets(range(1, 100)), _sets([0], "deadlift")]))
    assert changed_share(before, relabelled) == pytest.approx(2 / 101)


@pytest.mark.parametrize("added", [0.01, 0.05, 0.3])
def test_the_share_is_estimated_at_scale(added):
    n = 100_000
    before = labelled_sketch(_sets(range(n)))
    after = labelled_sketch(_sets(range(int(n * (1 + added)))))
    assert before.size == after.size == SKETCH_SIZE
    expected = 1 - 1 / (1 + added)  # the new sets' share of the union
    assert changed_share(before, after) == pytest.approx(expected, abs=0.03)
    # a file replaced by another of the same size: the count alone would not see it
    replaced = labelled_sketch(_sets(range(int(n * 0.3), int(n * 1.3))))
    assert changed_share(before, replaced) == pytest.approx(0.6 / 1.3, abs=0.04)


def test_the_sketch_survives_its_text_column():
    sketch = labelled_sketch(_sets(range(3000)))
    assert np.array_equal(parse_sketch(sketch_text(sketch)), sketch)
    assert len(sketch_text(sketch).split()) == SKETCH_SIZE


def test_kept_only_with_the_same_settings_and_few_changes():
    sketch = labelled_sketch(_sets(range(1000)))
    previous = pd.DataFrame(
        {
            "settings_digest": ["abc", "abc"],
            "labelled_sets_sketch": [sketch_text(sketch)] * 2,
            "model_version": ["m-1", "m-1"],
        }
    )
    grown = labelled_sketch(_sets(range(1020)))
    assert kept_evaluation(previous, "abc", grown, 0.1) == pytest.approx(20 / 1020)
    assert kept_evaluation(previous, "abc", grown, 0.0) is None  # 0: never kept
    assert kept_evaluation(previous, "other", grown, 0.1) is None  # settings or code changed
    assert kept_evaluation(previous, "abc", labelled_sketch(_sets(range(1500))), 0.1) is None
    assert kept_evaluation(previous.assign(model_version=None), "abc", grown, 0.1) is None
    assert kept_evaluation(previous.drop(columns="settings_digest"), "abc", grown, 0.1) is None
    assert kept_evaluation(None, "abc", grown, 0.1) is None
