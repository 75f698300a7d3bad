"""Output files: the JSON Lines export (gzip when named .gz), Parquet truth and manifest.

Gzip is written with ISA-L (``isal.igzip``, level 1): a standard gzip stream at about four
times zlib's speed and a better ratio than zlib's fastest level; compression would
otherwise cost about as much CPU as generating the data. Headers carry no name and mtime
0, so equal content gives equal bytes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.parquet as pq
from isal import igzip

GZIP_LEVEL = 1  # ISA-L levels run 0..3

TRUTH_SETS_SCHEMA = pa.schema(
    [
        ("line_number", pa.int64()),
        ("doc_id", pa.string()),
        ("set_id", pa.string()),
        ("user_id", pa.string()),
        ("workout_id", pa.string()),
        ("true_lift", pa.string()),
        ("typed_exercise", pa.string()),
        ("fault", pa.string()),
        ("fault_detail", pa.string()),
        ("n_reps", pa.int64()),
        ("rep_faults", pa.list_(pa.string())),
        ("is_warmup", pa.bool_()),
        ("pct_1rm", pa.float64()),
        ("true_weight_kg", pa.float64()),
        ("device_version", pa.int64()),
        ("workout_date", pa.date32()),
        ("true_one_rm_kg", pa.float64()),
        ("readiness_offset", pa.float64()),
    ]
)


# Columns with few distinct values; the random ids would only pay for a failed dictionary.
DICTIONARY_COLUMNS = [
    "user_id",
    "true_lift",
    "typed_exercise",
    "fault",
    "fault_detail",
    "rep_faults.list.element",
]


def output_stem(out: Path) -> Path:
    """The out path without its .jsonl / .jsonl.gz (or .json / .gz) suffixes."""
    name = out.name
    for suffix in (".jsonl.gz", ".jsonl", ".json.gz", ".json", ".gz"):
        if name.endswith(suffix):
            return out.with_name(name[: -len(suffix)])
    return out


def sidecar_paths(out: Path) -> dict[str, Path]:
    """Paths of the ground-truth and manifest files beside ``out``."""
    stem = output_stem(out)
    return {
        "truth_sets": stem.with_name(stem.name + ".truth_sets.parquet"),
        "truth_lifters": stem.with_name(stem.name + ".truth_lifters.parquet"),
        "truth_lifter_days": stem.with_name(stem.name + ".truth_lifter_days.parquet"),
        "manifest": stem.with_name(stem.name + ".manifest.json"),
    }


class ExportFile:
    """Binary line writer for the export; deterministic gzip when the name ends in .gz."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._raw: IO[bytes] = open(path, "wb")  # noqa: SIM115 - closed in close()
        self._gz: igzip.IGzipFile | None = None
        if path.name.endswith(".gz"):
            self._gz = igzip.IGzipFile(
                filename="", mode="wb", fileobj=self._raw, mtime=0, compresslevel=GZIP_LEVEL
            )

    def write(self, data: bytes) -> None:
        (self._gz or self._raw).write(data)

    def close(self) -> None:
        if self._gz is not None:
            self._gz.close()
        self._raw.close()


class TruthWriter:
    """Streams truth rows into a Parquet file, one row group per batch."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = pq.ParquetWriter(
            path, TRUTH_SETS_SCHEMA, compression="zstd", use_dictionary=DICTIONARY_COLUMNS
        )

    def write(self, columns: dict[str, list]) -> None:
        table = pa.table({k: columns[k] for k in TRUTH_SETS_SCHEMA.names}, TRUTH_SETS_SCHEMA)
        self._writer.write_table(table)

    def close(self) -> None:
        self._writer.close()


def write_lifters(path: Path, columns: dict[str, object]) -> None:
    """The per-lifter (or per lifter-day) ground truth."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path, compression="zstd")


def write_manifest(path: Path, manifest: dict) -> None:
    """Small JSON manifest with sorted keys."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
