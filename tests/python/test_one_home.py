"""Each setting has one home: environment variables are read in liftlab/environment.py only,
dbt reads none but the profile's, and ground truth comes in through a var, never by a
file name guessed beside the export."""

from __future__ import annotations

import re

from conftest import REPO

from liftlab import environment

PYTHON_TREES = ("liftlab", "python_models")


def _python_files():
    for tree in PYTHON_TREES:
        yield from (p for p in (REPO / tree).rglob("*.py") if "node_modules" not in p.parts)


def test_environment_is_read_in_one_module():
    readers = {
        str(path.relative_to(REPO))
        for path in _python_files()
        if re.search(r"os\.environ|getenv\(", path.read_text(encoding="utf-8"))
    }
    assert readers == {"liftlab/environment.py"}


def test_every_liftlab_variable_is_declared_there():
    used = set()
    for path in _python_files():
        used |= set(re.findall(r"\bLIFTLAB_[A-Z_]+\b", path.read_text(encoding="utf-8")))
    assert used <= set(environment.NAMES), used - set(environment.NAMES)


def test_dbt_reads_only_the_profile_from_the_environment():
    candidates = [*REPO.glob("*.yml")]
    for tree in ("models", "macros", "python_models"):
        candidates += (REPO / tree).rglob("*")
    files = [p for p in candidates if p.is_file() and p.suffix in {".yml", ".sql", ".py"}]
    readers = {str(p.relative_to(REPO)) for p in files if "env_var(" in p.read_text("utf-8")}
    assert readers == {"profiles.yml", "python_models/clustering/_clustering__models.yml"}
    clustering = (REPO / "python_models/clustering/_clustering__models.yml").read_text("utf-8")
    # only the warehouse path (the profile's own), to find the promoted file beside it
    assert re.findall(r"env_var\('(\w+)'", clustering) == ["LIFTLAB_WAREHOUSE"]


def test_ground_truth_is_never_looked_for_beside_the_export():
    for path in _python_files():
        text = path.read_text(encoding="utf-8")
        if path.name in {"writer.py", "run.py"}:  # the generator names it; `run` generated it
            continue
        assert "sidecar_paths(" not in text or "truth_lifters" not in text, path
