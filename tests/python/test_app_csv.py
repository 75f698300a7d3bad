"""The app's CSV export as an input shape: landing by header, every line accepted or
quarantined with its reason and line, sets assembled, and the CSV build of a real export
agreeing with its JSON build on every set and rep (within the CSV's printed precision).

One warehouse (the spine: the marts and their ancestors, the classifier included) holds the
CSV corpus (tests/fixtures/csv_corpus), the two real exports and four CSVs written from them
by tests/python/_app_csv.py (the app's converter: both header versions, three date forms)."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from _app_csv import convert
from _spine import build_spine
from conftest import SHARED, query, scalar

from liftlab.app_csv import HEADER_WITH_TAGS, HEADER_WITHOUT_TAGS, header_shape
from liftlab.landing import detect_shape

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "csv_corpus"
REAL = SHARED / "data" / "openbarbell"
# CSV file -> (real export, header version with Tags, locale of the start times)
CONVERTED = {
    "sample_tags_en_us.csv": ("app_history_sample.json", True, "en-US"),
    "sample_no_tags_iso.csv": ("app_history_sample.json", False, "iso"),
    "history_tags_de_de.csv": ("app_history_2017_2018.json", True, "de-DE"),
    "history_tags_en_gb.csv": ("app_history_2017_2018.json", True, "en-GB"),
}
MEASURES = ("mean_velocity_m_s", "rom_mm", "peak_velocity_m_s", "peak_velocity_location_pct")
PRINTED = 0.005 + 1e-9  # two decimals, as the app prints them


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    exports = [REAL / name for name in {v[0] for v in CONVERTED.values()}]
    if not all(p.exists() for p in exports):
        pytest.skip(f"the real exports are not beside the repo ({REAL})")
    folder = tmp_path_factory.mktemp("app_csv")
    data = folder / "input"
    shutil.copytree(CORPUS / "cases", data)
    for path in exports:
        shutil.copy(path, data / path.name)
    for name, (export, with_tags, locale) in CONVERTED.items():
        history = json.loads((REAL / export).read_text())
        (data / name).write_text(convert(history, with_tags=with_tags, locale=locale))
    return build_spine(data, folder / "csv.duckdb", docs_dir=folder / "quality_docs")


@pytest.mark.parametrize(
    ("line", "shape"),
    [
        (HEADER_WITH_TAGS, "app_csv_tags"),
        (HEADER_WITHOUT_TAGS, "app_csv"),
        (HEADER_WITH_TAGS.replace(",", " , ").upper(), "app_csv_tags"),
        ("Exercise,Set,Rep", None),
    ],
)
def test_header_versions_are_recognised(line, shape):
    assert header_shape(line) == shape


def test_shape_detection_by_header_then_by_name():
    assert detect_shape("\ufeff" + HEADER_WITH_TAGS + "\r\n", "x.json") == "app_csv_tags"
    assert detect_shape("Exercise,Set\n", "export.csv") == "csv_unknown_header"
    assert detect_shape("Exercise,Set\n", "export.jsonl") == "jsonl"
    assert detect_shape('{"setID": "a"}\n', "export.csv") == "jsonl"


def test_corpus_manifest_matches_the_committed_files():
    import sys

    sys.path.insert(0, str(CORPUS))
    import make_csv_corpus

    committed = {p.name: p.read_bytes() for p in (CORPUS / "cases").iterdir()}
    generated = {name: content for name, (content, _) in make_csv_corpus.cases().items()}
    assert committed == generated


def test_every_line_is_accepted_or_quarantined_by_line(warehouse, manifest):
    landed = dict(
        query(warehouse, "select source_file_name, documents_landed from raw.landed_files")
    )
    rejected: dict[str, dict[str, str]] = {}
    for name, line, reason, detail in query(
        warehouse,
        "select source_file_name, source_line, reason, reason_detail from rejected_records"
        " where level = 'csv_row'",
    ):
        rejected.setdefault(name, {})[str(line)] = reason
        assert detail, (name, line)
    problems = dict(
        query(warehouse, "select source_file_name, reason from raw.landing_file_errors")
    )
    for name, entry in manifest.items():
        assert landed[name] == entry["lines"], name
        assert rejected.get(name, {}) == entry["quarantined"], name
        assert problems.get(name) == entry.get("file_problem"), name


def test_corpus_sets_are_assembled_from_runs_of_lines(warehouse, manifest):
    for name, entry in manifest.items():
        rows = query(
            warehouse,
            "select rep_count_total, started_at::varchar from fct_sets"
            f" where source_file like '%/{name}' order by source_ordinal",
        )
        assert [r[0] for r in rows] == entry["sets"], name
        if "started_at" in entry:
            assert sorted(r[1] for r in rows) == entry["started_at"], name
    assert scalar(
        warehouse,
        "select list(tags) from fct_sets where exercise_raw = 'Bench, \"close\" grip'",
    ) == [["warmup", "belt"]]
    rests = query(
        warehouse,
        "select rest_before_set_s from stg_openbarbell__csv_rows"
        " where source_file_name = 'csv_early_app.csv' order by source_ordinal",
    )
    assert [r[0] for r in rests] == manifest["csv_early_app.csv"]["rest_before_set_s"]
    unusable = query(
        warehouse,
        "select unusable_reason from fct_reps join fct_sets using (set_id)"
        " where source_file like '%/csv_bad_numbers.csv' and not is_usable order by rep_index",
    )
    assert [r[0] for r in unusable] == manifest["csv_bad_numbers.csv"]["unusable"]


def test_records_reconcile_and_the_undecided_date_order_is_a_warning(warehouse):
    for level, read, accounted in query(
        warehouse, "select level, records_read, records_accounted from fct_record_counts"
    ):
        assert read == accounted, level
    assert scalar(warehouse, "select records_read from fct_record_counts where level = 'csv_row'")
    failed = scalar(
        warehouse,
        "select count(*) from dq_expectation_results where not success and severity = 'error'",
    )
    assert failed == 0
    warned = query(
        warehouse,
        "select severity, success, examples from dq_expectation_results"
        " where suite = 'staging.stg_openbarbell__csv_rows.date_order_from_locale_form'",
    )
    assert [(severity, success) for severity, success, _ in warned] == [("warn", False)]
    assert ".csv" in warned[0][2]
    undecided = query(
        warehouse,
        "select distinct date_order, date_order_decided_by from stg_openbarbell__csv_rows"
        " where source_file_name = 'csv_undecided_dates.csv'",
    )
    assert undecided == [("dmy", "locale_form")]
    decided = query(
        warehouse,
        "select distinct source_file_name, date_order from stg_openbarbell__csv_rows"
        " where date_order_decided_by = 'values' order by 1",
    )
    assert ("history_tags_de_de.csv", "dmy") in decided
    assert ("csv_us_dates_narrow_space.csv", "mdy") in decided
    precision = dict(
        query(warehouse, "select measurement_precision, count(*) from fct_reps group by 1")
    )
    assert set(precision) == {"device_array", "csv_two_decimals"}


def _json_sets(warehouse: Path, export: str) -> list[dict]:
    """The export's sets as the app's converter writes them: not removed, with at least one
    valid unremoved rep, in the order of their first such rep's time."""
    rows = query(
        warehouse,
        "select d.set_id, d.exercise_raw, d.rpe_raw, s.load_kg,"
        " coalesce(arg_min(r.rep_completed_at, r.rep_index), any_value(d.started_at)) as t,"
        " list([r.mean_velocity_m_s, r.rom_mm, r.peak_velocity_m_s,"
        "       r.peak_velocity_location_pct, r.duration_s] order by r.rep_index)"
        " from int_set_documents_triaged d"
        " join int_reps_decoded r on r.document_id = d.document_id"
        " left join int_sets_aggregated s on s.set_id = d.set_id"
        f" where d.source_file_name = '{export}' and d.document_disposition = 'kept'"
        " and r.is_app_valid and not r.is_removed"
        " group by all order by t, d.set_id",
    )
    return [_set(*row[1:4], row[5]) for row in rows]


def _csv_sets(warehouse: Path, name: str) -> list[dict]:
    rows = query(
        warehouse,
        "select d.set_id, d.exercise_raw, d.rpe_raw, s.load_kg,"
        " list([r.mean_velocity_m_s, r.rom_mm, r.peak_velocity_m_s,"
        "       r.peak_velocity_location_pct, r.duration_s] order by r.rep_index)"
        " from int_set_documents_triaged d"
        " join int_reps_decoded r on r.document_id = d.document_id"
        " left join int_sets_aggregated s on s.set_id = d.set_id"
        f" where d.source_file_name = '{name}' group by all order by min(d.source_ordinal)",
    )
    return [_set(*row[1:]) for row in rows]


def _set(exercise, rpe, load, reps) -> dict:
    return {"exercise": exercise, "rpe": rpe, "load_kg": load, "reps": reps}


def _agree(json_value, csv_value, tolerance: float) -> bool:
    if json_value is None:
        return csv_value is None
    if not math.isfinite(json_value):
        return csv_value is not None and not math.isfinite(csv_value)
    return csv_value is not None and abs(json_value - csv_value) <= tolerance


@pytest.mark.parametrize("name", sorted(CONVERTED))
def test_the_csv_build_agrees_with_the_json_build(warehouse, name):
    export = CONVERTED[name][0]
    expected, got = _json_sets(warehouse, export), _csv_sets(warehouse, name)
    assert len(got) == len(expected) > 0
    for index, (want, have) in enumerate(zip(expected, got, strict=True)):
        assert (have["exercise"], have["rpe"]) == (want["exercise"], want["rpe"]), index
        assert have["load_kg"] == (
            want["load_kg"] if want["load_kg"] is None else pytest.approx(want["load_kg"])
        ), index
        assert len(have["reps"]) == len(want["reps"]), index
        for json_rep, csv_rep in zip(want["reps"], have["reps"], strict=True):
            for position, tolerance in enumerate((PRINTED,) * 4 + (1e-8,)):
                if position == 4 and json_rep[4] is not None and not json_rep[4]:
                    # the app prints 0 for "not timed" (V1): a device's 0 (or NaN) reads null
                    assert csv_rep[4] is None
                    continue
                assert _agree(json_rep[position], csv_rep[position], tolerance), (
                    index,
                    MEASURES[position] if position < 4 else "duration_s",
                    json_rep,
                    csv_rep,
                )


def test_csv_sets_are_labelled_from_what_the_csv_holds(warehouse):
    """No trace in a CSV: its reps' trace features are null, and its sets still get a lift."""
    assert (
        scalar(
            warehouse,
            "select count(*) from ml_rep_features f join fct_reps r using (rep_id)"
            " where r.measurement_precision = 'csv_two_decimals'"
            " and f.trace_n_ticks is not null",
        )
        == 0
    )
    labelled = scalar(
        warehouse,
        "select avg((lift is not null)::int) from fct_sets s"
        " where source_file like '%/history_tags_de_de.csv' and rep_count_plausible > 0",
    )
    assert labelled > 0.9
