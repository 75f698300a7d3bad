"""The warehouse built from the real OpenBarbell app history sample: exact figures."""

from __future__ import annotations

import subprocess
import sys

import duckdb
from conftest import REPO, query, scalar

from liftlab.privacy import pseudonymize


def test_sets_reps_and_usable_reps(sample_warehouse):
    assert scalar(sample_warehouse, "select count(*) from fct_sets") == 60
    assert scalar(sample_warehouse, "select count(*) from fct_reps") == 162
    assert scalar(sample_warehouse, "select count(*) from fct_reps where is_usable") == 160


def test_unusable_reps_have_reasons(sample_warehouse):
    rows = query(
        sample_warehouse,
        "select unusable_reason, mean_velocity_m_s from fct_reps where not is_usable order by 1",
    )
    assert rows == [
        ("non_finite_velocity", float("inf")),
        ("velocity_out_of_range", 299792458.0),
    ]


def test_lifts_and_workouts(sample_warehouse):
    lifts = dict(query(sample_warehouse, "select typed_lift, count(*) from fct_sets group by 1"))
    assert lifts == {"squat": 49, "bench_press": 11}
    assert scalar(sample_warehouse, "select count(*) from fct_workouts") == 12
    assert scalar(sample_warehouse, "select count(*) from dim_lifters") == 1


def test_thousand_pound_squat_is_flagged_not_deleted(sample_warehouse):
    rows = query(
        sample_warehouse,
        "select typed_lift, weight_value, weight_unit, round(load_kg, 3) from fct_sets"
        " where is_load_outlier",
    )
    assert rows == [("squat", 1000.0, "lb", round(1000 * 0.45359237, 3))]


def test_garbage_rpe_is_nulled_and_flagged(sample_warehouse):
    rows = query(
        sample_warehouse,
        "select rpe_raw, rpe, rpe_status from fct_sets where is_rpe_flagged",
    )
    assert rows == [("1575.0", None, "out_of_range")]
    # "0.0" means not entered: null, not flagged
    assert scalar(sample_warehouse, "select count(*) from fct_sets where rpe = 0") == 0


def test_loads_are_converted_to_kg_and_keep_the_original(sample_warehouse):
    rows = query(
        sample_warehouse,
        "select weight_raw, weight_unit_raw, load_kg from fct_sets"
        " where weight_raw = '184.664246824' limit 1",
    )
    _raw, unit, load_kg = rows[0]
    factor = 0.45359237 if unit == "lbs" else 1.0
    assert abs(load_kg - 184.664246824 * factor) < 1e-9


def test_lifter_id_is_the_salted_hash_of_the_source_file(sample_warehouse, sample_path):
    lifter_id = scalar(sample_warehouse, "select lifter_id from dim_lifters")
    assert lifter_id == pseudonymize(f"file:{sample_path.name}")


def test_everything_read_is_accounted_for(sample_warehouse):
    rows = query(
        sample_warehouse,
        "select level, records_read, records_kept, records_accounted from fct_record_counts"
        " order by level",
    )
    assert rows == [("csv_row", 0, 0, 0), ("document", 60, 60, 60), ("rep", 162, 162, 162)]
    assert scalar(sample_warehouse, "select count(*) from rejected_records") == 0


def test_no_mac_address_or_device_name_in_marts(sample_warehouse):
    for table in ("fct_reps", "fct_sets", "fct_workouts", "dim_lifters", "rejected_records"):
        columns = [r[0] for r in query(sample_warehouse, f"describe {table}")]
        text_columns = " || ".join(f"coalesce({c}::varchar, '')" for c in columns)
        hits = scalar(
            sample_warehouse,
            f"select count(*) from {table} where regexp_matches({text_columns},"
            " '([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}')",
        )
        assert hits == 0, table


def test_liftlab_sql_answers(sample_warehouse):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "liftlab.cli",
            "sql",
            "select count(*) as reps from fct_reps",
            "--warehouse",
            str(sample_warehouse),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    assert "162" in result.stdout


def test_liftlab_sql_is_read_only(sample_warehouse):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "liftlab.cli",
            "sql",
            "delete from fct_reps",
            "--warehouse",
            str(sample_warehouse),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert result.returncode == 1
    assert "read-only" in result.stderr.lower()
    assert scalar(sample_warehouse, "select count(*) from fct_reps") == 162


def test_tuning_runs_have_a_table_of_their_own(sample_warehouse):
    """The build creates liftlab tune's table (empty) with the columns and types of the
    builds' run log, and the clusters page reads both."""
    with duckdb.connect(str(sample_warehouse), read_only=True) as con:
        tuning = con.execute("describe cluster_tuning_runs").fetchall()
        builds = con.execute("describe cluster_runs").fetchall()
        assert [(c[0], c[1]) for c in tuning] == [(c[0], c[1]) for c in builds]
        assert con.execute("select count(*) from cluster_tuning_runs").fetchall() == [(0,)]
        assert con.execute("select count(*) from rpt_cluster_runs").fetchall() == (
            con.execute("select count(*) from cluster_runs").fetchall()
        )


def test_cluster_tables_ref_the_one_fit(sample_warehouse):
    """One model fits: every cluster table is downstream of int_lifter_clusters_fitted in the
    DAG of the build, and none but it reads fct_sets (cluster_runs no longer looks beside
    the export for ground truth); what the tables hold is the library's fit of the same sets."""
    import json
    import os
    from pathlib import Path

    from liftlab.clustering import pipeline, tables
    from liftlab.clustering.config import resolve_config
    from liftlab.clustering.features import source_columns

    target = Path(os.environ.get("DBT_TARGET_PATH", REPO / "target"))  # per xdist worker
    manifest = json.loads((target / "manifest.json").read_text())
    parents = {
        node["name"]: {p.rsplit(".", 1)[-1] for p in node["depends_on"]["nodes"]}
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }
    downstream = ["lifter_cluster_features", "lifter_clusters", "lifter_pca"]
    downstream += ["cluster_profiles", "cluster_linkage", "cluster_runs"]
    for name in downstream:
        assert "int_lifter_clusters_fitted" in parents[name], name
    readers = {name for name, p in parents.items() if "fct_sets" in p}
    clustering = {*downstream, "cluster_dendrogram", "int_lifter_clusters_fitted"}
    assert readers & clustering == {"int_lifter_clusters_fitted"}

    cfg = resolve_config("default", experiments_file=REPO / "config" / "clustering_experiments.yml")
    columns = ", ".join(f'"{c}"' for c in source_columns(cfg))
    with duckdb.connect(str(sample_warehouse), read_only=True) as con:
        sets = con.sql(f"select {columns} from fct_sets").df()
        table = con.sql("select * exclude (experiment, config_hash) from lifter_clusters").df()
    expected = tables.clusters_table(pipeline.fit_sets(sets, cfg)[1])
    keys = ["lift", "group_key"]
    got = table.sort_values(keys).reset_index(drop=True)
    expected = expected.sort_values(keys).reset_index(drop=True)
    assert (
        got[["lifter_id", "cluster_id", "membership"]]
        .astype(str)
        .equals(expected[["lifter_id", "cluster_id", "membership"]].astype(str))
    )


def test_landing_freshness_warns_and_never_fails(sample_warehouse, tmp_path):
    """raw.landed_files' freshness on landed_at: a fresh build passes; a warehouse whose
    last landing is a month old warns (exit 0: warn_after only)."""
    import json
    import os
    import shutil
    from pathlib import Path

    from liftlab.warehouse import run_dbt

    target = Path(os.environ.get("DBT_TARGET_PATH", REPO / "target"))
    selection = ["source", "freshness", "--select", "source:openbarbell.landed_files"]
    stale = tmp_path / "stale.duckdb"
    shutil.copy(sample_warehouse, stale)
    with duckdb.connect(str(stale)) as con:
        con.execute("update raw.landed_files set landed_at = landed_at - interval 30 day")
    statuses = []
    for warehouse in (sample_warehouse, stale):
        run_dbt(selection, warehouse, quiet=True)  # raises DbtFailed on an error
        (result,) = json.loads((target / "sources.json").read_text())["results"]
        statuses.append(result["status"])
    assert statuses == ["pass", "warn"]


def test_the_dbt_unit_tests_run_here_not_in_liftlab_build(sample_warehouse, tmp_path):
    """`liftlab build` leaves the dbt unit tests out (static inputs: dbt recommends them in
    development and CI, not in production runs); the test suite runs every one of them."""
    import json
    import os
    import shutil
    from pathlib import Path

    import yaml

    from liftlab.warehouse import BUILD_ARGUMENTS, run_dbt

    assert BUILD_ARGUMENTS == ("build", "--exclude-resource-type", "unit_test")
    defined = sum(
        len((yaml.safe_load(path.read_text()) or {}).get("unit_tests") or [])
        for folder in ("models", "python_models")
        for path in (REPO / folder).rglob("*.yml")
    )
    warehouse = tmp_path / "unit.duckdb"  # dbt opens it to write: a copy of its own
    shutil.copy(sample_warehouse, warehouse)
    run_dbt(["test", "--select", "test_type:unit"], warehouse, quiet=True)
    target = Path(os.environ.get("DBT_TARGET_PATH", REPO / "target"))
    results = json.loads((target / "run_results.json").read_text())["results"]
    unit = [r["status"] for r in results if r["unique_id"].startswith("unit_test.")]
    assert defined >= 18
    assert unit == ["pass"] * defined
    # nothing else ran but the project's on-run-start hook
    assert all(r["unique_id"].startswith(("unit_test.", "operation.")) for r in results)
