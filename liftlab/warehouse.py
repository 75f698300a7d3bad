"""Where the warehouse lives and how liftlab drives dbt over it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from liftlab import environment

DEFAULT_WAREHOUSE = "warehouse/liftlab.duckdb"
# DuckDB's buffer-manager limit for every connection liftlab opens and for dbt's (profiles.yml):
# a size such as '4GB', or a share of RAM; '80%' is DuckDB's own default.
DEFAULT_MEMORY_LIMIT = "80%"


class DbtFailed(RuntimeError):
    """`dbt` ended with errors (failed models or tests)."""


def project_dir() -> Path:
    """The dbt project: $LIFTLAB_PROJECT_DIR, else the checkout this package sits in."""
    configured = environment.setting(environment.PROJECT_DIR)
    if configured:
        return Path(configured).resolve()
    here = Path(__file__).resolve().parent.parent
    if (here / "dbt_project.yml").exists():
        return here
    cwd = Path.cwd()
    for candidate in (cwd, *cwd.parents):
        if (candidate / "dbt_project.yml").exists():
            return candidate
    raise FileNotFoundError("no dbt_project.yml found; set LIFTLAB_PROJECT_DIR")


def warehouse_path(warehouse: str | None = None) -> Path:
    """The DuckDB file: the argument, else $LIFTLAB_WAREHOUSE, else the project default."""
    chosen = warehouse or environment.setting(environment.WAREHOUSE) or DEFAULT_WAREHOUSE
    path = Path(chosen)
    if not path.is_absolute():
        path = (Path.cwd() / path) if warehouse else (project_dir() / path)
    return path.resolve()


def memory_limit() -> str:
    """The DuckDB memory_limit in force: $LIFTLAB_MEMORY_LIMIT, else DuckDB's default."""
    return environment.setting(environment.MEMORY_LIMIT) or DEFAULT_MEMORY_LIMIT


def connect(path: str | os.PathLike, *, read_only: bool = False):
    """A DuckDB connection to the warehouse file, under :func:`memory_limit`."""
    import duckdb

    return duckdb.connect(str(path), read_only=read_only, config={"memory_limit": memory_limit()})


def dbt_executable() -> str:
    """The `dbt` of this environment (beside the running Python), else the one on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


# `dbt build` as liftlab runs it: every model and data test, without the unit tests, which
# check the SQL's rules on static inputs (dbt's advice: run them in development and CI, not
# on every production build; the test suite runs them, tests/python/test_warehouse_sample.py)
BUILD_ARGUMENTS = ("build", "--exclude-resource-type", "unit_test")


def run_dbt(
    arguments: Sequence[str],
    warehouse: Path,
    *,
    quiet: bool = False,
    dbt_vars: Mapping[str, Any] | None = None,
) -> None:
    """Run a dbt command against ``warehouse`` in a child process (so that no DuckDB
    connection outlives it in this one), with ``dbt_vars`` as its ``--vars``; raise
    DbtFailed on failure. The child inherits the descriptors marked inheritable (the writer
    lock of liftlab.publish: a dbt left running by a killed build keeps the warehouse
    locked)."""
    project = project_dir()
    argv = [
        dbt_executable(),
        *(["--quiet"] if quiet else []),
        *arguments,
        *(["--vars", json.dumps(dict(dbt_vars), sort_keys=True)] if dbt_vars else []),
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
    ]
    env = environment.for_child(**{environment.WAREHOUSE: str(warehouse)})
    completed = subprocess.run(argv, cwd=project, check=False, close_fds=False, env=env)
    if completed.returncode != 0:
        raise DbtFailed(f"dbt {' '.join(arguments)} failed (exit {completed.returncode})")
