"""Shared fixtures: paths, and warehouses built once per test module."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
SAMPLE = SHARED / "data" / "openbarbell" / "app_history_sample.json"
BAD_INPUT = REPO / "tests" / "fixtures" / "bad_input"


def build_warehouse(data: str | Path, warehouse: Path, *, append: bool = False) -> Path:
    """Land ``data`` and run `dbt build` (models and every dbt test) into ``warehouse``."""
    from liftlab.commands.build import build

    build(str(data), warehouse, append=append, quiet=True)
    return warehouse


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
    return build_warehouse(sample_path, tmp_path_factory.mktemp("sample") / "sample.duckdb")


@pytest.fixture(scope="session")
def bad_input_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_warehouse(BAD_INPUT, tmp_path_factory.mktemp("bad") / "bad.duckdb")


@pytest.fixture(scope="session")
def heavy_faults_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated export with the `heavy` fault profile (every fault, often)."""
    from liftlab.cli import main

    out = tmp_path_factory.mktemp("heavy") / "heavy.jsonl.gz"
    args = ["generate", "--sets", "2500", "--lifters", "40", "--seed", "5"]
    assert main([*args, "--faults", "heavy", "--quiet", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="session")
def heavy_faults_warehouse(heavy_faults_export: Path) -> Path:
    return build_warehouse(heavy_faults_export, heavy_faults_export.with_suffix(".duckdb"))
