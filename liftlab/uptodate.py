"""When an ``--append`` has nothing to build (issue 16: an unchanged rebuild).

``liftlab build --append`` run again on the same input (a scheduled job that found no new
file) used to copy the warehouse, land nothing, run every dbt model and test and the quality
checkpoint, and publish a warehouse equal to the one it started from. A build is a function
of what it reads: the landed files, the project (models, macros, seeds, tests, the dbt
project and profile), liftlab's own code, the packages that run it, the dbt vars of the
build with the files they name, the salt, and whether the quality checkpoint ran. Each
build records a fingerprint of all that but the landed files in
``build_log.build_fingerprint``; an ``--append`` whose every input file is in the landing
ledger with the same content (``raw.landed_files``: nothing to land) and whose fingerprint
is the last build's has nothing to do: it says so, names that build, and leaves the
published warehouse as it is. A build without ``--append`` always builds.

The salt enters only through :func:`liftlab.restage.staging_fingerprint` (a salted hash of
a constant), never itself.
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path

import duckdb

# what a build's result depends on besides the landed files, relative to the dbt project
PROJECT_INPUTS: tuple[str, ...] = (
    "models",
    "macros",
    "seeds",
    "python_models",
    "snapshots",
    "tests/dbt",
    "config",
    "dbt_project.yml",
    "profiles.yml",
)
PACKAGES: tuple[str, ...] = (
    "dbt-core",
    "dbt-duckdb",
    "duckdb",
    "great-expectations",
    "numpy",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "scipy",
)
FINGERPRINT_COLUMN = "build_fingerprint"


def _files(root: Path) -> list[Path]:
    if root.is_dir():
        return sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return [root] if root.is_file() else []


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def build_fingerprint(
    project: Path, dbt_vars: dict, *, skip_quality: bool, salt: str | None = None
) -> str:
    """SHA-256 over the files of PROJECT_INPUTS and of the liftlab package (paths and
    bytes), the versions of PACKAGES, the build's dbt vars (and the bytes of each file a
    var names), whether the checkpoint is skipped, and the staging fingerprint (which holds
    the salted hash of a constant)."""
    from liftlab.restage import staging_fingerprint

    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    roots = [(project, project / name) for name in PROJECT_INPUTS] + [(package.parent, package)]
    for base, root in roots:
        for path in _files(root):
            digest.update(str(path.relative_to(base)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    settings = {
        "packages": {name: _package_version(name) for name in PACKAGES},
        "vars": {str(k): str(v) for k, v in sorted(dbt_vars.items())},
        "skip_quality": bool(skip_quality),
        "staging": staging_fingerprint(project, salt),
    }
    digest.update(json.dumps(settings, sort_keys=True).encode())
    for value in settings["vars"].values():
        if value and Path(value).is_file():
            digest.update(Path(value).read_bytes() + b"\0")
    return digest.hexdigest()


def nothing_to_land(con: duckdb.DuckDBPyConnection, data: str) -> bool:
    """Whether landing ``data`` into ``con`` would change nothing: every input file is in
    the ledger with its content's digest, and no input is unreadable (an unreadable one is
    recorded again on every landing)."""
    from liftlab.landing.inputs import file_sha256, scan_inputs
    from liftlab.landing.raw_tables import RAW_SCHEMA

    scan = scan_inputs(data)
    if scan.unreadable or not scan.files:
        return False
    try:
        landed = set(
            con.execute(f"select source_file, sha256 from {RAW_SCHEMA}.landed_files").fetchall()
        )
    except duckdb.CatalogException:
        return False
    return all((str(path), file_sha256(path)) in landed for path in scan.files)


def up_to_date(warehouse: Path, data: str, fingerprint: str) -> str | None:
    """The id of the published build an ``--append`` of ``data`` would only repeat (nothing
    to land, the same fingerprint), or None: build. A warehouse that cannot be opened
    read-only now (missing, or a writer holds it) is never up to date."""
    if not warehouse.is_file():
        return None
    from liftlab.publish import last_build_row
    from liftlab.warehouse import connect

    try:
        con = connect(warehouse, read_only=True)
    except duckdb.Error:
        return None
    with con:
        last = last_build_row(con, ("build_id", FINGERPRINT_COLUMN))
        if last is None or last[FINGERPRINT_COLUMN] != fingerprint:
            return None
        return last["build_id"] if nothing_to_land(con, data) else None
