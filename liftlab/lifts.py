"""The canonical lifts, read from the one list of them: the dbt seed ``seeds/lifts.csv``.

SQL reads the seed as ``ref('lifts')``; the Python that needs the names (the classifier's
scopes and metric columns, the clustering's allowed lifts, the generator) reads them here,
in the seed's order, rather than keeping copies.
"""

from __future__ import annotations

import csv
from pathlib import Path

SEED = Path(__file__).resolve().parents[1] / "seeds" / "lifts.csv"


def read_lifts(path: Path = SEED) -> list[dict[str, str]]:
    """The seed's rows, in its order."""
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


_ROWS = read_lifts()
LIFTS: tuple[str, ...] = tuple(row["lift"] for row in _ROWS)
STUDY_LIFTS: tuple[str, ...] = tuple(row["lift"] for row in _ROWS if row["is_study_lift"] == "true")
