"""The quality checkpoint (Great Expectations, pandas route): a good warehouse passes, a
deliberately broken copy fails on exactly the expectations that were broken (so GX can
neither pass everything silently nor fail everything), with a readable summary, a
results table and HTML data docs; `liftlab build` runs it and fails on it."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from _spine import build_spine
from conftest import REPO, query

from liftlab.quality import RESULTS_TABLE, QualityFailed, run_checkpoint
from liftlab.quality.offline import CDN_FILES, AssetsMissing, make_offline, remote_loads

GOOD_FILES = REPO / "tests" / "fixtures" / "corpus" / "cases" / "good_*"


@pytest.fixture(scope="module")
def good_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Good files only, built by `liftlab build` with its checkpoint (which must pass)."""
    folder = tmp_path_factory.mktemp("quality")
    return build_spine(str(GOOD_FILES), folder / "good.duckdb", docs_dir=folder / "docs")


def test_build_ran_the_checkpoint_and_wrote_results_and_docs(good_warehouse):
    rows = query(
        good_warehouse,
        f"select count(*), count(*) filter (where success), count(distinct suite),"
        f" min(run_at) is not null from {RESULTS_TABLE}",
    )[0]
    total, passed, suites, has_time = rows
    # the per-lift plausible ranges (six lifts), device noise (two), CSV date order (one)
    assert total >= 30 and passed == total and suites >= 9 and has_time
    docs = good_warehouse.parent / "docs"
    assert (docs / "index.html").exists()
    pages = list((docs / "validations").rglob("*.html"))
    assert len(pages) >= 9
    assert "fct_reps" in (docs / "index.html").read_text(encoding="utf-8")


def test_results_table_columns(good_warehouse):
    columns = [
        r[0]
        for r in query(
            good_warehouse,
            f"select column_name from information_schema.columns"
            f" where table_name = '{RESULTS_TABLE}' order by ordinal_position",
        )
    ]
    for name in ("suite", "expectation", "column_name", "success", "unexpected_count"):
        assert name in columns
    assert {"examples", "run_at"} <= set(columns)


# What the checkpoint itself checks (liftlab.quality.suites): a broken copy fails on
# exactly those expectations.
BREAKAGE = [
    # physically impossible ROM on every plausible squat rep (a unit mix-up)
    "update fct_reps set rom_mm = rom_mm * 1000 where is_plausible",
    # a file whose share of implausible reps is above the threshold (a wrong decoding)
    "update fct_rep_plausibility set is_within_threshold = false",
    # a table a check reads missing altogether
    "drop table stg_openbarbell__csv_rows",
]
EXPECTED_FAILURES = {
    ("marts.fct_reps.plausible.squat", "expect_column_values_to_be_between", "rom_mm"),
    (
        "marts.fct_rep_plausibility.above_threshold",
        "expect_column_values_to_be_null",
        "source_file_name",
    ),
    (
        "staging.stg_openbarbell__csv_rows.date_order_from_locale_form",
        "expect_table_to_exist",
        None,
    ),
}


def test_broken_tables_fail_exactly_where_broken(good_warehouse, tmp_path):
    broken = tmp_path / "broken.duckdb"
    shutil.copy(good_warehouse, broken)
    with duckdb.connect(str(broken)) as con:
        for statement in BREAKAGE:
            con.execute(statement)

    with pytest.raises(QualityFailed) as failure:
        run_checkpoint(broken, docs_dir=tmp_path / "docs")
    summary = str(failure.value)

    failed = {
        (suite, expectation, column)
        for suite, expectation, column in query(
            broken,
            f"select suite, expectation, column_name from {RESULTS_TABLE} where not success",
        )
    }
    assert failed == EXPECTED_FAILURES
    passed = query(broken, f"select count(*) from {RESULTS_TABLE} where success")[0][0]
    assert passed >= 10  # the untouched expectations still pass

    # the summary names suite, expectation, column, unexpected count and examples
    assert f"{len(EXPECTED_FAILURES)} failed" in summary
    assert re.search(
        r"marts\.fct_reps\.plausible\.squat: expect_column_values_to_be_between \[rom_mm\]: "
        r"\d+ unexpected of \d+, e\.g\. \[\d",
        summary,
    )
    assert "stg_openbarbell__csv_rows is missing" in summary
    assert len(summary.splitlines()) <= 13
    count, examples = query(
        broken,
        f"select unexpected_count, examples from {RESULTS_TABLE}"
        " where suite = 'marts.fct_reps.plausible.squat' and column_name = 'rom_mm'",
    )[0]
    assert count > 0 and examples.startswith("[")
    assert (tmp_path / "docs" / "index.html").exists()


# What the checkpoint leaves to dbt tests (written once, in the yml beside each model and in
# tests/dbt/): the same kinds of breakage fail the dbt tests the spine build ran.
DBT_BREAKAGE = [
    # a lift outside the lifts seed
    "update fct_sets set lift = 'curl' where set_id = 'good-jl-00'",
    # a negative load
    "update fct_reps set load_kg = -20 where set_id = 'good-jl-01'",
    # a raw user id where a pseudonym belongs
    "update dim_lifters set lifter_id = 'corpus-good-1' where lifter_identified_by = 'user_id'"
    " and lifter_id = (select min(lifter_id) from dim_lifters"
    " where lifter_identified_by = 'user_id')",
    # counts that no longer add up
    "update fct_record_counts set records_accounted = records_accounted - 1 where level = 'rep'",
]
EXPECTED_DBT_FAILURES = {
    ("relationships", "fct_sets", "lift"),
    ("expect_column_values_to_be_between", "fct_reps", "load_kg"),
    ("expect_column_values_to_be_pseudonyms", "dim_lifters", "lifter_id"),
    ("assert_marts_hold_no_raw_identifiers", None, None),
    ("assert_record_counts_reconcile", None, None),
}
BROKEN_TABLES = {"fct_sets", "fct_reps", "dim_lifters", "fct_record_counts"}


def _failed_dbt_tests(target: Path) -> set[tuple]:
    manifest = json.loads((target / "manifest.json").read_text())
    results = json.loads((target / "run_results.json").read_text())["results"]
    failed = set()
    for result in results:
        if result["status"] not in ("fail", "error"):
            continue
        node = manifest["nodes"][result["unique_id"]]
        meta = node.get("test_metadata") or {}
        if not meta:  # a singular test
            failed.add((node["name"], None, None))
            continue
        model = node["attached_node"].rsplit(".", 1)[-1] if node.get("attached_node") else None
        failed.add((meta["name"], model, node.get("column_name")))
    return failed


def test_dbt_tests_catch_what_the_checkpoint_leaves_to_them(good_warehouse, tmp_path):
    from _spine import SPINE_SELECTION

    from liftlab.warehouse import DbtFailed, run_dbt

    broken = tmp_path / "broken_for_dbt.duckdb"
    shutil.copy(good_warehouse, broken)
    with duckdb.connect(str(broken)) as con:
        for statement in DBT_BREAKAGE:
            con.execute(statement)
    selection = ["--select", *SPINE_SELECTION, "--indirect-selection", "cautious"]
    with pytest.raises(DbtFailed):
        run_dbt(["test", *selection, "--exclude-resource-type", "unit_test"], broken, quiet=True)
    target = Path(os.environ.get("DBT_TARGET_PATH", REPO / "target"))
    failed = _failed_dbt_tests(target)
    assert failed >= EXPECTED_DBT_FAILURES, failed
    # and nothing the breakage does not explain: tests of the broken tables, the ties to
    # them (relationships) and the cross-table reconciliations (singular tests)
    unexplained = {
        f
        for f in failed
        if f[1] is not None and f[1] not in BROKEN_TABLES and f[0] != "relationships"
    }
    assert unexplained == set(), failed


def test_cli_flag_and_failure_exit(monkeypatch, capsys):
    from liftlab.commands import build as build_command

    parser = argparse.ArgumentParser()
    build_command.add_arguments(parser)
    seen = {}

    def fake_build(data, warehouse, **kwargs):
        seen.update(kwargs)
        raise QualityFailed("quality checkpoint: 1 of 2 expectations passed, 1 failed: ...")

    monkeypatch.setattr(build_command, "build", fake_build)
    code = build_command.run(parser.parse_args(["--data", "x.jsonl", "--skip-quality"]))
    assert code == 1 and seen["skip_quality"] is True
    assert "1 failed" in capsys.readouterr().err
    build_command.run(parser.parse_args(["--data", "x.jsonl"]))
    assert seen["skip_quality"] is False


@pytest.mark.parametrize("verdict", [True, False])
def test_a_gx_that_judges_everything_alike_is_not_trusted(verdict, monkeypatch, tmp_path):
    """GX passing everything (or failing everything, as its SQL route does here) is
    caught by the canary before any suite is trusted."""
    from great_expectations.datasource.fluent.interfaces import Batch

    original = Batch.validate

    def uniform(self, expect, **kwargs):
        outcome = original(self, expect, **kwargs)
        for result in outcome.results:
            result.success = verdict
        return outcome

    monkeypatch.setattr(Batch, "validate", uniform)
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(QualityFailed, match="misjudged its canary"):
        run_checkpoint(empty, checks=[], write_docs=False, write_results=False)


def test_a_renamed_column_fails_readably_without_a_traceback(good_warehouse, tmp_path):
    broken = tmp_path / "renamed.duckdb"
    shutil.copy(good_warehouse, broken)
    with duckdb.connect(str(broken)) as con:
        con.execute("alter table fct_reps rename column is_usable to usable")
        con.execute("alter table fct_reps rename column rom_mm to rom")
    report = run_checkpoint(broken, write_docs=False, raise_on_failure=False, write_results=False)
    failed = {(r.suite, r.expectation, r.column_name) for r in report.failures}
    # a column a check filters on: the read fails; a column it judges: GX says it is missing
    assert ("marts.fct_reps.implausible", "checkpoint_read_table", None) in failed
    squat = ("marts.fct_reps.plausible.squat", "expect_column_values_to_be_between", "rom_mm")
    assert squat in failed
    assert 'column "is_usable"' in report.summary()
    assert "Traceback" not in report.summary()


def _docs_files(docs: Path, suffixes=(".html", ".css")) -> list[Path]:
    vendor = docs / "static" / "vendor"
    return [p for p in docs.rglob("*") if p.suffix in suffixes and vendor not in p.parents]


def test_data_docs_load_nothing_from_the_network(good_warehouse):
    """GX's pages name Bootstrap, jQuery, Vega, Font Awesome ... on public CDNs; the
    checkpoint points them at the pinned copies under static/vendor, which exist."""
    docs = good_warehouse.parent / "docs"
    files = _docs_files(docs)
    assert len(files) >= 15
    remote = {str(p.relative_to(docs)): remote_loads(p.read_text("utf-8")) for p in files}
    assert {name: urls for name, urls in remote.items() if urls} == {}
    for page in _docs_files(docs, (".html",)):
        local = re.findall(r'(?:src|href)="([^"]*static/vendor/[^"]+)"', page.read_text("utf-8"))
        assert len(local) >= 10, page
        assert all((page.parent / ref).resolve().is_file() for ref in local), page


def test_missing_assets_leave_the_docs_online_only_with_a_reason(tmp_path):
    (tmp_path / "index.html").write_text(f'<script src="{next(iter(CDN_FILES))}"></script>')
    with pytest.raises(AssetsMissing, match="make setup-reports"):
        make_offline(tmp_path, vendor_dir=tmp_path / "not-installed")
    assert next(iter(CDN_FILES)) in (tmp_path / "index.html").read_text()


@pytest.mark.skipif(
    os.environ.get("LIFTLAB_SKIP_BROWSER_TESTS") == "1", reason="LIFTLAB_SKIP_BROWSER_TESTS=1"
)
def test_data_docs_render_offline_in_a_browser(good_warehouse, tmp_path):
    """Opened from disk in Chromium: jQuery, bootstrap-table and Font Awesome load, the
    tables have rows, and every request stays on file: (or data:) URLs."""
    from _cdp import Browser

    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not Path(chromium).exists():
        pytest.fail(f"{chromium} not found: run scripts/install_chromium.sh")
    docs = good_warehouse.parent / "docs"
    pages = [docs / "index.html", next((docs / "validations").rglob("*.html"))]
    browser = Browser(chromium, tmp_path / "profile")
    try:
        for page in pages:
            browser.events.clear()
            browser.call("Page.navigate", {"url": page.as_uri()})
            rows = browser.wait_for(
                "window.jQuery && jQuery.fn.bootstrapTable && typeof vegaEmbed === 'function'"
                " && document.querySelectorAll('.bootstrap-table table tbody tr').length",
                timeout=30,
            )
            assert rows >= 1, page
            font = browser.evaluate("getComputedStyle(document.querySelector('i.fas')).fontFamily")
            assert "Font Awesome" in font, page
            schemes = {url.split(":", 1)[0] for url in browser.requested_urls()}
            assert schemes <= {"file", "data"}, (page, browser.requested_urls())
    finally:
        browser.close()
