"""The bad-input corpus (tests/fixtures/corpus, one case per file, described by its
manifest.json) built as ONE directory, beside good files and a 5 MB line written at test
time: the build never ends in a traceback or a dbt failure; every document and rep is
kept, quarantined, superseded, deleted or removed, and the counts add up per file; an
unreadable file is reported by name and line; good files are fully built.

The corpus deliberately holds usable reps with impossible measurements (1e308 mm of ROM,
negative durations, ...), far more of them in one file than device noise: the quality
checkpoint must stop the build on exactly that file, with everything else passing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from _spine import build_spine
from conftest import REPO, query, scalar

from liftlab.publish import failed_copy_of
from liftlab.quality import RESULTS_TABLE, QualityFailed

CORPUS = REPO / "tests" / "fixtures" / "corpus"
sys.path.insert(0, str(CORPUS))
import make_corpus  # noqa: E402

DISPOSITIONS = {"kept", "quarantined", "superseded", "deleted"}
REP_DISPOSITIONS = DISPOSITIONS | {"removed"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory):
    """(warehouse, the checkpoint's failure or None, manifest) of the whole corpus."""
    folder = tmp_path_factory.mktemp("corpus")
    data = folder / "input"
    shutil.copytree(CORPUS / "cases", data)
    manifest = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
    manifest["huge_line.jsonl"] = make_corpus.huge_line_file(data / "huge_line.jsonl")
    manifest.update(make_corpus.unreadable_entries(data))
    warehouse = folder / "corpus.duckdb"
    failure = None
    try:
        build_spine(data, warehouse, docs_dir=folder / "docs")
    except QualityFailed as exc:  # any other exception (dbt, traceback) fails the module
        failure = exc
        # a failed gate publishes nothing: the failed build is kept beside it to inspect
        assert not warehouse.exists()
        warehouse = failed_copy_of(exc)
    return warehouse, failure, manifest


def landed_files(manifest: dict) -> dict:
    return {
        name: entry
        for name, entry in manifest.items()
        if not entry.get("ignored") and not entry.get("unreadable")
    }


def test_manifest_matches_the_committed_files():
    """The committed files are what make_corpus.py writes (regenerate after a change)."""
    committed = {p.name: p.read_bytes() for p in (CORPUS / "cases").iterdir()}
    generated = {name: content for name, (content, _) in make_corpus.cases().items()}
    assert set(committed) == set(generated)
    for name, content in generated.items():
        if not name.endswith(".gz"):  # gzip bytes depend on the zlib build
            assert committed[name] == content, name


def test_the_gate_stops_only_the_impossible_measurements(corpus):
    """The corpus file of impossible measurements (metric_values.jsonl: 1e308 mm of ROM,
    negative durations, ...) holds far more implausible reps than device noise does: the
    gate fails on that file, by name, and only warns about the implausible reps."""
    warehouse, failure, _ = corpus
    assert failure is not None, "the corpus holds impossible usable reps: the gate must fail"
    failed = query(
        warehouse,
        f"select suite, expectation, column_name, severity, examples from {RESULTS_TABLE}"
        " where not success order by severity",
    )
    assert [row[:4] for row in failed] == [
        (
            "marts.fct_rep_plausibility.above_threshold",
            "expect_column_values_to_be_null",
            "source_file_name",
            "error",
        ),
        (
            "marts.fct_reps.implausible",
            "expect_column_values_to_be_null",
            "implausible_measurement",
            "warn",
        ),
    ]
    assert failed[0][4] == '["metric_values.jsonl"]'
    reasons = {
        row[0]
        for row in query(
            warehouse,
            "select distinct implausible_measurement from fct_reps"
            " where implausible_measurement is not null",
        )
    }
    assert {"rom_implausible", "duration_implausible", "peak_location_implausible"} <= reasons
    assert "quality checkpoint" in str(failure) and "metric_values.jsonl" in str(failure)
    # every other expectation passed (the per-lift plausible ranges among them: the
    # implausible reps are flagged, not counted as plausible); keys, lifts and the
    # reconciliation are dbt tests, which the build ran before the gate
    passed = scalar(warehouse, f"select count(*) from {RESULTS_TABLE} where success")
    total = scalar(warehouse, f"select count(*) from {RESULTS_TABLE}")
    assert passed == total - 2 and passed >= 30


def test_records_reconcile(corpus):
    warehouse, _, manifest = corpus
    rows = query(
        warehouse,
        "select level, records_read, records_accounted, records_kept from fct_record_counts",
    )
    for level, read, accounted, _ in rows:
        assert read == accounted, level
    documents = dict((r[0], r[1]) for r in rows)["document"]
    assert documents == scalar(warehouse, "select count(*) from raw.set_documents")
    known = sum(e["documents"] for e in landed_files(manifest).values() if e["documents"])
    assert documents >= known


def test_every_file_is_landed_or_reported_by_name(corpus):
    warehouse, _, manifest = corpus
    landed = dict(
        query(
            warehouse,
            "select source_file_name, documents_landed from raw.landed_files",
        )
    )
    problems = {
        r[0]: (r[1], r[2])
        for r in query(
            warehouse,
            "select source_file_name, reason, source_line from rejected_records"
            " where level = 'file'",
        )
    }
    assert "notes.txt" not in landed
    for name, entry in manifest.items():
        if entry.get("unreadable"):  # a link loop, a broken link, a FIFO: named, not landed
            assert name not in landed, name
            assert problems[name] == (entry["file_problem"], None), name
    for name, entry in landed_files(manifest).items():
        assert name in landed, name
        if entry["documents"] is not None:
            assert landed[name] == entry["documents"], name
        expected_problem = entry.get("file_problem")
        if expected_problem is None:
            assert name not in problems, (name, problems.get(name))
            continue
        reason, line = problems[name]
        assert reason == expected_problem, name
        if reason == "corrupt_gzip":
            # reported at the line where reading stopped; every line before it landed
            assert line == landed[name] + 1, name


def test_every_document_has_one_disposition_per_file(corpus):
    warehouse, _, _ = corpus
    rows = query(
        warehouse,
        "select raw.source_file_name, count(*), count(triaged.document_id),"
        " list(distinct triaged.document_disposition)"
        " from raw.set_documents as raw"
        " left join int_set_documents_triaged as triaged"
        " on raw.source_file || ':' || raw.ordinal = triaged.document_id"
        " group by 1",
    )
    for name, read, triaged, dispositions in rows:
        assert read == triaged, name
        assert set(dispositions) <= DISPOSITIONS, name
    duplicates = scalar(
        warehouse,
        "select count(*) - count(distinct document_id) from int_set_documents_triaged",
    )
    assert duplicates == 0


def test_every_rep_read_has_one_disposition_per_file(corpus):
    warehouse, _, manifest = corpus
    read = dict(
        query(
            warehouse,
            "select source_file_name, sum(rep_count_in_document)::integer"
            " from stg_openbarbell__set_documents where quarantine_reason is null group by 1",
        )
    )
    decoded = {
        r[0]: (r[1], r[2])
        for r in query(
            warehouse,
            "select documents.source_file_name, count(*)::integer,"
            " list(distinct reps.rep_disposition)"
            " from int_reps_decoded as reps"
            " inner join stg_openbarbell__set_documents as documents"
            " on reps.document_id = documents.document_id group by 1",
        )
    }
    for name, entry in landed_files(manifest).items():
        if entry["reps_read"] is None:
            continue
        assert (read.get(name) or 0) == entry["reps_read"], name
        count, dispositions = decoded.get(name, (0, []))
        assert count == entry["reps_read"], name
        assert set(dispositions) <= REP_DISPOSITIONS, name


def test_kept_sets_per_file(corpus):
    warehouse, _, manifest = corpus
    kept: dict[str, set] = {}
    for path, set_id in query(warehouse, "select source_file, set_id from fct_sets"):
        kept.setdefault(Path(path).name, set()).add(set_id)
    for name, entry in landed_files(manifest).items():
        if entry["kept"] is not None:
            assert kept.get(name, set()) == set(entry["kept"]), name


def test_good_files_beside_bad_ones_are_fully_built(corpus):
    warehouse, _, manifest = corpus
    for name in ("good_lines.jsonl", "good_array.json.gz", "good_history.json"):
        expected = set(manifest[name]["kept"])
        rows = query(
            warehouse,
            "select set_id, rep_count_total, rep_count_usable, lift, load_kg from fct_sets"
            f" where source_file like '%/{name}'",
        )
        assert {r[0] for r in rows} == expected, name
        assert all(r[1:] == (3, 3, "squat", 100.0) for r in rows), name
        reps = scalar(
            warehouse,
            f"select count(*) from fct_reps where set_id in {tuple(sorted(expected))}",
        )
        assert reps == 3 * len(expected)


def test_unreadable_segments_are_reported_by_name_and_line(corpus):
    warehouse, _, _ = corpus
    rows = set(
        query(
            warehouse,
            "select source_file_name, source_line, reason from rejected_records"
            " where level = 'document'",
        )
    )
    for expected in [
        ("not_json.jsonl", 1, "malformed_json"),
        ("not_json.jsonl", 3, "malformed_json"),
        ("not_json_at_all.json", 2, "malformed_json"),
        ("truncated_lines.jsonl", 2, "malformed_json"),
        ("truncated_array.json", 1, "malformed_json"),
        ("truncated_history.json", 1, "malformed_json"),
        ("invalid_utf8.jsonl", 2, "invalid_utf8"),
        ("invalid_utf8_array.json", 1, "invalid_utf8"),
        ("huge_line.jsonl", 3, "malformed_json"),
    ]:
        assert expected in rows, expected
    longest = scalar(warehouse, "select max(length(raw_text)) from rejected_records")
    assert longest < 1_000_000  # the 5 MB line is cut in the rejection report


def test_enormous_line(corpus):
    warehouse, _, _ = corpus
    row = query(warehouse, "select lift, rep_count_total from fct_sets where set_id = 'huge-1'")
    assert row == [("squat", 1)]


def test_wrong_types_are_quarantined_or_parsed(corpus):
    warehouse, _, _ = corpus
    reasons = dict(
        query(
            warehouse,
            "select document_key_or_line, quarantine_reason from ("
            " select source_line::varchar as document_key_or_line, quarantine_reason"
            " from int_set_documents_triaged where source_file_name = 'wrong_types.jsonl'"
            " and document_disposition = 'quarantined')",
        )
    )
    assert set(reasons.values()) == {
        "set_id_wrong_type",
        "missing_set_id",
        "user_id_wrong_type",
        "reps_not_an_array",
    }
    row = query(
        warehouse,
        "select weight_status, load_kg, rpe_status, set_number, typed_lift_status, tags"
        " from fct_sets where set_id = 'wt-weight-object'",
    )[0]
    assert row == ("unparseable", None, "valid", 1, "matched", ["belt"])
    row = query(
        warehouse,
        "select typed_lift_status, exercise_raw, tags from fct_sets"
        " where set_id = 'wt-exercise-array'",
    )[0]
    assert row == ("unknown_alias", '[1,"two"]', ["belt"])


def test_version_flags_and_device_arrays(corpus):
    warehouse, _, _ = corpus
    reasons = dict(
        query(
            warehouse,
            "select set_id, coalesce(quarantine_reason, rep_disposition) from int_reps_decoded"
            " where set_id like 'vf-%' or set_id like 'da-len%'",
        )
    )
    assert reasons["vf-00"] == reasons["vf-01"] == reasons["vf-02"] == "kept"
    assert {reasons[f"vf-{i:02d}"] for i in (3, 4, 5, 6)} == {"unknown_version_flag"}
    assert {reasons[f"vf-{i:02d}"] for i in (7, 8, 9, 10)} == {"settings_flag_misplaced"}
    assert reasons["vf-11"] == "truncated_data_array"
    assert {reasons[f"vf-{i:02d}"] for i in (13, 14, 15)} == {"data_not_an_array"}
    assert reasons["da-len0"] == "empty_data_array"
    assert {reasons[f"da-len{n}"] for n in range(1, 7)} == {"truncated_data_array"}
    versions = dict(
        query(
            warehouse,
            "select set_id, device_version from fct_reps where set_id in ('vf-00', 'vf-01',"
            " 'vf-02')",
        )
    )
    assert versions == {"vf-00": "V3", "vf-01": "V2", "vf-02": "V1"}


def test_special_metric_values(corpus):
    warehouse, _, _ = corpus
    # every special value of the velocity is unusable but -0 (a valid zero)
    rows = query(
        warehouse,
        "select rep_index, is_usable, unusable_reason from fct_reps"
        " where set_id = 'mv-mean_velocity_m_s' order by rep_index",
    )
    assert len(rows) == len(make_corpus.SPECIAL_VALUES)
    assert [r[1] for r in rows] == [v == "-0.0" for v in make_corpus.SPECIAL_VALUES]
    # no set-level aggregate of usable reps is infinite or NaN
    bad = scalar(
        warehouse,
        "select count(*) from fct_sets where set_id like 'mv-%' and ("
        " not isfinite(coalesce(mean_velocity_m_s, 0))"
        " or not isfinite(coalesce(best_mean_velocity_m_s, 0)))",
    )
    assert bad == 0
    statuses = dict(
        query(
            warehouse,
            "select set_id, weight_status from fct_sets where set_id like 'mv-weight-%'",
        )
    )
    assert statuses["mv-weight-NaN"] == statuses["mv-weight-Infinity"] == "non_finite"
    assert statuses["mv-weight--5.0"] == "negative"
    assert statuses["mv-weight--0.0"] == "valid"
    bare = dict(
        query(warehouse, "select set_id, weight_status from fct_sets where set_id like 'bn-%'")
    )
    assert bare == {
        "bn-0": "valid",
        "bn-1": "non_finite",
        "bn-2": "non_finite",
        "bn-3": "non_finite",
    }
    assert scalar(warehouse, "select min(load_kg) from fct_sets") >= 0


def test_revisions_across_and_within_files(corpus):
    warehouse, _, _ = corpus
    rows = {
        r[0]: r[1:]
        for r in query(
            warehouse,
            "select set_id, weight_value, typed_lift, revision_count, rep_count_total,"
            " split_part(source_file, '/', -1) from fct_sets where set_id like 'rev-%'",
        )
    }
    assert rows["rev-1"] == (200.0, "bench_press", 2, 1, "revisions_a.jsonl")
    assert rows["rev-2"] == (55.0, "deadlift", 2, 1, "revisions_b.jsonl")
    assert rows["rev-3"][0] == 61.0
    assert "rev-4" not in rows
    assert rows["rev-5"] == (85.0, "squat", 2, 1, "revisions_b.jsonl")
    superseded = scalar(
        warehouse,
        "select count(*) from int_reps_decoded where set_id = 'rev-5'"
        " and rep_disposition = 'superseded'",
    )
    assert superseded == 2


def test_deleted_sets_and_removed_reps(corpus):
    warehouse, _, _ = corpus
    reps = query(
        warehouse,
        "select set_id, list(rep_disposition order by rep_index) from int_reps_decoded"
        " where set_id like 'del-%' group by 1",
    )
    assert dict(reps) == {
        "del-set-live-reps": ["deleted", "deleted"],
        "del-old-style-removed": ["deleted"],
        "del-live-set-removed-reps": ["removed", "removed"],
        "del-live-set-mixed-reps": ["kept", "removed"],
        "del-deleted-set-removed-reps": ["deleted"],
        "del-deleted-false-string": ["kept"],
    }
    counts = dict(
        query(warehouse, "select set_id, rep_count_total from fct_sets where set_id like 'del-%'")
    )
    assert counts == {
        "del-live-set-removed-reps": 0,
        "del-live-set-mixed-reps": 1,
        "del-live-set-no-reps": 0,
        "del-deleted-false-string": 1,
    }


def test_unicode_and_emoji_exercise_names_round_trip(corpus):
    warehouse, _, _ = corpus
    names = dict(
        query(warehouse, "select set_id, exercise_raw from fct_sets where set_id like 'uni-%'")
    )
    assert names == {f"uni-{i:02d}": n for i, n in enumerate(make_corpus.UNICODE_NAMES)}
    lifts = dict(
        query(warehouse, "select set_id, typed_lift from fct_sets where set_id like 'uni-%'")
    )
    assert lifts["uni-00"] == "squat"  # "Squat 🏋️"
    assert lifts["uni-08"] == "bench_press"  # ideographic space
    assert lifts["uni-01"] is None  # emoji only


def test_a_build_over_nothing_readable_finishes(tmp_path):
    """Only unreadable files: empty marts, the files reported, the gate passes."""
    data = tmp_path / "input"
    data.mkdir()
    for name in ("empty.jsonl", "gzip_magic_only.json.gz", "not_json.jsonl"):
        shutil.copy(CORPUS / "cases" / name, data / name)
    warehouse = build_spine(data, tmp_path / "nothing.duckdb", docs_dir=tmp_path / "docs")
    assert scalar(warehouse, "select count(*) from fct_sets") == 0
    assert scalar(warehouse, "select count(*) from fct_reps") == 0
    assert query(
        warehouse,
        "select level, records_read, records_accounted from fct_record_counts order by level",
    ) == [("csv_row", 0, 0), ("document", 3, 3), ("rep", 0, 0)]
    reported = {r[0] for r in query(warehouse, "select source_file_name from rejected_records")}
    assert reported == {"empty.jsonl", "gzip_magic_only.json.gz", "not_json.jsonl"}
    assert scalar(warehouse, f"select bool_and(success) from {RESULTS_TABLE}") is True


def test_a_flipped_gzip_stream_is_reported_and_its_garbled_lines_quarantined(corpus):
    warehouse, _, _ = corpus
    dispositions = dict(
        query(
            warehouse,
            "select document_disposition, count(*) from int_set_documents_triaged"
            " where source_file_name = 'bit_flip.jsonl.gz' group by 1",
        )
    )
    assert dispositions.get("kept", 0) > 0 and dispositions.get("quarantined", 0) > 0
    assert set(dispositions) <= {"kept", "quarantined"}
    kept_ok = scalar(
        warehouse,
        "select bool_and(regexp_full_match(set_id, 'bf-[0-9]{3}')) from fct_sets"
        " where source_file like '%bit_flip.jsonl.gz'",
    )
    assert kept_ok


def test_the_full_liftlab_build_over_the_corpus_ends_without_a_traceback(tmp_path):
    """End to end through the CLI with every model: at most the quality gate fails."""
    completed = subprocess.run(
        [
            str(Path(sys.executable).parent / "liftlab"),
            "build",
            "--data",
            str(CORPUS / "cases"),
            "--warehouse",
            str(tmp_path / "full.duckdb"),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "LIFTLAB_QUALITY_DOCS": str(tmp_path / "docs")},
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert "Traceback" not in output
    assert completed.returncode == 1
    assert "liftlab build: quality checkpoint" in completed.stderr


def test_nesting_10000_deep_is_quarantined_by_name(corpus):
    """A value nested 10,000 deep (past Python's recursion limit) lands as one document,
    in each shape, and is quarantined by name; the documents beside it are kept."""
    warehouse, _, _ = corpus
    rows = set(
        query(
            warehouse,
            "select source_file_name, source_line, reason, level from rejected_records"
            " where source_file_name like 'deep_%'",
        )
    )
    assert rows == {
        ("deep_array.json", 1, "document_not_an_object", "document"),
        ("deep_history.json", 1, "missing_set_id", "document"),
        ("deep_lines.jsonl", 3, "document_not_an_object", "document"),
        ("deep_lines.jsonl", 2, "unknown_version_flag", "rep"),
    }
    tags = scalar(warehouse, "select tags from fct_sets where set_id = 'deep-jl-tags'")
    assert len(tags) == 1 and tags[0].startswith("[[[")


def test_mongo_extended_json_is_read_as_its_values(corpus):
    """mongoexport's wrappers ($oid, $date, $numberInt, $numberLong, $numberDouble) are
    read as the values they wrap, relaxed and canonical alike."""
    warehouse, _, _ = corpus
    rows = query(
        warehouse,
        "select set_id, set_number, set_number_status, load_kg, rpe, started_at::varchar,"
        " rep_count_total, rep_count_usable from fct_sets where set_id like 'mg-%'"
        " order by set_id",
    )
    by_id = {r[0]: r[1:] for r in rows}
    for i in range(6):
        set_id = f"mg-{'canonical' if i % 2 else 'relaxed'}-{i}"
        assert by_id[set_id] == (i + 1, "valid", 100.0, 8.0, "2019-03-01 09:59:00", 2, 2), set_id
    weight = query(
        warehouse, "select weight_status from fct_sets where set_id = 'mg-weight-infinity'"
    )
    assert weight == [("non_finite",)]
    reps = query(
        warehouse,
        "select count(*), count(distinct rep_completed_at), min(mean_velocity_m_s)"
        " from fct_reps where set_id like 'mg-%'",
    )
    assert reps == [(13, 1, 0.55)]


def test_duplicate_keys_quarantine_the_record(corpus):
    """A key twice in a document's own keys or a rep's: quarantined `duplicate_key` (JSON
    leaves the value undefined); twice in an object liftlab does not read: no matter."""
    warehouse, _, _ = corpus
    rows = query(
        warehouse,
        "select level, source_line, rep_index, reason, reason_detail from rejected_records"
        " where source_file_name = 'duplicate_keys.jsonl' order by source_line",
    )
    assert rows == [
        ("document", 2, None, "duplicate_key", "repeated key(s): setID"),
        ("document", 3, None, "duplicate_key", "repeated key(s): weight"),
        ("rep", 4, 1, "duplicate_key", None),
    ]
    counts = dict(
        query(
            warehouse,
            "select set_id, rep_count_total from fct_sets where set_id like 'dk-%'",
        )
    )
    assert counts == {"dk-good": 1, "dk-rep": 1, "dk-nested": 1}


def test_numbers_beyond_a_double_or_an_integer_are_named(corpus):
    """1e309 overflows a double, 3e9 an integer: a status says so (setNumber), or the
    value is judged non-finite (weight, RPE, the device array), never silently null."""
    warehouse, _, _ = corpus
    rows = {
        r[0]: r[1:]
        for r in query(
            warehouse,
            "select set_id, set_number, set_number_status, weight_status, rpe_status"
            " from fct_sets where set_id like 'ov-%'",
        )
    }
    for set_id in ("ov-set-number-1e309", "ov-set-number-minus-1e309", "ov-set-number-3e9"):
        assert rows[set_id][:2] == (None, "out_of_range"), set_id
    assert rows["ov-set-number-string"][:2] == (None, "out_of_range")
    assert rows["ov-weight-1e309"][1:3] == ("valid", "non_finite")
    assert rows["ov-rpe-1e309"][1:] == ("valid", "valid", "out_of_range")
    reasons = query(
        warehouse,
        "select rep_index, unusable_reason from fct_reps where set_id = 'ov-velocity-1e309'"
        " order by rep_index",
    )
    assert reasons[0][1] is not None and reasons[1][1] is None
