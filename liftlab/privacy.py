"""Pseudonymisation of personal data (user ids, device MAC addresses).

The warehouse never stores a raw user id or MAC address: both are replaced by a salted
SHA-256 digest, truncated to 16 hex characters. The salt comes from the environment
variable ``LIFTLAB_ID_SALT``; its documented default only suits demos and tests. The same
function is implemented in SQL by the ``pseudonymize`` macro; a test keeps the two equal.
"""

from __future__ import annotations

import hashlib
import os

SALT_ENV_VAR = "LIFTLAB_ID_SALT"
DEFAULT_SALT = "liftlab-demo-salt"
DIGEST_HEX_CHARS = 16
# A device MAC address (aa:bb:cc:dd:ee:ff, also with dashes): the same pattern as the SQL
# macro mac_address_pattern() (macros/mac_address_pattern.sql); a test keeps the two equal.
MAC_ADDRESS_PATTERN = r"([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}"


def id_salt() -> str:
    """The salt in force: ``$LIFTLAB_ID_SALT`` or the documented default."""
    return os.environ.get(SALT_ENV_VAR) or DEFAULT_SALT


def pseudonymize(value: str, salt: str | None = None) -> str:
    """Salted, truncated SHA-256 of ``value``: sha256(salt + '|' + value)[:16]."""
    salt = id_salt() if salt is None else salt
    digest = hashlib.sha256(f"{salt}|{value}".encode()).hexdigest()
    return digest[:DIGEST_HEX_CHARS]
