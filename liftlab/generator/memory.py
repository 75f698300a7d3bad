"""Keep freed memory in the process while generating (glibc's malloc tunables).

Each batch allocates many numpy temporaries of a few megabytes. By default glibc serves
such blocks with ``mmap`` and returns them on free, so every temporary is page-faulted in
again: on the project's machines that made a chain of float64 operations on 300k values
ten times slower. Raising ``M_MMAP_THRESHOLD`` (to glibc's maximum, 32 MiB) and
``M_TRIM_THRESHOLD`` keeps the blocks in the heap for reuse. The previous defaults are
restored afterwards and the heap trimmed. Elsewhere (not glibc) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Iterator
from contextlib import contextmanager

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_MAX = 32 * 1024 * 1024  # glibc's ceiling on 64-bit
TRIM_THRESHOLD = 1024 * 1024 * 1024
GLIBC_DEFAULT = 128 * 1024  # both thresholds' defaults


def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "mallopt") else None


def hold_freed_memory() -> bool:
    """Raise both thresholds for the rest of the process; whether glibc took them."""
    libc = _glibc()
    return bool(
        libc
        and libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX)
        and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )


def restore_defaults() -> None:
    """glibc's default thresholds, and the free heap top returned to the system."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(M_TRIM_THRESHOLD, GLIBC_DEFAULT)
        libc.mallopt(M_MMAP_THRESHOLD, GLIBC_DEFAULT)
        if hasattr(libc, "malloc_trim"):
            libc.malloc_trim(0)


@contextmanager
def reuse_freed_memory() -> Iterator[bool]:
    """Within the block, freed large blocks stay in the heap; yields whether it applied."""
    applied = hold_freed_memory()
    try:
        yield applied
    finally:
        restore_defaults()
