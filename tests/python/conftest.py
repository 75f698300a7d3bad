"""Shared fixtures: paths, and warehouses built once per test run.

The suite runs on two pytest-xdist workers (`make test`). Each worker gets its own dbt
target and log folders and its own quality data-docs folder, so that concurrent builds do
not share artifacts; the session warehouses below are built once for the whole run (the
first worker to need one builds it under a file lock) and each worker reads its own copy.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
SAMPLE = SHARED / "data" / "openbarbell" / "app_history_sample.json"
BAD_INPUT = REPO / "tests" / "fixtures" / "bad_input"


def pytest_configure(config: pytest.Config) -> None:
    """Per-worker dbt artifacts and quality docs (under the repo's ignored folders). Set in
    each worker, not in the xdist controller: the workers inherit its environment, and one
    target folder shared by two concurrent dbt runs breaks both."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None and getattr(config.option, "numprocesses", None):
        return  # the controller: it runs no test
    worker = worker or "main"
    os.environ["DBT_TARGET_PATH"] = str(REPO / "target" / f"pytest-{worker}")
    os.environ["DBT_LOG_PATH"] = str(REPO / "logs" / f"pytest-{worker}")
    os.environ["LIFTLAB_QUALITY_DOCS"] = str(REPO / "build" / f"pytest-{worker}" / "quality")


# The modules that take longest (pytest --durations), scheduled first so that the two
# workers end close together; every other module follows in collection order.
SLOWEST_FIRST = (
    "test_reports_browser.py",
    "test_repeatability_privacy.py",
    "test_real_exports.py",
    "test_app_csv.py",
    "test_classifier_warehouse.py",
    "test_bench_smoke.py",
    "test_generated_faults.py",
    "test_bad_input_corpus.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


def made_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], object]
) -> Path:
    """``make(path)`` run once per test run, across workers: the first worker to ask makes
    ``name`` under a lock in the run's shared temporary folder; the others wait for it."""
    base = tmp_path_factory.getbasetemp()
    # a folder of its own: a build writes beside its warehouse (the lock, the build file,
    # the classifier's artifact), so two things made at once must not share one
    shared = (base.parent if "PYTEST_XDIST_WORKER" in os.environ else base) / "made-once" / name
    shared.mkdir(parents=True, exist_ok=True)
    made = shared / name
    # (not <name>.lock: that is the build's own lock beside a warehouse, liftlab.publish)
    with open(shared / f"{name}.made-once-lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared / f"{name}.done"
        if not done.exists():
            make(made)
            done.touch()
    return made


def built_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], object]
) -> Path:
    """A warehouse made once per run (:func:`made_once`); this worker's private copy, so
    that no two processes open one DuckDB file and a test may write to its copy."""
    made = made_once(tmp_path_factory, name, make)
    mine = tmp_path_factory.mktemp(Path(name).stem) / name
    shutil.copyfile(made, mine)
    return mine


def build_warehouse(data: str | Path, warehouse: Path, *, append: bool = False) -> Path:
    """Land ``data`` and run `dbt build` (models and every dbt test) into ``warehouse``."""
    from liftlab.commands.build import build

    build(str(data), warehouse, append=append, quiet=True)
    return warehouse


def copy_of_project(folder: Path, names) -> Path:
    """The files and folders ``names`` of the dbt project copied into ``folder`` (what a
    fingerprint reads), ``folder`` returned."""
    for name in names:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, folder / name)
        elif source.is_file():
            shutil.copy(source, folder / name)
    return folder


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(sql).fetchall()


def scalar(warehouse: Path, sql: str):
    return query(warehouse, sql)[0][0]


@pytest.fixture(scope="session")
def sample_path() -> Path:
    if not SAMPLE.exists():
        pytest.skip(f"the real sample is not beside the repo ({SAMPLE})")
    return SAMPLE


@pytest.fixture(scope="session")
def sample_warehouse(sample_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_once(
        tmp_path_factory, "sample.duckdb", lambda path: build_warehouse(sample_path, path)
    )


@pytest.fixture(scope="session")
def bad_input_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_once(tmp_path_factory, "bad.duckdb", lambda path: build_warehouse(BAD_INPUT, path))


@pytest.fixture(scope="session")
def heavy_faults_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated export with the `heavy` fault profile (every fault, often)."""
    from liftlab.cli import main

    def generate(folder: Path) -> None:
        args = ["generate", "--sets", "2500", "--lifters", "40", "--seed", "5"]
        out = folder / "heavy.jsonl.gz"
        assert main([*args, "--faults", "heavy", "--quiet", "--out", str(out)]) == 0

    return made_once(tmp_path_factory, "heavy", generate) / "heavy.jsonl.gz"


@pytest.fixture(scope="session")
def heavy_faults_warehouse(heavy_faults_export: Path, tmp_path_factory) -> Path:
    return built_once(
        tmp_path_factory, "heavy.duckdb", lambda path: build_warehouse(heavy_faults_export, path)
    )
