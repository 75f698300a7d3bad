"""A directory of hand-written bad exports (tests/fixtures/bad_input): the build finishes,
every record is kept, quarantined, superseded, deleted or removed with a reason, and the
counts reconcile."""

from __future__ import annotations

from conftest import query, scalar


def test_documents_reconcile(bad_input_warehouse):
    row = query(
        bad_input_warehouse,
        "select records_read, records_kept, records_quarantined, records_superseded,"
        " records_deleted from fct_record_counts where level = 'document'",
    )[0]
    # 12 non-blank lines + 3 array elements + 2 of the truncated array + 3 lines
    assert row == (20, 10, 7, 1, 2)
    assert row[0] == sum(row[1:])


def test_reps_reconcile(bad_input_warehouse):
    row = query(
        bad_input_warehouse,
        "select records_read, records_kept, records_quarantined, records_superseded,"
        " records_deleted, records_removed from fct_record_counts where level = 'rep'",
    )[0]
    assert row == (19, 10, 5, 1, 2, 1)
    assert row[0] == sum(row[1:])


def test_document_quarantine_reasons_with_lineage(bad_input_warehouse):
    rows = query(
        bad_input_warehouse,
        "select reason, source_file_name, ordinal from rejected_records"
        " where level = 'document' order by source_file_name, ordinal",
    )
    assert rows == [
        ("malformed_json", "dump_mixed_faults.jsonl", 6),
        ("document_not_an_object", "dump_mixed_faults.jsonl", 7),
        ("missing_set_id", "dump_mixed_faults.jsonl", 8),
        ("reps_not_an_array", "dump_mixed_faults.jsonl", 9),
        ("set_id_wrong_type", "dump_mixed_faults.jsonl", 10),
        ("malformed_json", "dump_truncated_array.json", 2),
        ("invalid_utf8", "invalid_utf8.jsonl", 2),
    ]


def test_rep_quarantine_reasons(bad_input_warehouse):
    rows = query(
        bad_input_warehouse,
        "select rep_index, reason from rejected_records where level = 'rep' order by 1",
    )
    assert rows == [
        (1, "unknown_version_flag"),
        (2, "settings_flag_misplaced"),
        (3, "data_not_an_array"),
        (4, "rep_not_an_object"),
        (5, "truncated_data_array"),
    ]


def test_unreadable_files_are_reported_by_name(bad_input_warehouse):
    rows = query(
        bad_input_warehouse,
        "select source_file_name, reason from rejected_records where level = 'file' order by 1",
    )
    assert rows == [("corrupt.jsonl.gz", "corrupt_gzip"), ("empty.jsonl", "empty_file")]


def test_good_files_beside_bad_ones_are_fully_built(bad_input_warehouse):
    sets = {r[0] for r in query(bad_input_warehouse, "select set_id from fct_sets")}
    assert sets == {"s1", "s2", "s4", "s5", "s8", "a1", "a2", "t1", "u1", "u3"}


def test_later_revision_wins(bad_input_warehouse):
    row = query(
        bad_input_warehouse,
        "select weight_value, typed_lift, typed_lift_match, revision_count from fct_sets"
        " where set_id = 's2'",
    )[0]
    assert row == (110.5, "squat", "fuzzy", 2)


def test_wrong_types_are_parsed_to_null_with_a_status(bad_input_warehouse):
    row = query(
        bad_input_warehouse,
        "select typed_lift_status, weight_status, load_kg, rpe_status, rpe, set_number, tags"
        " from fct_sets where set_id = 's4'",
    )[0]
    assert row == ("unknown_alias", "unparseable", None, "unparseable", None, None, [])


def test_emoji_empty_weight_garbage_rpe_and_infinity(bad_input_warehouse):
    row = query(
        bad_input_warehouse,
        "select exercise_raw, typed_lift_status, weight_status, rpe_status, rep_count_usable"
        " from fct_sets where set_id = 's8'",
    )[0]
    assert row == ("🏋️ leg day", "unknown_alias", "missing", "out_of_range", 0)
    reason = scalar(bad_input_warehouse, "select unusable_reason from fct_reps where set_id = 's8'")
    assert reason == "non_finite_velocity"


def test_lbs_are_converted(bad_input_warehouse):
    load_kg = scalar(bad_input_warehouse, "select load_kg from fct_sets where set_id = 'a2'")
    assert abs(load_kg - 135 * 0.45359237) < 1e-9


def test_rejected_records_mask_personal_data(bad_input_warehouse):
    texts = [r[0] for r in query(bad_input_warehouse, "select raw_text from rejected_records")]
    joined = "\n".join(t for t in texts if t)
    assert "user-alpha" not in joined
    assert "AA:BB:CC:DD:EE" not in joined
    assert "<redacted-user-id>" in joined


def test_lifters_are_pseudonymous(bad_input_warehouse):
    from liftlab.privacy import pseudonymize

    lifters = {r[0] for r in query(bad_input_warehouse, "select lifter_id from dim_lifters")}
    assert lifters == {pseudonymize(u) for u in ("user-alpha", "user-beta", "user-gamma")}
