"""Repeatability and privacy of the warehouse spine, on small generated exports:

* building twice over the same input gives identical marts (checksums per mart, rows
  ordered by key);
* adding a second export and building again with `--append` adds its sets without
  duplicating the first file's (the unchanged first file is not landed again);
* no mart, no file of the built report site (reports/build, when present) and no page of
  the quality data docs holds a raw user id from the input or a MAC address.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import re
from pathlib import Path

import pytest
from _spine import SPINE_MARTS, build_spine
from conftest import REPO, query, scalar

from liftlab.privacy import MAC_ADDRESS_PATTERN

MART_KEYS = {
    "fct_sets": "set_id",
    "fct_reps": "rep_id",
    "fct_workouts": "workout_id",
    "dim_lifters": "lifter_id",
    "rejected_records": "rejected_record_id",
    "fct_record_counts": "level",
    "fct_rep_plausibility": "source_file_key",
}
MAC = re.compile(rf"(?<![0-9A-Fa-f]){MAC_ADDRESS_PATTERN}(?![0-9A-Fa-f])")
REPORT_SITE = REPO / "reports" / "build"


def generate(path: Path, seed: int) -> Path:
    from liftlab.cli import main

    arguments = ["--out", str(path), "--sets", "400", "--lifters", "12", "--seed", str(seed)]
    code = main(["generate", *arguments, "--quiet"])
    assert code == 0
    return path


def raw_identifiers(path: Path) -> tuple[set[str], set[str]]:
    """User ids and device MACs as they appear in an export (JSON Lines, gzip)."""
    users, macs = set(), set()
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            try:
                document = json.loads(line)
            except ValueError:
                continue
            if not isinstance(document, dict):
                continue
            if isinstance(document.get("userID"), str) and document["userID"].strip():
                users.add(document["userID"].strip())
            for rep in document.get("reps") or []:
                if isinstance(rep, dict) and isinstance(rep.get("deviceIdentifier"), str):
                    macs.add(rep["deviceIdentifier"])
    return users, macs


def _normal(value):
    """A value in a stable text form (floats to 12 significant digits, so that a parallel
    aggregate's last-bit noise is not mistaken for a change)."""
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.12g}"
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    return value if value is None or isinstance(value, int | str | bool) else str(value)


# Columns the classifier derives: retrained on more data after an append, it may resolve
# an old set's lift differently, which is intended; every other column must not change.
# the columns the classifier decides (lift_variant is the typed variant only where the
# typed lift stands)
MODEL_DERIVED = {"fct_sets": ["lift", "lift_source", "lift_variant"], "fct_reps": ["lift"]}


def mart_checksums(
    warehouse: Path,
    where: dict[str, str] | None = None,
    exclude: dict[str, list[str]] | None = None,
) -> dict[str, str]:
    sums = {}
    for mart, key in MART_KEYS.items():
        condition = f" where {where[mart]}" if where and mart in where else ""
        dropped = (exclude or {}).get(mart)
        columns = f"* exclude ({', '.join(dropped)})" if dropped else "*"
        rows = query(warehouse, f"select {columns} from {mart}{condition} order by {key}")
        # ties on the key (there should be none) are ordered by the whole row
        texts = sorted(json.dumps(_normal(list(row)), ensure_ascii=False) for row in rows)
        digest = hashlib.sha256()
        for text in texts:
            digest.update(text.encode() + b"\n")
        sums[mart] = f"{len(rows)}:{digest.hexdigest()}"
    return sums


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Build export A, build it again, then add export B with --append."""
    folder = tmp_path_factory.mktemp("repeat")
    first_dir = folder / "exports"
    first_dir.mkdir()
    first = generate(first_dir / "export_a.jsonl.gz", seed=11)
    second = generate(folder / "export_b.jsonl.gz", seed=22)
    warehouse = folder / "w.duckdb"
    docs = folder / "docs"

    build_spine(first_dir, warehouse, docs_dir=docs)
    once = mart_checksums(warehouse)
    once_without_model = mart_checksums(warehouse, exclude=MODEL_DERIVED)
    sets_once = {r[0] for r in query(warehouse, "select set_id from fct_sets")}
    documents_once = scalar(warehouse, "select count(*) from raw.set_documents")

    build_spine(first_dir, warehouse, docs_dir=docs)
    twice = mart_checksums(warehouse)

    # the second export beside the first: the first is unchanged, so not landed again
    second.rename(first_dir / second.name)
    build_spine(first_dir, warehouse, append=True, docs_dir=docs)
    return {
        "warehouse": warehouse,
        "docs": docs,
        "first": first,
        "second": first_dir / second.name,
        "once": once,
        "once_without_model": once_without_model,
        "twice": twice,
        "sets_once": sets_once,
        "documents_once": documents_once,
    }


def test_building_twice_gives_identical_marts(runs):
    assert set(runs["once"]) == set(SPINE_MARTS)
    assert runs["once"] == runs["twice"]
    assert all(not v.startswith("0:") for k, v in runs["once"].items() if k != "rejected_records")


def test_append_adds_the_second_export_without_duplicates(runs):
    warehouse = runs["warehouse"]
    landed = query(
        warehouse, "select source_file_name, count(*) from raw.landed_files group by 1 order by 1"
    )
    assert landed == [("export_a.jsonl.gz", 1), ("export_b.jsonl.gz", 1)]
    assert scalar(warehouse, "select count(*) - count(distinct set_id) from fct_sets") == 0
    sets = {r[0] for r in query(warehouse, "select set_id from fct_sets")}
    from_second = {
        r[0]
        for r in query(
            warehouse, "select set_id from fct_sets where source_file like '%export_b.jsonl.gz'"
        )
    }
    assert from_second and runs["sets_once"] <= sets
    assert sets == runs["sets_once"] | from_second
    documents = dict(
        query(warehouse, "select source_file_name, count(*) from raw.set_documents group by 1")
    )
    assert documents["export_a.jsonl.gz"] == runs["documents_once"]
    read, accounted = query(
        warehouse,
        "select records_read, records_accounted from fct_record_counts where level = 'document'",
    )[0]
    assert read == accounted == sum(documents.values())


def test_first_exports_rows_are_unchanged_by_the_append(runs):
    """Every mart row that came from export A alone is the same after the append."""
    warehouse = runs["warehouse"]
    first_only = {
        "fct_sets": "source_file like '%export_a.jsonl.gz'",
        "fct_reps": "set_id in (select set_id from fct_sets"
        " where source_file like '%export_a.jsonl.gz')",
    }
    after = mart_checksums(warehouse, first_only, exclude=MODEL_DERIVED)
    for mart in first_only:
        assert after[mart] == runs["once_without_model"][mart], mart


def _forbidden_pattern(users: set[str]) -> re.Pattern:
    return re.compile("|".join(re.escape(u) for u in sorted(users, key=len, reverse=True)))


def scan_text(text: str, users: re.Pattern) -> list[str]:
    hits = [m.group(0) for m in users.finditer(text)]
    hits += [m.group(0) for m in MAC.finditer(text)]
    return hits


def test_no_mart_holds_a_raw_user_id_or_a_mac(runs):
    users, macs = set(), set()
    for path in (runs["first"], runs["second"]):
        u, m = raw_identifiers(path)
        users |= u
        macs |= m
    assert users and macs  # the scan looks for something that is in the input
    forbidden = _forbidden_pattern(users)
    warehouse = runs["warehouse"]
    # every mart and table built for readers; staging and intermediate keep the raw reps
    # JSON (device MACs included) to decode it, and nothing downstream reads it
    tables = [
        r[0]
        for r in query(
            warehouse,
            "select table_name from information_schema.tables where table_schema = 'main'",
        )
        if not r[0].startswith(("stg_", "int_"))
    ]
    assert set(SPINE_MARTS) | {"dq_expectation_results"} <= set(tables)
    hits = {}
    for table in tables:
        for row in query(warehouse, f"select * from {table}"):
            text = "\x1f".join("" if v is None else str(v) for v in row)
            found = scan_text(text, forbidden)
            if found:
                hits.setdefault(table, set()).update(found)
    assert hits == {}


def test_mac_pattern_is_the_sql_macros():
    """liftlab.privacy.MAC_ADDRESS_PATTERN and the mac_address_pattern() macro agree."""
    macro = (REPO / "macros" / "mac_address_pattern.sql").read_text()
    body = macro.split("macro mac_address_pattern() -%}")[1].split("{%- endmacro")[0]
    assert body.strip() == f"'{MAC_ADDRESS_PATTERN}'"


def test_scanner_finds_what_it_looks_for():
    forbidden = _forbidden_pattern({"tnRC0d2s7qsNnGpXn8g3GRYOOEh0"})
    assert scan_text("x tnRC0d2s7qsNnGpXn8g3GRYOOEh0 y", forbidden)
    assert scan_text("device D1:4A:0B:87:99:CB", forbidden) == ["D1:4A:0B:87:99:CB"]
    assert scan_text("aa-bb-cc-dd-ee-ff", forbidden)
    assert not scan_text("lifter 0123456789abcdef, 2019-03-01T10:00:00", forbidden)


def test_report_site_and_quality_docs_hold_no_raw_ids(runs):
    users = set()
    for path in (runs["first"], runs["second"]):
        users |= raw_identifiers(path)[0]
    forbidden = _forbidden_pattern(users)
    files = [p for p in runs["docs"].rglob("*") if p.is_file()]
    assert files, "the quality checkpoint wrote no data docs"
    if REPORT_SITE.exists():
        files += [p for p in REPORT_SITE.rglob("*") if p.is_file()]
    hits = {}
    for path in files:
        if path.suffix in {".png", ".jpg", ".ico", ".woff", ".woff2", ".ttf", ".wasm"}:
            continue
        text = path.read_bytes().decode("utf-8", errors="ignore")
        found = scan_text(text, forbidden)
        if found:
            hits[str(path)] = sorted(set(found))[:5]
    assert hits == {}
