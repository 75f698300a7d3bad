"""Every environment variable liftlab reads, in one place.

Settings of the warehouse's content live in ``dbt_project.yml`` ``vars:``; the environment
only says where things are and how the process runs. dbt reads two of these itself through
``env_var()`` (``profiles.yml``: the warehouse path and memory limit; the clustering models'
config: the warehouse, so that they find the promoted configuration beside it); everything
in Python reads them through :func:`setting`.
"""

from __future__ import annotations

import os

# The dbt project (default: the checkout this package sits in, else the working directory).
PROJECT_DIR = "LIFTLAB_PROJECT_DIR"
# The DuckDB warehouse file (default: warehouse/liftlab.duckdb in the project).
WAREHOUSE = "LIFTLAB_WAREHOUSE"
# DuckDB's memory_limit for every connection liftlab and dbt open ('4GB', or a share of RAM).
MEMORY_LIMIT = "LIFTLAB_MEMORY_LIMIT"
# The secret salt of the pseudonymous ids (default: the public demo salt, for generated data).
ID_SALT = "LIFTLAB_ID_SALT"
# Where the quality checkpoint writes its data docs (default: build/quality in the project).
QUALITY_DOCS = "LIFTLAB_QUALITY_DOCS"
# Tests only: the publishing step at which a build kills itself (liftlab.publish.abort_point).
TEST_ABORT_AT = "LIFTLAB_TEST_ABORT_AT"
# `liftlab tune` (and its form): the generator's *.truth_lifters.parquet for ARI; `none` = off.
GROUND_TRUTH = "LIFTLAB_GROUND_TRUTH"
# `liftlab tune` (and its form): where --best writes the promoted configuration.
CLUSTERING_PROMOTED = "LIFTLAB_CLUSTERING_PROMOTED"

# Set for every child process unless already set: dbt's and the npm tools' usage statistics.
TELEMETRY_OFF = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}

NAMES = (
    PROJECT_DIR,
    WAREHOUSE,
    MEMORY_LIMIT,
    ID_SALT,
    QUALITY_DOCS,
    TEST_ABORT_AT,
    GROUND_TRUTH,
    CLUSTERING_PROMOTED,
)


def setting(name: str) -> str | None:
    """The value of one of :data:`NAMES`, or None when it is unset or empty."""
    if name not in NAMES:
        raise KeyError(f"{name} is not one of liftlab's environment variables")
    return os.environ.get(name) or None


def for_child(**values: str | None) -> dict[str, str]:
    """This process's environment with ``values`` (by name, e.g. ``LIFTLAB_WAREHOUSE=...``)
    set, or removed when None, and usage statistics off unless the user chose otherwise:
    the environment of a child process (dbt, Streamlit, Evidence)."""
    env = dict(os.environ)
    for name in TELEMETRY_OFF:
        env.setdefault(name, TELEMETRY_OFF[name])
    for name, value in values.items():
        if name not in NAMES:
            raise KeyError(f"{name} is not one of liftlab's environment variables")
        if value is None:
            env.pop(name, None)
        else:
            env[name] = str(value)
    return env
