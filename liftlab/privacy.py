"""Pseudonymisation of personal data (user ids, device MAC addresses).

The warehouse never stores a raw user id or MAC address: both are replaced by a salted
SHA-256 digest, truncated to 16 hex characters. The salt comes from the environment
variable ``LIFTLAB_ID_SALT``; its documented default only suits demos and tests. The same
function is implemented in SQL by the ``pseudonymize`` macro; a test keeps the two equal.

The salt never enters SQL text: dbt's connections receive it as the DuckDB variable
``liftlab_id_salt`` (:func:`set_salt_variable`, called by the dbt-duckdb plugin
:mod:`liftlab.dbt_plugin` on every cursor), and the macro reads
``getvariable('liftlab_id_salt')``. So compiled SQL, dbt's artifacts (manifest,
run_results) and its logs hold the variable's name, never the salt.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable
from pathlib import Path

from liftlab import environment

SALT_ENV_VAR = environment.ID_SALT
DEFAULT_SALT = "liftlab-demo-salt"
DIGEST_HEX_CHARS = 16
# The DuckDB variable the pseudonymize macro reads (macros/pseudonymize.sql).
SALT_VARIABLE = "liftlab_id_salt"


# A device MAC address (aa:bb:cc:dd:ee:ff, also with dashes): the same pattern as the SQL
# macro mac_address_pattern() (macros/mac_address_pattern.sql); a test keeps the two equal.
MAC_ADDRESS_PATTERN = r"([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}"


class DefaultSaltRefused(RuntimeError):
    """`liftlab build --strict` over real data with the public demo salt."""


def id_salt() -> str:
    """The salt in force: ``$LIFTLAB_ID_SALT`` or the documented default."""
    return environment.setting(SALT_ENV_VAR) or DEFAULT_SALT


def pseudonymize(value: str, salt: str | None = None) -> str:
    """Salted, truncated SHA-256 of ``value``: sha256(salt + '|' + value)[:16]."""
    salt = id_salt() if salt is None else salt
    digest = hashlib.sha256(f"{salt}|{value}".encode()).hexdigest()
    return digest[:DIGEST_HEX_CHARS]


def set_salt_variable(con, salt: str | None = None) -> None:
    """Set the salt in force as the DuckDB variable ``liftlab_id_salt`` on ``con`` (a
    connection or cursor: DuckDB variables do not pass from a connection to its cursors).
    The value travels as a bound parameter, never as SQL text."""
    con.execute(f"set variable {SALT_VARIABLE} = ?", [id_salt() if salt is None else salt])


# --- the demo salt on real data ---------------------------------------------------------


def is_generated(path: Path) -> bool:
    """Whether ``path`` is an export written by `liftlab generate`: the generator's
    manifest sits beside it and names it."""
    from liftlab.generator.writer import sidecar_paths

    manifest = sidecar_paths(path)["manifest"]
    try:
        content = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(content, dict) or "generator_version" not in content:
        return False
    files = content.get("files")
    return isinstance(files, dict) and files.get("export") == path.name


def real_inputs(files: Iterable[Path]) -> list[Path]:
    """The input files the generator did not write (real data, as far as liftlab knows)."""
    return [path for path in files if not is_generated(path)]


def check_default_salt(data: str, *, strict: bool = False) -> None:
    """Before a build over ``data``: with the public demo salt in force and an input the
    generator did not write, print a one-line warning, or with ``strict`` raise
    :class:`DefaultSaltRefused`. Nothing when a salt of one's own is set."""
    from liftlab.landing import resolve_inputs

    if id_salt() != DEFAULT_SALT:
        return
    try:
        real = real_inputs(resolve_inputs(data))
    except FileNotFoundError:
        return  # the build itself reports the missing input
    if not real:
        return
    more = f" and {len(real) - 1} more" if len(real) > 1 else ""
    what = f"{real[0].name}{more} (not written by `liftlab generate`)"
    if strict:
        raise DefaultSaltRefused(
            f"refusing to pseudonymise {what} with the public demo salt: set {SALT_ENV_VAR}"
        )
    print(
        f"liftlab build: warning: {what} pseudonymised with the public demo salt;"
        f" set {SALT_ENV_VAR} for real data (--strict refuses)",
        file=sys.stderr,
    )
