"""The dbt vars' defaults, read from their one home, ``dbt_project.yml`` ``vars:``.

The dbt Python models get the vars from dbt (``dbt.config.get``); Python that runs outside
dbt (``liftlab classify``, the benchmarks, the tests) reads the same defaults here rather
than keeping copies (``liftlab.ml.config.ClassifierConfig``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

PROJECT_FILE = Path(__file__).resolve().parents[1] / "dbt_project.yml"


def read_vars(path: Path = PROJECT_FILE) -> dict[str, Any]:
    """The ``vars:`` mapping of the project file."""
    with open(path, encoding="utf-8") as handle:
        return dict((yaml.safe_load(handle) or {}).get("vars") or {})


VARS: dict[str, Any] = read_vars()


def default(name: str) -> Any:
    """The default of dbt var ``name`` (KeyError when the project declares no such var)."""
    return VARS[name]
