"""The generator's output: format per the doc, determinism, gzip, counts, ground truth."""

from __future__ import annotations

import gzip
import json
import math
import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pyarrow.parquet as pq
import pytest

from liftlab.cli import main as cli_main
from liftlab.generator.encode import BULK_START_INDEX, SETTINGS_FLAG_INDEX, bulk_texts
from liftlab.generator.faults import (
    ALIASES,
    CLEAN_LABEL,
    PROFILES,
    REP_FAULTS,
    SET_FAULTS,
    UNKNOWN_NAMES,
    one_edit_typos,
    typo_table,
)
from liftlab.generator.lifters import LONG_DURATION
from liftlab.generator.physics import VARIANTS
from liftlab.generator.run import GenerateConfig, generate
from liftlab.generator.writer import output_stem, sidecar_paths

FLAGS = {3: "-3456.0", 2: "-2345.0", 1: "-1234.0"}
HEX24 = re.compile(r"^[0-9a-f]{24}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
MAC = re.compile(r"^([0-9A-F]{2}:){5}[0-9A-F]{2}$")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

VARIANT_LABELS = {lift: tuple(v.label for v in VARIANTS if v.lift == lift) for lift in CLEAN_LABEL}


def _gen(folder: Path, name: str, **kw) -> Path:
    out = folder / name
    generate(GenerateConfig(out=out, batch_lines=kw.pop("batch_lines", 250), **kw))
    return out


@pytest.fixture(scope="module")
def heavy(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("gen_heavy")
    return _gen(folder, "heavy.jsonl", sets=900, lifters=40, seed=11, faults="heavy")


@pytest.fixture(scope="module")
def heavy_lines(heavy: Path) -> list[str]:
    return heavy.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def heavy_truth(heavy: Path) -> pd.DataFrame:
    return pd.read_parquet(sidecar_paths(heavy)["truth_sets"])


@pytest.fixture(scope="module")
def heavy_rows(heavy: Path) -> list[SimpleNamespace]:
    """Truth rows with nulls as None (pandas would turn them into NaN)."""
    table = pq.read_table(sidecar_paths(heavy)["truth_sets"])
    return [SimpleNamespace(**row) for row in table.to_pylist()]


def _parse(line: str) -> dict | None:
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return None


def test_same_seed_same_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    a = _gen(tmp_path / "a", "x.jsonl.gz", sets=300, lifters=20, seed=5)
    b = _gen(tmp_path / "b", "x.jsonl.gz", sets=300, lifters=20, seed=5)
    c = _gen(tmp_path / "c", "x.jsonl.gz", sets=300, lifters=20, seed=6)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    for key in ("truth_sets", "truth_lifters", "truth_lifter_days", "manifest"):
        assert sidecar_paths(a)[key].read_bytes() == sidecar_paths(b)[key].read_bytes()


def test_batch_size_does_not_change_the_lifters(tmp_path: Path) -> None:
    a = _gen(tmp_path / "a", "x.jsonl", sets=100, lifters=15, seed=3, batch_lines=50)
    b = _gen(tmp_path / "b", "x.jsonl", sets=100, lifters=15, seed=3, batch_lines=100)
    la = pd.read_parquet(sidecar_paths(a)["truth_lifters"])
    lb = pd.read_parquet(sidecar_paths(b)["truth_lifters"])
    pd.testing.assert_frame_equal(la, lb)


def test_gzip_output_is_deterministic_gzip(tmp_path: Path) -> None:
    out = _gen(tmp_path, "g.jsonl.gz", sets=120, lifters=10, seed=1)
    raw = out.read_bytes()
    assert raw[:2] == b"\x1f\x8b"
    assert raw[4:8] == b"\0\0\0\0"  # mtime 0
    with gzip.open(out, "rt", encoding="utf-8") as handle:
        assert sum(1 for _ in handle) == 120
    assert output_stem(out).name == "g"
    assert sidecar_paths(out)["truth_sets"].name == "g.truth_sets.parquet"


def test_cli_writes_all_files(tmp_path: Path, capsys) -> None:
    out = tmp_path / "cli.jsonl.gz"
    code = cli_main(
        ["generate", "--sets", "50", "--lifters", "5", "--seed", "2", "--out", str(out), "--quiet"]
    )
    assert code == 0
    assert "50 set documents" in capsys.readouterr().out
    for path in sidecar_paths(out).values():
        assert path.exists()


def test_every_line_has_a_truth_row(heavy_lines, heavy_rows) -> None:
    assert len(heavy_lines) == 900
    assert [row.line_number for row in heavy_rows] == list(range(1, 901))
    for line, row in zip(heavy_lines, heavy_rows, strict=True):
        doc = _parse(line)
        if row.fault == "malformed_json":
            assert doc is None
            continue
        assert doc is not None, row
        assert doc["setID"] == row.set_id
        assert doc["userID"] == row.user_id
        assert doc["_id"] == row.doc_id
        assert len(doc["reps"]) == row.n_reps == len(row.rep_faults)
        assert doc["exercise"] == row.typed_exercise


def test_set_document_fields(heavy_lines) -> None:
    for line in heavy_lines:
        doc = _parse(line)
        if doc is None:
            continue
        assert HEX24.match(doc["_id"]) and UUID.match(doc["setID"])
        assert UUID.match(doc["workoutID"]) and doc["userID"]
        assert doc["metric"] in ("kgs", "lbs")
        assert ISO.match(doc["initialStartTime"])
        assert ("removed" in doc) != ("tags" in doc)  # old docs: removed; new: tags
        assert doc["weight"] is None or isinstance(doc["weight"], (str, float))
        for rep in doc["reps"]:
            assert MAC.match(rep["deviceIdentifier"])
            assert ISO.match(rep["time"])
            assert all(isinstance(x, str) for x in rep["data"])


def test_array_layout_per_version(heavy_lines) -> None:
    seen = set()
    for line in heavy_lines:
        doc = _parse(line)
        for rep in doc["reps"] if doc else []:
            data = rep["data"]
            version = {v: k for k, v in FLAGS.items()}[data[0]]
            flag_at = SETTINGS_FLAG_INDEX[version]
            if len(data) <= flag_at:  # truncated_array
                continue
            seen.add(version)
            assert data[flag_at] == "-9999.0"
            assert data[BULK_START_INDEX[version]] == "-9876.0"
            assert data[-2] == "-6789.0"
            assert 0 < float(data[-1]) <= 100
            bulk = [float(x) for x in data[BULK_START_INDEX[version] + 1 : -2]]
            assert len(bulk) >= 4 and min(bulk) > 0
            if version == 2:
                assert data[6] == "-2121.0"
            if version == 3:
                assert re.match(r"^\d\.\d+E\d$", data[9])
    assert seen == {1, 2, 3}


def test_bulk_series_matches_rom_mean_and_peak(heavy_lines) -> None:
    checked = 0
    for line in heavy_lines:
        doc = _parse(line)
        for rep in doc["reps"] if doc else []:
            data = rep["data"]
            version = {v: k for k, v in FLAGS.items()}[data[0]]
            if len(data) <= SETTINGS_FLAG_INDEX[version] or data[2] != data[2].strip():
                continue
            mv, rom, pv = float(data[2]), float(data[3]), float(data[4])
            if not (math.isfinite(mv) and mv < 10):
                continue
            bulk = [float(x) for x in data[BULK_START_INDEX[version] + 1 : -2]]
            assert 300.0 / (sum(bulk) / len(bulk)) == pytest.approx(mv, rel=0.1)
            assert 300.0 / min(bulk) == pytest.approx(pv, rel=0.15)
            assert rom / len(bulk) == pytest.approx(30, rel=0.25)
            if version > 1:  # some devices report durations longer than ROM / mean velocity
                ratio = float(data[7]) / 1e6 / (rom / mv / 1000)
                assert 0.9 <= ratio <= LONG_DURATION[1] * 1.1
            checked += 1
    assert checked > 1000


def test_bulk_text_format() -> None:
    import numpy as np

    values = np.array([1094.2, 5.0, 99999.0, 0.2, 250_000.0, 7.0])
    reps = bulk_texts(np.random.default_rng(0), values, np.array([0, 3, 4, 6]))
    assert len(reps) == 3
    items = [item for rep in reps for item in rep.decode("ascii").split(",")]
    assert [i.split(".")[0] for i in items] == ['"1094', '"5', '"99999', '"1', '"99999', '"7']
    for item in items:
        assert item.startswith('"') and item.endswith('"')
        frac = item.strip('"').split(".")[1]
        assert frac and (frac == "0" or not frac.endswith("0"))
        assert len(frac) <= 4 and "\0" not in item
        float(item.strip('"'))


def test_fault_vocabulary_and_counts(heavy, heavy_lines, heavy_truth) -> None:
    assert set(heavy_truth["fault"].dropna()) <= set(SET_FAULTS)
    rep_names = {f for faults in heavy_truth["rep_faults"] for f in faults if f}
    assert rep_names <= set(REP_FAULTS)
    # the heavy profile exercises every fault on 900 sets
    assert set(heavy_truth["fault"].dropna()) == set(SET_FAULTS)
    assert rep_names == set(REP_FAULTS)
    manifest = json.loads(sidecar_paths(heavy)["manifest"].read_text())
    expected = manifest["expected_warehouse"]
    assert (
        expected["documents_read"]
        == len(heavy_lines)
        == (
            expected["sets_kept"]
            + expected["quarantined"]
            + expected["superseded"]
            + expected["deleted"]
        )
    )
    counts = heavy_truth["fault"].fillna("clean").value_counts().to_dict()
    assert manifest["counts"]["set_faults"] == counts
    assert expected["quarantined"] == sum(_parse(line) is None for line in heavy_lines)
    assert manifest["counts"]["reps"] == heavy_truth["n_reps"].sum()
    kept = heavy_truth[~heavy_truth["fault"].isin(["malformed_json", "superseded", "deleted_set"])]
    assert expected["sets_kept"] == len(kept)
    usable = sum(f is None for faults in kept["rep_faults"] for f in faults)
    assert expected["usable_reps_in_kept_sets"] == usable


def test_set_faults_are_visible_in_the_lines(heavy_lines, heavy_rows, heavy_truth) -> None:
    first_line_of = {}
    for line, row in zip(heavy_lines, heavy_rows, strict=True):
        doc = _parse(line)
        fault, typed, lift = row.fault, row.typed_exercise, row.true_lift
        if fault == "malformed_json":
            continue
        first_line_of.setdefault(row.set_id, row.line_number)
        if fault is None or fault in ("revision", "garbage_rpe", "wrong_unit_label"):
            assert typed in (CLEAN_LABEL[lift], *VARIANT_LABELS[lift])  # variants: own names
        if fault == "unlabeled":
            assert typed in (None, "")
        elif fault == "alias":
            assert typed in ALIASES[lift]
        elif fault == "typo":
            assert typed in one_edit_typos(CLEAN_LABEL[lift]) and typed in typo_table(lift)
        elif fault == "unknown_name":
            assert typed in UNKNOWN_NAMES
        elif fault == "mislabeled":
            assert typed in CLEAN_LABEL.values() and typed != CLEAN_LABEL[lift]
        elif fault == "weight_empty":
            assert doc["weight"] == ""
        elif fault == "weight_null":
            assert doc["weight"] is None
        elif fault == "deleted_set":
            assert doc.get("deleted") is True or doc.get("removed") is True
        elif fault == "revision":
            assert first_line_of[row.set_id] < row.line_number
            earlier = heavy_truth.loc[heavy_truth["line_number"] == first_line_of[row.set_id]]
            assert earlier["fault"].item() == "superseded"
        if fault != "deleted_set":
            assert not doc.get("deleted") and not doc.get("removed")
    assert heavy_truth.loc[heavy_truth["fault"] == "superseded", "set_id"].is_unique


def test_rep_faults_are_visible_in_the_reps(heavy_lines, heavy_rows) -> None:
    for line, row in zip(heavy_lines, heavy_rows, strict=True):
        doc = _parse(line)
        if doc is None:
            continue
        for rep, fault in zip(doc["reps"], row.rep_faults, strict=True):
            data = rep["data"]
            assert rep["isValid"] is (fault != "invalid_rep")
            assert rep["removed"] is (fault == "removed_rep")
            version = {v: k for k, v in FLAGS.items()}[data[0]]
            truncated = len(data) <= SETTINGS_FLAG_INDEX[version]
            assert truncated is (fault == "truncated_array")
            if fault == "infinite_velocity":
                assert data[2] == "Infinity"
            elif fault == "absurd_velocity":
                assert float(data[2]) > 1e6
            elif not truncated:
                assert 0 < float(data[2]) < 10


def test_profile_none_has_no_faults(tmp_path: Path) -> None:
    out = _gen(tmp_path, "clean.jsonl", sets=200, lifters=10, seed=4, faults="none")
    truth = pd.read_parquet(sidecar_paths(out)["truth_sets"])
    assert truth["fault"].isna().all()
    assert all(f is None for faults in truth["rep_faults"] for f in faults)
    assert set(PROFILES) == {"none", "realistic", "heavy"}


def test_truth_lifters(heavy: Path) -> None:
    lifters = pd.read_parquet(sidecar_paths(heavy)["truth_lifters"])
    assert len(lifters) == 40 and lifters["user_id"].is_unique
    assert {"archetype", "body_mass_kg", "weight_unit", "one_rm_squat_kg"} <= set(lifters)
    assert set(lifters["weight_unit"]) <= {"kgs", "lbs"}


def test_worker_processes_write_the_same_bytes(tmp_path: Path) -> None:
    one = _gen(tmp_path / "one", "w.jsonl.gz", sets=400, lifters=20, seed=8, batch_lines=100)
    two = _gen(
        tmp_path / "two", "w.jsonl.gz", sets=400, lifters=20, seed=8, batch_lines=100, workers=2
    )
    assert one.read_bytes() == two.read_bytes()
    for key in ("truth_sets", "truth_lifter_days", "manifest"):
        assert sidecar_paths(one)[key].read_bytes() == sidecar_paths(two)[key].read_bytes()


def test_one_cpu_writes_inline_with_the_same_bytes(tmp_path: Path, monkeypatch) -> None:
    import threading

    from liftlab.generator import run

    writers: list[int] = []
    write = run._write
    monkeypatch.setattr(
        run, "_write", lambda *a: (writers.append(threading.get_ident()), write(*a))
    )
    monkeypatch.setattr(run, "_usable_cpus", lambda: 2)
    threaded = _gen(tmp_path / "t", "c.jsonl.gz", sets=400, lifters=20, seed=9, batch_lines=100)
    assert writers and threading.get_ident() not in writers
    writers.clear()
    monkeypatch.setattr(run, "_usable_cpus", lambda: 1)
    inline = _gen(tmp_path / "i", "c.jsonl.gz", sets=400, lifters=20, seed=9, batch_lines=100)
    assert set(writers) == {threading.get_ident()}
    assert threaded.read_bytes() == inline.read_bytes()
    for key in ("truth_sets", "truth_lifter_days", "manifest"):
        assert sidecar_paths(threaded)[key].read_bytes() == sidecar_paths(inline)[key].read_bytes()
