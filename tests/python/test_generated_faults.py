"""Every fault the generator injects lands where the warehouse says it should: in the
quarantine with the right reason, as superseded or deleted, or as the right flag."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import query


@pytest.fixture(scope="module")
def truth_path(heavy_faults_export):
    return str(heavy_faults_export).replace(".jsonl.gz", ".truth_sets.parquet")


def _documents(warehouse, truth_path):
    return query(
        warehouse,
        f"""
        select
            t.line_number,
            t.fault,
            t.true_lift,
            d.document_disposition,
            d.quarantine_reason,
            s.typed_lift,
            s.typed_lift_status,
            s.weight_status,
            s.rpe_status
        from '{truth_path}' as t
        left join int_set_documents_triaged as d
            on d.source_ordinal = t.line_number
        left join fct_sets as s
            on s.set_id = d.set_id and d.document_disposition = 'kept'
        """,
    )


def test_the_export_has_every_fault(heavy_faults_warehouse, truth_path):
    faults = {row[1] for row in _documents(heavy_faults_warehouse, truth_path)}
    assert {
        "malformed_json",
        "superseded",
        "revision",
        "deleted_set",
        "unlabeled",
        "alias",
        "typo",
        "unknown_name",
        "mislabeled",
        "weight_empty",
        "weight_null",
        "garbage_rpe",
    } <= faults


def test_set_faults_land_where_expected(heavy_faults_warehouse, truth_path):
    wrong = []
    for line, fault, true_lift, disposition, reason, typed, status, weight, rpe in _documents(
        heavy_faults_warehouse, truth_path
    ):
        expected_disposition = {
            "malformed_json": "quarantined",
            "superseded": "superseded",
            "deleted_set": "deleted",
        }.get(fault, "kept")
        checks = [disposition == expected_disposition]
        if fault == "malformed_json":
            checks.append(reason == "malformed_json")
        elif fault == "unlabeled":
            checks.append(status == "unlabeled")
        elif fault in ("alias", "typo", None):
            checks.append(status == "matched" and typed == true_lift)
        elif fault == "mislabeled":
            checks.append(status == "matched" and typed != true_lift)
        elif fault == "unknown_name":
            checks.append(status == "unknown_alias")
        elif fault in ("weight_empty", "weight_null"):
            checks.append(weight == "missing")
        elif fault == "garbage_rpe":
            checks.append(rpe in ("out_of_range", "unparseable"))
        if not all(checks):
            wrong.append((line, fault, disposition, reason, typed, status, weight, rpe))
    assert wrong == []


def test_rep_faults_land_where_expected(heavy_faults_warehouse, truth_path):
    rows = query(
        heavy_faults_warehouse,
        f"""
        with truth_reps as (
            select
                line_number,
                unnest(rep_faults) as rep_fault,
                generate_subscripts(rep_faults, 1) as rep_index
            from '{truth_path}'
            where rep_faults is not null and fault is distinct from 'malformed_json'
        )
        select
            t.line_number,
            t.rep_index,
            t.rep_fault,
            r.rep_disposition,
            r.quarantine_reason,
            r.unusable_reason
        from truth_reps as t
        inner join int_set_documents_triaged as d
            on d.source_ordinal = t.line_number and d.document_disposition = 'kept'
        left join int_reps_decoded as r
            on r.document_id = d.document_id and r.rep_index = t.rep_index
        """,
    )
    expected = {
        None: ("kept", None, None),
        "truncated_array": ("quarantined", "truncated_data_array", None),
        "infinite_velocity": ("kept", None, "non_finite_velocity"),
        "absurd_velocity": ("kept", None, "velocity_out_of_range"),
        "removed_rep": ("removed", None, None),
        "invalid_rep": ("kept", None, "app_marked_invalid"),
    }
    seen = {row[2] for row in rows}
    assert set(expected) - {None} <= seen
    wrong = [row for row in rows if tuple(row[3:]) != expected[row[2]]]
    assert wrong == []


def test_counts_match_the_generators_manifest(heavy_faults_warehouse, heavy_faults_export):
    manifest_path = str(heavy_faults_export).replace(".jsonl.gz", ".manifest.json")
    expected = json.loads(Path(manifest_path).read_text())["expected_warehouse"]
    row = query(
        heavy_faults_warehouse,
        "select records_read, records_kept, records_quarantined, records_superseded,"
        " records_deleted from fct_record_counts where level = 'document'",
    )[0]
    assert row == (
        expected["documents_read"],
        expected["sets_kept"],
        expected["quarantined"],
        expected["superseded"],
        expected["deleted"],
    )
