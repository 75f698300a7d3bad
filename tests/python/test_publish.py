"""Write-audit-publish and the one-writer lock (liftlab/publish.py), on real processes.

One published warehouse per module, built from a small generated export; every other build
of the module runs `liftlab build` as a process (tests/python/_narrow_cli.py: dbt narrowed
to two staging models, the publish logic untouched) and is killed, raced, refused or failed
against it. After each, the published file must be byte-identical; the last build, racing
another and read during its run, publishes and logs the earlier builds' rows too."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from conftest import REPO

from liftlab import publish

RUNNER = Path(__file__).with_name("_narrow_cli.py")
TIMEOUT_S = 240


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def start(args: list[str], **env: str) -> subprocess.Popen:
    """A `liftlab` process (dbt narrowed) in its own process group."""
    return subprocess.Popen(
        [sys.executable, str(RUNNER), *args],
        cwd=REPO,
        # a salt of its own: the default salt's warning on stderr is not what these tests read
        env={**os.environ, "PYTHONUNBUFFERED": "1", "LIFTLAB_ID_SALT": "test-publish", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def finish(process: subprocess.Popen) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=TIMEOUT_S)
    return process.returncode, out, err


def run(args: list[str], **env: str) -> tuple[int, str, str]:
    return finish(start(args, **env))


def build_args(data: Path, warehouse: Path, *extra: str) -> list[str]:
    return ["build", "--data", str(data), "--warehouse", str(warehouse), "--quiet", *extra]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two small exports and a warehouse published from the first."""
    from liftlab.cli import main

    folder = tmp_path_factory.mktemp("publish")
    exports = {}
    for name, sets, lifters, seed in (("first", 120, 4, 1), ("second", 60, 2, 2)):
        exports[name] = folder / "input" / name / f"{name}.jsonl.gz"
        argv = ["generate", "--sets", str(sets), "--lifters", str(lifters), "--seed", str(seed)]
        assert main([*argv, "--quiet", "--out", str(exports[name])]) == 0
    warehouse = folder / "warehouse" / "liftlab.duckdb"
    code, _, err = run(build_args(exports["first"], warehouse, "--skip-quality"))
    assert code == 0, err
    return {**exports, "warehouse": warehouse, "folder": folder}


def documents(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql("select count(*) from raw.set_documents").fetchall()[0][0]


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


def test_empty_input_is_refused_in_one_line(site, tmp_path, capsys, monkeypatch):
    from liftlab.commands import build as build_command

    monkeypatch.setenv("LIFTLAB_ID_SALT", "test-publish")  # no default-salt warning line

    warehouse = site["warehouse"]
    before = digest(warehouse)
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    no_documents = tmp_path / "no_documents"
    no_documents.mkdir()
    (no_documents / "blank.jsonl").write_text("\n\n")
    (no_documents / "array.json").write_text("[]")
    parser = argparse.ArgumentParser()
    build_command.add_arguments(parser)
    for data in (empty_dir, no_documents, tmp_path / "nothing-*.jsonl"):
        args = parser.parse_args(["--data", str(data), "--warehouse", str(warehouse)])
        assert build_command.run(args) == 2
        captured = capsys.readouterr()
        line = one_line(captured.err)
        assert "nothing to build" in line or "no input file matches" in line
    assert digest(warehouse) == before
    assert not publish.sibling(warehouse, publish.BUILD_SUFFIX).exists()
    assert not publish.sibling(warehouse, publish.FAILED_SUFFIX).exists()


def kill_during_dbt(site) -> tuple[int, str]:
    """A real kill (SIGKILL to the process group) once dbt has started writing."""
    warehouse = site["warehouse"]
    build_file = publish.sibling(warehouse, publish.BUILD_SUFFIX)
    process = start(build_args(site["second"], warehouse, "--skip-quality"))
    assert process.stdout is not None
    for line in process.stdout:  # landing is over when its line is printed
        if line.startswith("landed"):
            break
    landed_at = build_file.stat().st_mtime_ns
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        if publish.sibling(build_file, ".wal").exists() or (
            build_file.stat().st_mtime_ns != landed_at
        ):
            break
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=TIMEOUT_S)
    return process.returncode, process.pid


@pytest.mark.parametrize("point", ["landing", "dbt", "checkpoint", "publish"])
def test_a_killed_build_leaves_the_published_warehouse_unchanged(site, point):
    warehouse = site["warehouse"]
    before = digest(warehouse)
    if point == "dbt":
        code, pid = kill_during_dbt(site)
        assert code == -signal.SIGKILL
    else:
        # the checkpoint's kill comes after it wrote dq_expectation_results (here failing:
        # dbt is narrowed), the publish kill just before the rename, on an --append copy
        extra = {"landing": ["--skip-quality"], "checkpoint": [], "publish": ["--append"]}
        if point == "publish":
            extra["publish"].append("--skip-quality")
        process = start(
            build_args(site["second"], warehouse, *extra[point]),
            **{publish.ABORT_ENV_VAR: point},
        )
        code, _, err = finish(process)
        assert code == 137, err
        pid = process.pid
    assert digest(warehouse) == before
    holder = json.loads(publish.sibling(warehouse, publish.LOCK_SUFFIX).read_text())
    assert holder["pid"] == pid  # a stale lock, for the next build to take over
    assert not publish.sibling(warehouse, ".wal").exists()


def test_two_builds_at_once_and_a_reader(site):
    """Build A runs with a reader holding the published file and takes over the killed
    builds' stale lock; B, started while A holds the lock, refuses at once in one line, and
    so does `liftlab tune`; A publishes its own input and keeps the earlier build_log."""
    warehouse = site["warehouse"]
    lock_file = publish.sibling(warehouse, publish.LOCK_SUFFIX)
    first_documents = documents(warehouse)
    reader = duckdb.connect(str(warehouse), read_only=True)
    try:
        a = start(build_args(site["second"], warehouse, "--skip-quality"))
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            text = lock_file.read_text()
            if text and json.loads(text)["pid"] == a.pid:
                break
            time.sleep(0.05)
        held = json.loads(lock_file.read_text())
        assert held["pid"] == a.pid
        started = time.monotonic()
        code, out, err = run(build_args(site["first"], warehouse))
        assert code == 2 and time.monotonic() - started < 60
        line = one_line(err)
        assert f"PID {a.pid}" in line and held["started_at"] in line and "locked" in line
        code, _, err = run(["tune", "--best", "--warehouse", str(warehouse)])
        assert code == 2 and f"PID {a.pid}" in one_line(err)
        assert reader.sql("select count(*) from raw.set_documents").fetchall()[0][0] == (
            first_documents
        )
        code, out, err = finish(a)
        # the reader, opened before the rename, still reads the old file
        assert reader.sql("select count(*) from raw.set_documents").fetchall()[0][0] == (
            first_documents
        )
    finally:
        reader.close()
    assert code == 0, err
    assert "took over the stale lock" in err
    assert f"published build {held['build_id']}" in out
    with duckdb.connect(str(warehouse), read_only=True) as con:
        files = con.sql("select distinct source_file from raw.set_documents").fetchall()
        log = con.sql("select build_id, mode, inputs_json from build_log order by started_at")
        log = log.fetchall()
    assert files == [(str(site["second"]),)]
    assert len(log) == 2 and log[-1][0] == held["build_id"] and log[-1][1] == "full"
    assert json.loads(log[-1][2])[0]["file"] == str(site["second"])
    # no leftovers: the killed builds' file is gone, the lock is free and empty
    assert not publish.sibling(warehouse, publish.BUILD_SUFFIX).exists()
    assert lock_file.read_text() == ""


def test_a_failed_gate_publishes_nothing(site):
    """The narrowed dbt leaves the marts out: the real checkpoint fails on them."""
    warehouse = site["warehouse"]
    before = digest(warehouse)
    code, out, err = run(build_args(site["first"], warehouse))
    assert code == 1
    line = one_line(err)
    failed = publish.sibling(warehouse, publish.FAILED_SUFFIX)
    assert "quality checkpoint" in line and "failed" in line and str(failed) in line
    assert "unchanged" in line and "Traceback" not in err + out
    assert digest(warehouse) == before
    assert documents(failed) != documents(warehouse)  # the failed data, for inspection
    with duckdb.connect(str(failed), read_only=True) as con:
        assert con.sql("select count(*) from dq_expectation_results where not success").fetchall()[
            0
        ][0]


def test_discard_failed_and_a_writer_connection(site, monkeypatch, capsys):
    """In process: a dbt failure with --discard-failed removes the build (and the previous
    failed copy); an analyst's write connection is refused in one line."""
    from liftlab.commands import build as build_command
    from liftlab.warehouse import DbtFailed

    warehouse = site["warehouse"]
    before = digest(warehouse)

    def failing_dbt(arguments, target, **options):
        raise DbtFailed("dbt build failed (exit 1)")

    monkeypatch.setattr(build_command, "run_dbt", failing_dbt)
    parser = argparse.ArgumentParser()
    build_command.add_arguments(parser)
    argv = ["--data", str(site["first"]), "--warehouse", str(warehouse), "--discard-failed"]
    assert build_command.run(parser.parse_args(argv)) == 1
    line = one_line(capsys.readouterr().err)
    assert "dbt build failed" in line and "removed" in line
    assert not publish.sibling(warehouse, publish.FAILED_SUFFIX).exists()
    assert digest(warehouse) == before

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('open', "
            "flush=True); time.sleep(120)",
            str(warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        assert build_command.run(parser.parse_args(argv[:4])) == 2
        line = one_line(capsys.readouterr().err)
        assert "open for writing by another process" in line and f"PID {holder.pid}" in line
    finally:
        holder.kill()
        holder.wait()
    assert digest(warehouse) == before


def test_a_full_rebuild_carries_tuning_history_over(tmp_path):
    """liftlab tune's own table (and the build log, the builds' runs, the promotions) is
    carried from the published warehouse into a full rebuild's new file."""
    published, target = tmp_path / "w.duckdb", tmp_path / "w.build.duckdb"
    with duckdb.connect(str(published)) as con:
        for table in publish.CARRIED_TABLES:
            con.execute(f"create table {table} as select '{table}' as marker")
        con.execute("create table fct_sets as select 1 as set_id")
    assert publish.carry_over(published, target) == list(publish.CARRIED_TABLES)
    assert "cluster_tuning_runs" in publish.CARRIED_TABLES
    with duckdb.connect(str(target), read_only=True) as con:
        tables = {t for (t,) in con.execute("show tables").fetchall()}
        assert con.execute("select marker from cluster_tuning_runs").fetchall() == [
            ("cluster_tuning_runs",)
        ]
    assert tables == set(publish.CARRIED_TABLES)
