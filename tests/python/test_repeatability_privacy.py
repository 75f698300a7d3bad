"""Repeatability and privacy of the warehouse spine, on small generated exports:

* building twice over the same input gives identical marts (checksums per mart, rows
  ordered by key);
* adding a second export and building again with `--append` adds its sets without
  duplicating the first file's (the unchanged first file is not landed again), and the
  incremental staging then holds what a full build of the two files holds, as it does
  after a file changed in place is appended again;
* no mart, no file of the built report site (reports/build, when present) and no page of
  the quality data docs holds a raw user id from the input or a MAC address;
* built with a salt of its own (LIFTLAB_ID_SALT), the ids follow that salt, and neither
  the salt nor the input's user ids and MACs are anywhere in dbt's target/ (compiled SQL,
  manifest, run_results) or logs/, in the quality docs (build/quality) or in the
  warehouse file;
* the rebuilds leave no `__dbt_tmp` table behind (the incremental Python model
  cluster_runs is built with the spine here, then appended to);
* the public demo salt on real input warns (or, strict, refuses); `liftlab report`
  empties what earlier site builds wrote.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import re
import secrets
import shutil
from pathlib import Path

import pandas as pd
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
# A salt of this module's own: found anywhere on disk, it leaked.
SALT = f"liftlab-test-salt-{secrets.token_hex(8)}"
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
        sums[mart] = rows_checksum(
            query(warehouse, f"select {columns} from {mart}{condition} order by {key}")
        )
    return sums


def rows_checksum(rows: list[tuple]) -> str:
    """Row count and digest of ``rows``, in the order of their stable text form (so ties on
    a key, and tables without one, digest the same whatever order they come in)."""
    texts = sorted(json.dumps(_normal(list(row)), ensure_ascii=False) for row in rows)
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode() + b"\n")
    return f"{len(rows)}:{digest.hexdigest()}"


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
    dbt_target, dbt_logs = folder / "target", folder / "logs"

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LIFTLAB_ID_SALT", SALT)
        # this module's dbt artifacts and logs, to scan (not the shared target/ and logs/)
        patch.setenv("DBT_TARGET_PATH", str(dbt_target))
        patch.setenv("DBT_LOG_PATH", str(dbt_logs))
        # cluster_runs (an incremental Python model) in the first and last builds: the
        # last appends to it, the path that used to leave a __dbt_tmp table behind
        spine = {"docs_dir": docs, "also_select": ("int_lifter_clusters_fitted", "cluster_runs")}
        build_spine(first_dir, warehouse, **spine)
        once = mart_checksums(warehouse)
        once_without_model = mart_checksums(warehouse, exclude=MODEL_DERIVED)
        sets_once = {r[0] for r in query(warehouse, "select set_id from fct_sets")}
        documents_once = scalar(warehouse, "select count(*) from raw.set_documents")

        trained_once = _training(warehouse)

        build_spine(first_dir, warehouse, docs_dir=docs)
        twice = mart_checksums(warehouse)
        trained_twice = _training(warehouse)

        # the second export beside the first: the first is unchanged, so not landed again
        second.rename(first_dir / second.name)
        build_spine(first_dir, warehouse, append=True, **spine)
        appended = mart_checksums(warehouse)
        appended_staging = staging_rows(warehouse)
        staging_sql = dbt_target / "compiled" / "liftlab" / "models" / "staging" / "openbarbell"
        appended_sql = {table: (staging_sql / f"{table}.sql").read_text() for table in STAGING}
        # what the other tests read: the warehouse and export A as they are now
        snapshot = shutil.copy(warehouse, folder / "appended.duckdb")
        first_original = shutil.copy(first, folder / "export_a_original.jsonl.gz")
        # the same two files built whole: the incremental staging must give the same
        full = build_spine(first_dir, folder / "full.duckdb", docs_dir=docs)
        full_once = mart_checksums(full)
        full_staging = staging_rows(full)
        # export A changed in place (same path, new content): landed again, it replaces its
        # rows in the incremental staging, as a full build of the new pair does
        generate(first, seed=33)
        build_spine(first_dir, warehouse, append=True, docs_dir=docs)
        replaced = mart_checksums(warehouse), staging_rows(warehouse, landing_order=False)
        full = build_spine(first_dir, folder / "full.duckdb", docs_dir=docs)
        full_replaced = mart_checksums(full), staging_rows(full, landing_order=False)
    return {
        "appended": (appended, appended_staging),
        "appended_sql": appended_sql,
        "full": (full_once, full_staging),
        "replaced": replaced,
        "full_replaced": full_replaced,
        "warehouse": Path(snapshot),
        "docs": docs,
        "dbt_target": dbt_target,
        "dbt_logs": dbt_logs,
        "first": first,  # export A as it was changed last (a generated file, manifest beside)
        "first_original": Path(first_original),  # export A as the snapshot holds it
        "second": first_dir / second.name,
        "once": once,
        "once_without_model": once_without_model,
        "twice": twice,
        "trained_once": trained_once,
        "trained_twice": trained_twice,
        "sets_once": sets_once,
        "documents_once": documents_once,
    }


STAGING = (
    "stg_openbarbell__set_documents",
    "stg_openbarbell__reps",
    "stg_openbarbell__csv_rows",
)


def staging_rows(warehouse: Path, *, landing_order: bool = True) -> dict[str, str]:
    """Row count and digest of each incremental staging table (rows in a stable order);
    without ``landing_order``, leaving load_sequence out (a full build numbers the files in
    their order, appends in the order they came)."""
    sums = {}
    columns = "*" if landing_order else "* exclude (load_sequence)"
    for table in STAGING:
        sums[table] = rows_checksum(query(warehouse, f"select {columns} from {table}"))
    return sums


def _training(warehouse: Path) -> tuple[list[tuple], list[tuple]]:
    """When the classifier's cross-validation ran, and its predictions."""
    evaluated = query(
        warehouse, "select distinct evaluated_at, training_digest from ml_classifier_metrics"
    )
    predictions = query(warehouse, "select * from fct_set_exercise_predictions order by set_id")
    return evaluated, predictions


def test_a_rebuild_keeps_the_classifiers_training(runs):
    """The same export built again: the classifier's tables are carried over and, the
    training digest being the same, its cross-validation is not run again (evaluated_at is
    the first build's) and the saved model gives the same predictions (what a new fit
    gives, as building twice shows)."""
    (evaluated, predictions), again = runs["trained_once"], runs["trained_twice"]
    assert len(evaluated) == 1 and len(predictions) > 100
    assert again[0] == evaluated
    # the same model: the same predictions, up to the last bits of a random forest's
    # multithreaded sum over its trees
    pd.testing.assert_frame_equal(
        pd.DataFrame(again[1]), pd.DataFrame(predictions), check_exact=False, rtol=1e-9
    )


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


def test_an_append_stages_only_new_files_into_what_a_full_build_gives(runs):
    """The staging models are incremental by landed file (macros/incremental_files.sql):
    after an --append, the staging tables and the marts are those of a full build of the
    same files; so they are after a file changed in place and was landed again."""
    for table, sql in runs["appended_sql"].items():  # the append ran them incrementally
        assert "load_sequence not in (select distinct load_sequence from" in sql, table
    (marts, staging), (full_marts, full_staging) = runs["appended"], runs["full"]
    assert all(not v.startswith("0:") for k, v in staging.items() if "csv" not in k)
    assert staging == full_staging
    assert marts == full_marts
    # after the change, export A was landed last (load_sequence 3; a full build gives it 1)
    assert runs["replaced"] == runs["full_replaced"]
    assert runs["replaced"][0]["fct_sets"] != marts["fct_sets"]  # export A's rows changed


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


def _input_identifiers(runs) -> tuple[set[str], set[str]]:
    users, macs = set(), set()
    for path in (runs["first_original"], runs["second"]):
        u, m = raw_identifiers(path)
        users |= u
        macs |= m
    assert users and macs  # the scan looks for something that is in the input
    return users, macs


def test_no_mart_holds_a_raw_user_id_or_a_mac(runs):
    users, _ = _input_identifiers(runs)
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
    for path in (runs["first_original"], runs["second"]):
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


def test_ids_follow_the_salt_in_force(runs):
    """The SQL macro hashed with the module's salt, as liftlab.privacy does in Python."""
    from liftlab.privacy import DEFAULT_SALT, pseudonymize

    users, _ = _input_identifiers(runs)
    lifters = {r[0] for r in query(runs["warehouse"], "select lifter_id from dim_lifters")}
    assert lifters and lifters <= {pseudonymize(u, SALT) for u in users}
    assert not lifters & {pseudonymize(u, DEFAULT_SALT) for u in users}


def test_no_salt_raw_id_or_mac_in_dbt_artifacts_logs_docs_or_warehouse(runs):
    """target/ (compiled and run SQL, manifest.json, run_results.json, partial parse),
    logs/dbt.log and the quality docs hold neither the salt nor a user id or MAC address of
    the input; nor does the warehouse file hold the salt (its raw layer keeps the input's
    text, ids included, by design)."""
    users, macs = _input_identifiers(runs)
    salt = SALT.encode()
    personal = [salt] + [v.encode() for v in sorted(users | macs)]
    files = [p for d in ("dbt_target", "dbt_logs", "docs") for p in runs[d].rglob("*")]
    files = [p for p in files if p.is_file()]
    names = {p.name for p in files}
    assert {"manifest.json", "run_results.json", "dbt.log"} <= names
    assert any("compiled" in p.parts for p in files) and any("run" in p.parts for p in files)
    hits = {}
    for path, needles in [(p, personal) for p in files] + [(runs["warehouse"], [salt])]:
        blob = path.read_bytes()
        found = [n.decode() for n in needles if n in blob]
        if found:
            hits[str(path)] = found[:5]
    assert hits == {}


def test_rebuilds_leave_no_dbt_tmp_tables(runs):
    warehouse = runs["warehouse"]
    # cluster_runs was built, then appended to by a later build
    assert scalar(warehouse, "select count(distinct run_at) from cluster_runs") >= 2
    leftovers = query(
        warehouse,
        "select table_schema, table_name from information_schema.tables"
        " where contains(table_name, '__dbt_tmp')",
    )
    assert leftovers == []


def test_the_demo_salt_on_real_input_warns_or_refuses(runs, tmp_path, monkeypatch, capsys):
    from liftlab.cli import main
    from liftlab.privacy import DefaultSaltRefused, check_default_salt

    monkeypatch.delenv("LIFTLAB_ID_SALT", raising=False)
    generated = runs["first"]
    check_default_salt(str(generated), strict=True)  # the generator's output: nothing
    assert capsys.readouterr().err == ""
    real = tmp_path / "real" / "export.jsonl.gz"  # the same bytes, without the manifest
    real.parent.mkdir()
    shutil.copy(generated, real)
    check_default_salt(str(real.parent))
    (line,) = capsys.readouterr().err.splitlines()
    assert "warning" in line and "export.jsonl.gz" in line and "LIFTLAB_ID_SALT" in line
    with pytest.raises(DefaultSaltRefused):
        check_default_salt(str(real), strict=True)
    warehouse = tmp_path / "refused.duckdb"
    code = main(["build", "--strict", "--data", str(real), "--warehouse", str(warehouse)])
    assert code == 2 and not warehouse.exists()
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("liftlab build: refusing")
    monkeypatch.setenv("LIFTLAB_ID_SALT", SALT)
    check_default_salt(str(real), strict=True)  # a salt of one's own: nothing
    assert capsys.readouterr().err == ""


def test_report_build_starts_from_empty_data_folders(tmp_path):
    """What earlier site builds wrote (Evidence's source data, its build output and
    reports/build) goes before the next build; the project itself stays."""
    from liftlab.commands.report import BUILD_OUTPUTS, clear_build_outputs

    project = tmp_path / "reports"
    kept = [project / "pages" / "index.md", project / "sources" / "liftlab" / "x.sql"]
    stale = [
        project / folder / "liftlab" / "rpt_overview" / "old.parquet" for folder in BUILD_OUTPUTS
    ]
    for path in kept + stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("warehouse A")
    clear_build_outputs(project)
    assert all(path.exists() for path in kept)
    assert not any((project / folder).exists() for folder in BUILD_OUTPUTS)
    clear_build_outputs(project)  # nothing to clear: no error


@pytest.mark.parametrize("outcome", ["fails", "succeeds"])
def test_a_failed_site_build_leaves_the_last_good_site(outcome, tmp_path, monkeypatch):
    """The published site is set aside while a new one builds: a failed build puts it
    back, a good one replaces it (and the set-aside copy goes)."""
    from liftlab.commands import report

    project = tmp_path / "reports"
    (project / "build").mkdir(parents=True)
    (project / "build" / "index.html").write_text("site A")
    monkeypatch.setattr(report, "export_report_data", lambda warehouse, out: {})
    monkeypatch.setattr(report, "ensure_npm_packages", lambda reports, quiet=False: None)

    def evidence(reports, command, quiet=False):
        if command == "build":
            if outcome == "fails":
                (reports / "build").mkdir(exist_ok=True)  # half a site, then the error
                raise report.ReportError("`evidence build` failed (exit 1)")
            (reports / "build").mkdir(exist_ok=True)
            (reports / "build" / "index.html").write_text("site B")

    monkeypatch.setattr(report, "evidence", evidence)
    warehouse = tmp_path / "w.duckdb"
    warehouse.touch()
    if outcome == "fails":
        with pytest.raises(report.ReportError):
            report.build_site(warehouse, project, quiet=True)
        assert (project / "build" / "index.html").read_text() == "site A"
    else:
        report.build_site(warehouse, project, quiet=True)
        assert (project / "build" / "index.html").read_text() == "site B"
    assert not (project / report.PREVIOUS_SITE).exists()
