"""The canonical lifts, read from the one list of them: the dbt seed ``seeds/lifts.csv``.

SQL reads the seed as ``ref('lifts')``; the Python that needs the names (the classifier's
scopes and metric columns, the clustering's allowed lifts, the generator) reads them here,
in the seed's order, rather than keeping copies.
"""

from __future__ import annotations

import csv
from pathlib import Path

SEED = Path(__file__).resolve().parents[1] / "seeds" / "lifts.csv"


def _read_seed(path: Path = SEED) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def lift_names(*, study_only: bool = False, path: Path = SEED) -> tuple[str, ...]:
    """The seed's lifts in its order; ``study_only``: those with ``is_study_lift``."""
    rows = _read_seed(path)
    return tuple(r["lift"] for r in rows if not study_only or r["is_study_lift"] == "true")


LIFTS: tuple[str, ...] = lift_names()
STUDY_LIFTS: tuple[str, ...] = lift_names(study_only=True)
