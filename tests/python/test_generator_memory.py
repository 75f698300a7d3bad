"""While generating, freed numpy temporaries are reused instead of faulted in again."""

from __future__ import annotations

import resource

import numpy as np
import pytest

from liftlab.generator.memory import reuse_freed_memory


def _page_faults(rounds: int) -> int:
    values = np.ones(500_000)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(rounds):
        doubled = values * 2.0
        total = doubled + values
        del doubled, total
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def test_temporaries_stop_faulting_inside_and_defaults_come_back() -> None:
    outside = _page_faults(20)
    with reuse_freed_memory() as applied:
        if not applied:
            pytest.skip("not glibc: the malloc tunables do not apply")
        _page_faults(1)  # the first round takes the heap its blocks will reuse
        inside = _page_faults(20)
    after = _page_faults(20)
    assert outside > 1000  # each 4 MB temporary was mmap'ed and faulted in again
    assert inside < outside / 20
    assert after > 1000
