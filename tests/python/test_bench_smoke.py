"""A tiny run of `liftlab bench`, so that the benchmark cannot rot. No time is asserted."""

from __future__ import annotations

import json

from liftlab.bench.plot import scaling_svg
from liftlab.bench.runner import group_dbt_timings, sizes_for
from liftlab.cli import main


def test_bench_runs_end_to_end_at_a_tiny_scale(tmp_path):
    out = tmp_path / "out"
    work, limit = str(tmp_path / "work"), "1GB"
    code = main(
        ["bench", "--scales", "1500", "--work", work, "--out", str(out), "--memory-limit", limit]
    )
    assert code == 0
    report = (out / "BENCHMARKS.md").read_text()
    assert "| flatten and clean |" in report
    assert "## Machine" in report
    results = json.loads((out / "docs" / "bench" / "results.json").read_text())
    (result,) = results
    assert result["reps"] > 0
    assert result["memory_limit"] == "1GB"
    assert "memory_limit (LIFTLAB_MEMORY_LIMIT) at 1GB;" in report
    assert result["stages"]["quality"]["returncode"] == 0  # the checkpoint passed
    assert "| quality checkpoint |" in report
    assert "## liftlab against plain DuckDB" in report
    reference = result["reference"]
    # every line read, each valid one a set, its reps beside it (the generator's faults make
    # a few lines invalid)
    assert reference["lines"] >= reference["valid_lines"] == reference["sets"] > 0
    assert reference["reps"] > 0
    for stage in ("land", "dbt_build", "quality", "baseline", "duckdb_reference"):
        assert result["stages"][stage]["wall_s"] > 0
        assert result["stages"][stage]["peak_rss_mb"] > 0
    assert {"staging", "intermediate", "marts", "tests"} <= set(result["dbt_groups_s"])
    assert "## Unchanged rebuild (wall seconds)" in report
    assert result["rebuild_groups_s"]["classifier"] > 0
    assert "## Append of a daily file of 1% of the sets (wall seconds)" in report
    assert result["stages"]["append_dbt_build"]["wall_s"] > 0
    assert {"staging", "intermediate", "tests"} <= set(result["append_groups_s"])
    # the second `liftlab build --append` of the unchanged files built nothing
    assert result["stages"]["uptodate_build"]["wall_s"] > 0
    assert "nothing to build" in (tmp_path / "work" / "log_1500.txt").read_text()
    assert "`liftlab build --append`, nothing changed |" in report
    assert 0.0 <= result["baseline_stages_s"]["knn_accuracy"] <= 1.0
    assert (out / "docs" / "bench" / "scaling.svg").read_text().startswith("<svg")


def test_sizes_for_scales_with_reps():
    sets, lifters = sizes_for(211_000)
    assert 125_000 <= sets <= 135_000
    assert 450 <= lifters <= 550


def test_group_dbt_timings_by_layer():
    run_results = {
        "results": [
            {
                "unique_id": "model.x.a",
                "execution_time": 1.0,
                "node": {"original_file_path": "models/staging/x/a.sql"},
            },
            {
                "unique_id": "model.x.b",
                "execution_time": 2.0,
                "node": {"original_file_path": "python_models/classifier/b.py"},
            },
            {"unique_id": "test.x.c", "execution_time": 0.5, "node": {}},
            {"unique_id": "seed.x.d", "execution_time": 0.25, "node": {}},
        ]
    }
    assert group_dbt_timings(run_results) == {
        "staging": 1.0,
        "classifier": 2.0,
        "tests": 0.5,
        "seeds": 0.25,
    }


def test_scaling_svg_has_both_panels():
    svg = scaling_svg({"a": [(1e4, 2.0), (1e5, 9.0)]}, {"a": [(1e4, 100.0), (1e5, 300.0)]})
    assert svg.count("<polyline") == 2
    assert "Peak memory" in svg and "Wall time" in svg


def test_add_keeps_other_scales_and_replaces_the_rerun_ones(tmp_path):
    from liftlab.bench.runner import ScaleResult, load_results, merge_results, write_outputs

    def result(target: int, wall: float) -> ScaleResult:
        stage = {"wall_s": wall, "cpu_s": wall, "peak_rss_mb": 100.0}
        return ScaleResult(
            target, 10, 2, target, {"land": stage, "dbt_build": stage}, {"staging": wall}, {}
        )

    write_outputs([result(10, 1.0), result(200, 2.0)], tmp_path, ["liftlab bench"])
    earlier = load_results(tmp_path)
    assert [r.target_reps for r in earlier] == [10, 200]
    merged = merge_results(earlier, [result(200, 5.0), result(9000, 9.0)])
    assert [(r.target_reps, r.dbt_groups_s["staging"]) for r in merged] == [
        (10, 1.0),
        (200, 5.0),
        (9000, 9.0),
    ]
    write_outputs(merged, tmp_path, ["liftlab bench", "liftlab bench --scales 9000 --add"])
    report = (tmp_path / "BENCHMARKS.md").read_text()
    assert "`liftlab bench`, then `liftlab bench --scales 9000 --add`" in report
    assert load_results(tmp_path) == merged


def test_warehouse_connections_take_the_configured_memory_limit(tmp_path, monkeypatch):
    from liftlab.warehouse import connect

    monkeypatch.setenv("LIFTLAB_MEMORY_LIMIT", "700MB")
    with connect(tmp_path / "w.duckdb") as con:
        limit = con.sql("select current_setting('memory_limit')").fetchall()[0][0]
    assert limit.endswith("MiB") and 600 < float(limit.split()[0]) < 700
