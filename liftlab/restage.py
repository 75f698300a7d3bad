"""When an ``--append`` must stage every landed file again (issue 16: incremental builds).

The staging models are incremental by landed file (``macros/incremental_files.sql``): an
``--append`` parses only the files landed since the last build. A staged row, however, is
what the staging code and settings made of its file when it was staged; if the code
(``models/staging``, the macros), the project's vars or the salt that pseudonymizes the
ids have changed since, the old files' rows would no longer be what a full build gives.
So each build records a fingerprint of all that in ``build_log.staging_fingerprint``, and
an ``--append`` whose fingerprint differs from the last build's (or finds none) sets the
dbt var ``staging_restage``: every landed file is staged again, in the same delete+insert
(the other incremental models, such as the clustering log ``cluster_runs``, are untouched,
as they would not be with ``--full-refresh``).

The salt enters only as a salted hash of a constant (:func:`liftlab.privacy.pseudonymize`):
the fingerprint says whether the salt changed, never what it is.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

# what a staged row depends on, relative to the dbt project
STAGING_INPUTS: tuple[str, ...] = ("models/staging", "macros", "dbt_project.yml")
RESTAGE_VAR = "staging_restage"
FINGERPRINT_COLUMN = "staging_fingerprint"


def staging_fingerprint(project: Path, salt: str | None = None) -> str:
    """SHA-256 over the files of STAGING_INPUTS (paths and bytes, in path order) and a
    salted hash of a constant (the salt in force unless ``salt`` is given)."""
    from liftlab.privacy import pseudonymize

    digest = hashlib.sha256()
    for name in STAGING_INPUTS:
        root = project / name
        paths = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in paths:
            digest.update(str(path.relative_to(project)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    digest.update(pseudonymize("staging fingerprint", salt).encode())
    return digest.hexdigest()


def restage_needed(previous: str | None, current: str) -> bool:
    """Whether an ``--append`` must stage every file again: the last build recorded no
    fingerprint (an older warehouse) or another one."""
    return previous != current


def last_fingerprint(con) -> str | None:
    """The staging fingerprint of the last build recorded in ``build_log`` (None when there
    is no such table, column or row)."""
    from liftlab.publish import last_build_row

    row = last_build_row(con, (FINGERPRINT_COLUMN,))
    return row[FINGERPRINT_COLUMN] if row else None
