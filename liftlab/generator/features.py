"""Rep features of an export, decoded per the format doc (for tests and calibration only).

The warehouse has its own parser; this one exists so that the generator's realism checks
(the study's KNN, the sample's medians) need nothing but the export itself.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Iterator
from pathlib import Path

from liftlab.generator.encode import BULK_START_INDEX, SETTINGS_FLAG_INDEX
from liftlab.generator.physics import LB_KG

VERSION_OF_FLAG = {-3456.0: 3, -2345.0: 2, -1234.0: 1}
FEATURES = ("mean_velocity", "rom_mm", "peak_velocity", "peak_location", "duration_s", "load_kg")


def read_documents(path: Path) -> Iterator[tuple[int, dict | None]]:
    """(1-based line number, parsed document or None when the line is not valid JSON)."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError:
                yield number, None


def load_kg(doc: dict) -> float | None:
    """The typed weight in kg, or None when missing or not a number."""
    try:
        value = float(doc.get("weight"))
    except (TypeError, ValueError):
        return None
    return value * LB_KG if doc.get("metric") == "lbs" else value


def rpe_value(doc: dict) -> float:
    """The RPE as a number in 1..10, else NaN (not entered, "0.0", or garbage)."""
    try:
        value = float(doc.get("rpe"))
    except (TypeError, ValueError):
        return math.nan
    return value if 1 <= value <= 10 else math.nan


def decode_rep(rep: dict) -> dict | None:
    """Features and bulk series of a usable, complete rep; None otherwise."""
    data = rep.get("data") or []
    try:
        values = [float(x) for x in data]
    except ValueError:
        return None
    version = VERSION_OF_FLAG.get(values[0]) if values else None
    if version is None or len(values) <= BULK_START_INDEX[version]:
        return None
    if values[SETTINGS_FLAG_INDEX[version]] != -9999.0 or not rep.get("isValid"):
        return None
    mv, rom, pv, loc = values[2:6]
    if rep.get("removed") or not all(math.isfinite(v) and 0 <= v < 10 for v in (mv, pv)):
        return None
    start = BULK_START_INDEX[version] + 1
    end = values.index(-6789.0) if -6789.0 in values else len(values)
    return {
        "version": version,
        "mean_velocity": mv,
        "rom_mm": rom,
        "peak_velocity": pv,
        "peak_location": loc,
        "duration_s": values[7] / 1e6 if version > 1 else math.nan,
        "bulk": values[start:end],
    }


def rep_rows(path: Path) -> Iterator[dict]:
    """One row per usable rep of every parseable, non-deleted document."""
    for number, doc in read_documents(path):
        if doc is None or doc.get("deleted") or doc.get("removed"):
            continue
        load = load_kg(doc)
        for i, rep in enumerate(doc.get("reps") or []):
            row = decode_rep(rep)
            if row is None:
                continue
            row.update(
                line_number=number,
                set_id=doc.get("setID"),
                user_id=doc.get("userID"),
                exercise=doc.get("exercise"),
                rep_index=i,
                load_kg=load if load is not None else math.nan,
                rpe=rpe_value(doc),
            )
            yield row
