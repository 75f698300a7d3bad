"""`liftlab bench`: generate datasets at several scales, run liftlab's stages and the
pandas baseline on the same files, and write BENCHMARKS.md with a scaling plot.

Every stage runs as its own process and is measured with wait4 (wall time, CPU time, peak
RSS). Inside `dbt build`, the per-model times come from dbt's run_results.json, grouped by
layer. Nothing here asserts a time: figures are printed and written, not tested.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from liftlab import environment
from liftlab.bench.measure import Measurement, machine_description, measure_command
from liftlab.bench.plot import scaling_svg
from liftlab.warehouse import BUILD_ARGUMENTS, dbt_executable, project_dir

REPS_PER_SET = 1.61  # the generator's default mix (about 205,600 reps in 128,000 sets)
SETS_PER_LIFTER = 256
DEFAULT_SCALES = (10_000, 211_000, 2_000_000)
FULL_SCALE = 10_000_000
# address-space cap for the pandas baseline, so that running out of memory ends it with a
# MemoryError instead of the kernel's OOM killer picking a process
BASELINE_MEMORY_LIMIT_GB = 18
# DuckDB's memory_limit (LIFTLAB_MEMORY_LIMIT) for liftlab's stages: with it, a stage's peak
# is about this plus what its Python holds, at any scale
BENCH_MEMORY_LIMIT = "3GB"

# dbt node path prefix -> stage name
DBT_GROUPS = (
    ("models/staging/", "staging"),
    ("models/intermediate/", "intermediate"),
    ("models/marts/reports/", "report_data"),
    ("models/marts/clustering/", "clustering"),
    ("models/marts/", "marts"),
    ("python_models/classifier/", "classifier"),
    ("python_models/clustering/", "clustering"),
)


@dataclass
class ScaleResult:
    """Every figure taken at one scale."""

    target_reps: int
    sets: int
    lifters: int
    reps: int = 0
    stages: dict[str, dict] = field(default_factory=dict)
    dbt_groups_s: dict[str, float] = field(default_factory=dict)
    baseline_stages_s: dict[str, float] = field(default_factory=dict)
    reference: dict[str, float] = field(default_factory=dict)  # liftlab.bench.reference figures
    memory_limit: str = ""  # DuckDB memory_limit of liftlab's stages ("" = DuckDB's default)
    # the unchanged rebuild's dbt layers (the same file landed again, dbt build again)
    rebuild_groups_s: dict[str, float] = field(default_factory=dict)
    # the append's dbt layers (a daily file of about APPEND_SHARE of the sets landed on top)
    append_groups_s: dict[str, float] = field(default_factory=dict)
    # when the run that measured this scale started (UTC, ISO): figures of two scales are
    # compared only when one run took both (the machine's speed changes between runs)
    run_started: str = ""


# the daily file of the append stage, as a share of the scale's sets and lifters
APPEND_SHARE = 0.01


def sizes_for(target_reps: int) -> tuple[int, int]:
    """(sets, lifters) that give about ``target_reps`` reps."""
    sets = max(200, round(target_reps / REPS_PER_SET))
    return sets, max(10, sets // SETS_PER_LIFTER)


def group_dbt_timings(run_results: dict) -> dict[str, float]:
    """Seconds per stage from dbt's run_results.json; tests are summed as `tests`."""
    groups: dict[str, float] = {}
    for result in run_results.get("results", []):
        unique_id = result.get("unique_id", "")
        seconds = float(result.get("execution_time") or 0.0)
        name = "tests" if unique_id.startswith(("test.", "unit_test.")) else _group_of(result)
        groups[name] = groups.get(name, 0.0) + seconds
    return groups


def _group_of(result: dict) -> str:
    node_path = (result.get("node") or {}).get("original_file_path") or result.get("path", "")
    for prefix, name in DBT_GROUPS:
        if node_path.startswith(prefix):
            return name
    if result.get("unique_id", "").startswith("seed."):
        return "seeds"
    return "other"


def _node_paths(manifest_path: Path) -> dict[str, str]:
    if not manifest_path.exists():
        return {}
    nodes = json.loads(manifest_path.read_text()).get("nodes", {})
    return {key: node.get("original_file_path", "") for key, node in nodes.items()}


def run_scale(
    target_reps: int,
    work: Path,
    *,
    baseline: bool,
    seed: int,
    memory_limit: str = BENCH_MEMORY_LIMIT,
) -> ScaleResult:
    """Generate, land, build and (optionally) run the baseline at one scale."""
    sets, lifters = sizes_for(target_reps)
    result = ScaleResult(target_reps, sets, lifters, memory_limit=memory_limit)
    data = work / f"export_{target_reps}.jsonl.gz"
    warehouse = work / f"warehouse_{target_reps}.duckdb"
    target_path = work / f"dbt_target_{target_reps}"
    log = work / f"log_{target_reps}.txt"
    python = sys.executable
    env = environment.for_child(
        **{environment.WAREHOUSE: str(warehouse), environment.MEMORY_LIMIT: memory_limit}
    )
    if not data.exists():
        generate = [python, "-m", "liftlab.cli", "generate", "--quiet", "--sets", str(sets)]
        generate += ["--lifters", str(lifters), "--seed", str(seed), "--out", str(data)]
        result.stages["generate"] = _checked(measure_command(generate, log=log), "generate")
    manifest = json.loads(
        data.with_name(data.name.replace(".jsonl.gz", ".manifest.json")).read_text()
    )
    result.reps = int(manifest["counts"]["reps"])
    for path in warehouse.parent.glob(warehouse.name + "*"):
        path.unlink()
    land = [python, "-m", "liftlab.bench.stage", "land", str(data), str(warehouse)]
    result.stages["land"] = _checked(measure_command(land, env=env, log=log), "land")
    project = project_dir()
    # `dbt build` as `liftlab build` runs it (without the unit tests: BUILD_ARGUMENTS)
    dbt = [dbt_executable(), *BUILD_ARGUMENTS, "--project-dir", str(project)]
    dbt += ["--profiles-dir", str(project)]
    dbt += ["--target-path", str(target_path)]
    result.stages["dbt_build"] = _checked(
        measure_command(dbt, env=env, cwd=project, log=log), "dbt build"
    )
    quality = [python, "-m", "liftlab.bench.stage", "quality", "-", str(warehouse)]
    quality.append(str(work / f"quality_docs_{target_reps}"))
    # a failed expectation is a result to report, not a reason to stop the benchmark
    result.stages["quality"] = asdict(measure_command(quality, env=env, log=log))
    # the plain-DuckDB flatten of the same file (liftlab.bench.reference), a floor
    reference_out = work / f"reference_{target_reps}.json"
    reference = [python, "-m", "liftlab.bench.reference", str(data)]
    reference += [str(work / f"reference_{target_reps}.duckdb"), "--json-out", str(reference_out)]
    result.stages["duckdb_reference"] = _checked(
        measure_command(reference, log=log), "DuckDB reference"
    )
    result.reference = json.loads(reference_out.read_text())
    result.dbt_groups_s = _dbt_groups(target_path)
    # an unchanged rebuild on the built warehouse: landing skips the file it holds (its
    # ledger, raw.landed_files), and the classifier keeps its training (liftlab.ml.reuse)
    reland = [python, "-m", "liftlab.bench.stage", "reland", str(data), str(warehouse)]
    result.stages["rebuild_land"] = _checked(
        measure_command(reland, env=env, log=log), "rebuild land"
    )
    rebuild_target = work / f"dbt_target_{target_reps}_rebuild"
    rebuild = [*dbt[:-1], str(rebuild_target)]
    result.stages["rebuild_dbt_build"] = _checked(
        measure_command(rebuild, env=env, cwd=project, log=log), "rebuild dbt build"
    )
    result.rebuild_groups_s = _dbt_groups(rebuild_target)
    # a daily file of about 1 % of the sets landed on top and `dbt build` again: the
    # staging models parse that file only (macros/incremental_files.sql)
    daily = work / f"daily_{target_reps}.jsonl.gz"
    if not daily.exists():
        generate = [python, "-m", "liftlab.cli", "generate", "--quiet", "--out", str(daily)]
        generate += ["--sets", str(max(1, round(APPEND_SHARE * sets))), "--seed", str(seed + 1)]
        generate += ["--lifters", str(max(1, round(APPEND_SHARE * lifters)))]
        _checked(measure_command(generate, log=log), "generate the daily file")
    append = [python, "-m", "liftlab.bench.stage", "reland", str(daily), str(warehouse)]
    result.stages["append_land"] = _checked(
        measure_command(append, env=env, log=log), "append land"
    )
    append_target = work / f"dbt_target_{target_reps}_append"
    result.stages["append_dbt_build"] = _checked(
        measure_command([*dbt[:-1], str(append_target)], env=env, cwd=project, log=log),
        "append dbt build",
    )
    result.append_groups_s = _dbt_groups(append_target)
    # `liftlab build --append` of both files, twice: the first builds (the bench's warehouse
    # has no build_log yet); the second has nothing to land and the first's fingerprint
    # (liftlab.uptodate), so it builds nothing: what a scheduled build without new data costs
    again = [python, "-m", "liftlab.cli", "build", "--quiet", "--append", "--skip-quality"]
    again += ["--data", str(work / f"*_{target_reps}.jsonl.gz"), "--warehouse", str(warehouse)]
    _checked(measure_command(again, env=env, log=log), "liftlab build --append")
    result.stages["uptodate_build"] = _checked(
        measure_command(again, env=env, log=log), "unchanged liftlab build --append"
    )
    if baseline:
        out = work / f"baseline_{target_reps}.json"
        command = [python, "-m", "liftlab.bench.baseline", str(data), "--json-out", str(out)]
        # the baseline may run out of memory at large scales: that is a result, not a crash
        measured = measure_command(command, log=log, memory_limit_gb=BASELINE_MEMORY_LIMIT_GB)
        result.stages["baseline"] = asdict(measured)
        if measured.returncode == 0:
            result.baseline_stages_s = json.loads(out.read_text())
    return result


def _dbt_groups(target_path: Path) -> dict[str, float]:
    run_results = json.loads((target_path / "run_results.json").read_text())
    paths = _node_paths(target_path / "manifest.json")
    for item in run_results.get("results", []):
        item.setdefault("node", {})["original_file_path"] = paths.get(item["unique_id"], "")
    return group_dbt_timings(run_results)


def rebuild_seconds(result: ScaleResult, kind: str = "rebuild") -> float | None:
    """Land + dbt build of the unchanged rebuild, or of the ``append`` (None when not
    measured)."""
    land, build = result.stages.get(f"{kind}_land"), result.stages.get(f"{kind}_dbt_build")
    return land["wall_s"] + build["wall_s"] if land and build else None


def _checked(measurement: Measurement, name: str) -> dict:
    if measurement.returncode != 0:
        raise RuntimeError(f"benchmark stage {name} failed (exit {measurement.returncode})")
    return asdict(measurement)


# --------------------------------------------------------------------------------------
# reporting
# --------------------------------------------------------------------------------------


def flatten_seconds(result: ScaleResult) -> float:
    """liftlab's flatten and clean: landing plus the staging and intermediate models."""
    groups = result.dbt_groups_s
    return (
        result.stages["land"]["wall_s"] + groups.get("staging", 0) + groups.get("intermediate", 0)
    )


def through_marts_seconds(result: ScaleResult) -> float:
    """Landing + staging + intermediate + marts: what the DuckDB reference compares with."""
    return flatten_seconds(result) + result.dbt_groups_s.get("marts", 0)


def baseline_flatten_seconds(result: ScaleResult) -> float:
    stages = result.baseline_stages_s
    return stages.get("load_s", 0) + stages.get("normalize_s", 0) + stages.get("clean_s", 0)


def liftlab_total(result: ScaleResult, key: str) -> float:
    """Land + dbt build: wall/CPU summed; peak RSS the larger of the two."""
    land, build = result.stages["land"], result.stages["dbt_build"]
    if key == "peak_rss_mb":
        return max(land[key], build[key])
    return land[key] + build[key]


def _baseline_state(result: ScaleResult) -> str:
    stage = result.stages.get("baseline")
    if stage is None:
        return "not run"
    return f"did not finish (exit {stage['returncode']}, {BASELINE_MEMORY_LIMIT_GB} GB cap)"


def _number(value: float | None, digits: int, missing: str) -> str:
    return missing if value is None else f"{value:.{digits}f}"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.3f}" if b else "n/a"


def markdown(results: list[ScaleResult], machine: dict[str, str], commands: list[str]) -> str:
    """BENCHMARKS.md."""
    lines = [
        "# Benchmarks",
        "",
        f"Written by {', then '.join(f'`{c}`' for c in commands)}; do not edit by hand.",
        "Every stage ran as its own process",
        "(wall time, CPU time and peak RSS from wait4); the per-layer times inside `dbt build`",
        "come from dbt's run_results.json. The baseline is the study's notebook-style pandas",
        "processing (`liftlab/bench/baseline.py`) on the same files in the same run. The",
        "quality checkpoint (Great Expectations, as run by `liftlab build` after dbt) is timed",
        "as its own stage; 'whole process' compares land + dbt build with the baseline.",
        *_memory_limit_lines(results),
        "",
        "## Machine",
        "",
        *[f"- {k}: {v}" for k, v in machine.items()],
        "",
        "## liftlab against the pandas baseline",
        "",
        "| reps | stage | liftlab wall s | baseline wall s | liftlab / baseline |",
        "| ---: | --- | ---: | ---: | ---: |",
    ]
    for r in results:
        if not r.baseline_stages_s:
            continue
        classifier = r.dbt_groups_s.get("classifier", 0.0)
        rows = [
            ("flatten and clean", flatten_seconds(r), baseline_flatten_seconds(r)),
            (
                "classifier (liftlab: 5 models, grouped CV, labels; baseline: one KNN fit)",
                classifier,
                r.baseline_stages_s.get("knn_s", 0.0),
            ),
            ("whole process", liftlab_total(r, "wall_s"), r.stages["baseline"]["wall_s"]),
        ]
        for name, ours, theirs in rows:
            lines.append(
                f"| {r.reps:,} | {name} | {ours:.2f} | {theirs:.2f} | {_ratio(ours, theirs)} |"
            )
    lines += [
        "",
        "## liftlab against plain DuckDB",
        "",
        "The reference (`liftlab/bench/reference.py`, its own process) reads the same file's",
        "lines with their numbers, validates each and parses sets and every rep's device array",
        "into typed columns: the engine's floor, without liftlab's accounting, quarantine,",
        "revisions, masking and layout decoding.",
        "",
        "| reps | liftlab land + staging + intermediate + marts s | DuckDB reference s "
        "| liftlab / DuckDB | pandas flatten s | liftlab / pandas |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        stage = r.stages.get("duckdb_reference")
        if not stage:
            continue
        ours, floor = through_marts_seconds(r), stage["wall_s"]
        pandas = baseline_flatten_seconds(r) if r.baseline_stages_s else 0.0
        lines.append(
            f"| {r.reps:,} | {ours:.2f} | {floor:.2f} | {_ratio(ours, floor)} | "
            f"{_number(pandas or None, 2, 'not run')} | {_ratio(flatten_seconds(r), pandas)} |"
        )
    lines += [
        "",
        "Peak memory (MB):",
        "",
        "| reps | liftlab land | liftlab dbt build | baseline |",
        "| ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        baseline = r.stages.get("baseline", {}).get("peak_rss_mb")
        if r.stages.get("baseline", {}).get("returncode"):
            baseline = None
        lines.append(
            f"| {r.reps:,} | {r.stages['land']['peak_rss_mb']:.0f} | "
            f"{r.stages['dbt_build']['peak_rss_mb']:.0f} | "
            f"{_number(baseline, 0, _baseline_state(r))} |"
        )
    groups = sorted({g for r in results for g in r.dbt_groups_s})
    lines += [
        "",
        "## liftlab stages (wall seconds)",
        "",
        "| reps | generate | land | dbt build (process) | CPU s | peak RSS MB "
        "| quality checkpoint | " + " | ".join(f"dbt: {g}" for g in groups) + " |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | "
        + " | ".join("---:" for _ in groups)
        + " |",
    ]
    for r in results:
        generate = r.stages.get("generate", {}).get("wall_s")
        lines.append(
            f"| {r.reps:,} | {_number(generate, 1, 'reused')} | "
            f"{r.stages['land']['wall_s']:.2f} | {r.stages['dbt_build']['wall_s']:.2f} | "
            f"{liftlab_total(r, 'cpu_s'):.1f} | {liftlab_total(r, 'peak_rss_mb'):.0f} | "
            f"{_quality_cell(r)} | "
            + " | ".join(f"{r.dbt_groups_s.get(g, 0):.2f}" for g in groups)
            + " |"
        )
    lines += _rebuild_lines(results)
    lines += ["", "## Targets", "", *targets(results), "", "![scaling](docs/bench/scaling.svg)", ""]
    return "\n".join(lines)


def _rebuild_lines(results: list[ScaleResult]) -> list[str]:
    """The unchanged rebuild: the same file landed again and `dbt build` again."""
    measured = [r for r in results if rebuild_seconds(r) is not None]
    if not measured:
        return []
    lines = [
        "",
        "## Unchanged rebuild (wall seconds)",
        "",
        "The same file landed again (the ledger skips it) and `dbt build` again on the built",
        "warehouse: the classifier keeps its cross-validation and loads its saved model",
        "(training digest unchanged, `liftlab/ml/reuse.py`).",
        "",
        "The last column is the whole `liftlab build --append` of the unchanged files after",
        "a build that recorded its fingerprint: nothing to land and the same project,",
        "packages, settings and salt, so it builds nothing (`liftlab/uptodate.py`).",
        "",
        "| reps | land | dbt build | total | dbt: classifier | slowest layers "
        "| `liftlab build --append`, nothing changed |",
        "| ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for r in measured:
        lines.append(
            f"| {r.reps:,} | {r.stages['rebuild_land']['wall_s']:.2f} | "
            f"{r.stages['rebuild_dbt_build']['wall_s']:.2f} | {rebuild_seconds(r):.2f} | "
            f"{r.rebuild_groups_s.get('classifier', 0):.2f} | {_slowest(r.rebuild_groups_s)} | "
            f"{_wall(r, 'uptodate_build')} |"
        )
    return lines + _append_lines(results)


def _wall(result: ScaleResult, stage: str) -> str:
    measured = result.stages.get(stage)
    return f"{measured['wall_s']:.2f}" if measured else "not run"


def _append_lines(results: list[ScaleResult]) -> list[str]:
    """The append: a daily file of about APPEND_SHARE of the sets landed on top, dbt build."""
    measured = [r for r in results if rebuild_seconds(r, "append") is not None]
    if not measured:
        return []
    lines = [
        "",
        f"## Append of a daily file of {APPEND_SHARE:.0%} of the sets (wall seconds)",
        "",
        "Landed on top of the built warehouse, then `dbt build`: the staging models parse the",
        "new file only (incremental by landed file, `macros/incremental_files.sql`); the",
        "intermediate models, marts and tests read everything, and the classifier",
        "cross-validates and fits again on the changed labelled sets (var",
        "classifier_reevaluate_share, default 0, would keep the cross-validation for a small",
        "change: `liftlab/ml/reuse.py`).",
        "",
        "| reps | land | dbt build | total | dbt: staging | full build's staging | "
        "slowest layers |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in measured:
        lines.append(
            f"| {r.reps:,} | {r.stages['append_land']['wall_s']:.2f} | "
            f"{r.stages['append_dbt_build']['wall_s']:.2f} | "
            f"{rebuild_seconds(r, 'append'):.2f} | {r.append_groups_s.get('staging', 0):.2f} | "
            f"{r.dbt_groups_s.get('staging', 0):.2f} | {_slowest(r.append_groups_s)} |"
        )
    return lines


def _quality_cell(r: ScaleResult) -> str:
    stage = r.stages.get("quality")
    if not stage:
        return "not run"
    text = f"{stage['wall_s']:.2f}"
    return text if not stage.get("returncode") else f"{text} (failed)"


STUDY_REPS = 211_000


def targets(results: list[ScaleResult]) -> list[str]:
    """The issue's targets, judged from this run's figures (only where measured)."""
    lines = []
    study = [r for r in results if 0.5 * STUDY_REPS <= r.reps <= 1.5 * STUDY_REPS]
    if study:
        r = study[0]
        if r.baseline_stages_s:
            speedup = baseline_flatten_seconds(r) / max(flatten_seconds(r), 1e-9)
            verdict = "met" if speedup >= 20 else "missed"
            lines.append(
                f"- Flatten and clean at the study's scale at least 20x faster than pandas: "
                f"{speedup:.1f}x ({verdict})."
            )
        if r.stages.get("duckdb_reference"):
            ratio = through_marts_seconds(r) / max(r.stages["duckdb_reference"]["wall_s"], 1e-9)
            verdict = "met" if ratio <= 2 else "missed"
            lines.append(
                f"- Landing + staging + intermediate + marts at the study's scale at most 2x the "
                f"plain-DuckDB reference: {ratio:.1f}x ({verdict})."
            )
        build = r.stages["dbt_build"]["wall_s"]
        verdict = "met" if build <= 30 else "missed"
        lines.append(
            f"- Full `dbt build` at the study's scale within 30 s: {build:.1f} s ({verdict}); "
            f"slowest layers: {_slowest(r.dbt_groups_s)}."
        )
        rebuild = rebuild_seconds(r)
        if rebuild is not None:
            verdict = "met" if rebuild <= 15 else "missed"
            lines.append(
                f"- An unchanged rebuild (land + `dbt build`) at the study's scale within 15 s: "
                f"{rebuild:.1f} s ({verdict}); slowest layers: {_slowest(r.rebuild_groups_s)}."
            )
        uptodate = r.stages.get("uptodate_build")
        if uptodate:
            verdict = "met" if uptodate["wall_s"] <= 15 else "missed"
            lines.append(
                "- An unchanged `liftlab build --append` at the study's scale within 15 s: "
                f"{uptodate['wall_s']:.1f} s ({verdict}; it builds nothing: liftlab/uptodate.py)."
            )
        classifier = r.dbt_groups_s.get("classifier", 0.0)
        verdict = "met" if classifier <= 60 else "missed"
        lines.append(
            f"- Classifier training and labelling at the study's scale within 60 s: "
            f"{classifier:.1f} s ({verdict})."
        )
        big = [x for x in results if x.reps >= 40 * r.reps]
        for x in big:
            ratio = x.reps / r.reps
            if not x.run_started or x.run_started != r.run_started:
                lines.append(
                    f"- Time growth from {r.reps:,} to {x.reps:,} reps ({ratio:.0f}x the reps): "
                    "not judged, the two scales were measured in different runs (run them "
                    "in one: `liftlab bench --scales 211000,10000000`)."
                )
                continue
            growth = liftlab_total(x, "wall_s") / max(liftlab_total(r, "wall_s"), 1e-9)
            verdict = "met" if growth <= 60 * ratio / 50 else "missed"
            lines.append(
                f"- Time growth from {r.reps:,} to {x.reps:,} reps ({ratio:.0f}x the reps): "
                f"{growth:.1f}x the time (target at most {60 * ratio / 50:.0f}x; {verdict})."
            )
    for x in results:
        if x.reps >= 9_000_000:
            peak = liftlab_total(x, "peak_rss_mb") / 1024
            verdict = "met" if peak <= 8 else "missed"
            lines.append(f"- 10M reps with peak RSS at most 8 GB: {peak:.1f} GB ({verdict}).")
    return lines or ["- No scale near the study's was run."]


def _slowest(groups: dict[str, float]) -> str:
    """The three slowest dbt layers of ``groups``, slowest first."""
    ranked = sorted(groups.items(), key=lambda item: -item[1])[:3]
    return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in ranked)


def write_outputs(results: list[ScaleResult], out_dir: Path, commands: list[str]) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "docs" / "bench").mkdir(parents=True, exist_ok=True)
    time_series = {
        "liftlab (land + dbt build)": [(r.reps, liftlab_total(r, "wall_s")) for r in results],
        "pandas baseline": [
            (r.reps, r.stages["baseline"]["wall_s"]) for r in results if r.baseline_stages_s
        ],
    }
    memory_series = {
        "liftlab": [(r.reps, liftlab_total(r, "peak_rss_mb")) for r in results],
        "pandas baseline": [
            (r.reps, r.stages["baseline"]["peak_rss_mb"]) for r in results if r.baseline_stages_s
        ],
    }
    (out_dir / "docs" / "bench" / "scaling.svg").write_text(scaling_svg(time_series, memory_series))
    (out_dir / "docs" / "bench" / "results.json").write_text(
        json.dumps([asdict(r) for r in results], indent=2)
    )
    (out_dir / "docs" / "bench" / "commands.txt").write_text("\n".join(commands) + "\n")
    path = out_dir / "BENCHMARKS.md"
    path.write_text(markdown(results, machine_description(), commands))
    return path


def _memory_limit_lines(results: list[ScaleResult]) -> list[str]:
    limits = sorted({r.memory_limit or "DuckDB's default (80% of RAM)" for r in results})
    return [
        "liftlab's stages ran with DuckDB's memory_limit (LIFTLAB_MEMORY_LIMIT) at "
        + " / ".join(limits)
        + "; a stage's peak RSS is that plus what its Python code holds."
    ]


def load_results(out_dir: Path) -> list[ScaleResult]:
    """The results written by an earlier run into ``out_dir`` (none when there are none)."""
    path = out_dir / "docs" / "bench" / "results.json"
    if not path.exists():
        return []
    return [ScaleResult(**item) for item in json.loads(path.read_text())]


def earlier_commands(out_dir: Path) -> list[str]:
    path = out_dir / "docs" / "bench" / "commands.txt"
    return path.read_text().splitlines() if path.exists() else ["(an earlier run)"]


def merge_results(earlier: list[ScaleResult], new: list[ScaleResult]) -> list[ScaleResult]:
    """``new`` plus the earlier results of other target scales, ordered by scale."""
    run_now = {r.target_reps for r in new}
    kept = [r for r in earlier if r.target_reps not in run_now]
    return sorted(kept + new, key=lambda r: r.target_reps)


def run_benchmarks(
    scales: list[int],
    work: Path,
    out_dir: Path,
    *,
    baseline_max_reps: int,
    seed: int,
    command: str,
    add: bool = False,
    memory_limit: str = BENCH_MEMORY_LIMIT,
) -> list[ScaleResult]:
    """Run every scale; with ``add``, keep the other scales already written in ``out_dir``."""
    work.mkdir(parents=True, exist_ok=True)
    earlier = load_results(out_dir) if add else []
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    results = []
    for target in scales:
        print(f"[bench] {target:,} reps ...", flush=True)
        result = run_scale(
            target,
            work,
            baseline=target <= baseline_max_reps,
            seed=seed,
            memory_limit=memory_limit,
        )
        result.run_started = started
        results.append(result)
        print(summary_line(result), flush=True)
    commands = [command]
    if add:
        commands = (earlier_commands(out_dir) if earlier else []) + [command]
        results = merge_results(earlier, results)
    path = write_outputs(results, out_dir, commands)
    print(f"[bench] wrote {path}")
    return results


def summary_line(r: ScaleResult) -> str:
    text = (
        f"[bench] {r.reps:,} reps: land {r.stages['land']['wall_s']:.1f}s, dbt build "
        f"{r.stages['dbt_build']['wall_s']:.1f}s, peak RSS {liftlab_total(r, 'peak_rss_mb'):.0f} MB"
    )
    if r.baseline_stages_s:
        text += (
            f"; flatten+clean {flatten_seconds(r):.2f}s vs pandas "
            f"{baseline_flatten_seconds(r):.2f}s"
            f" ({baseline_flatten_seconds(r) / max(flatten_seconds(r), 1e-9):.1f}x faster)"
        )
    return text
