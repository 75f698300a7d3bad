"""Text cells: numbers, hex ids and timestamps written as ASCII byte matrices by numpy.

A *cell matrix* is a ``(rows, width)`` ``uint8`` array holding one text field per row, NUL
(byte 0) where a shorter value leaves room. Fields are laid side by side with
:func:`row_strings` (or :func:`row_bytes`), which drops the NULs and returns one Python
object per row. This keeps the
per-value work of the generator in numpy: formatting a number costs a few table lookups
instead of a Python ``str``, and a row of many fields becomes a single Python object.

Digit tables hold four ASCII digits per ``uint32`` (memory order = text order), so a
four-digit group is one gather.
"""

from __future__ import annotations

from functools import cache

import numpy as np


@cache
def _digit_groups() -> tuple[np.ndarray, np.ndarray]:
    """uint32 of 0..9999 as four ASCII digits: zero-padded, and with leading zeros as NUL."""
    padded = "".join(f"{i:04d}" for i in range(10_000)).encode("ascii")
    lead = "".join(f"{i:>4}" for i in range(10_000)).replace(" ", "\0").encode("ascii")
    return np.frombuffer(padded, dtype=np.uint32), np.frombuffer(lead, dtype=np.uint32)


@cache
def _hex_pairs() -> np.ndarray:
    """uint16 of 0..255 as two lower-case hex digits."""
    return np.frombuffer("".join(f"{i:02x}" for i in range(256)).encode("ascii"), np.uint16)


def _as_bytes(groups: np.ndarray, width: int) -> np.ndarray:
    """The last ``width`` byte columns of a (rows, k) uint32 group matrix."""
    cells = groups.view(np.uint8).reshape(groups.shape[0], 4 * groups.shape[1])
    return cells[:, cells.shape[1] - width :]


def digits_needed(values: np.ndarray) -> int:
    """Decimal digits of the largest of non-negative integers (1 for none or zero)."""
    top = int(values.max(initial=0))
    return len(str(top))


def int_cells(values: np.ndarray, width: int | None = None) -> np.ndarray:
    """Decimal text of non-negative integers, right-aligned in ``width`` cells (by default
    as many as the largest value needs).

    Positions left of the first digit are NUL; zero is "0".
    """
    padded, lead = _digit_groups()
    rest = np.asarray(values, dtype=np.int64)
    needed = digits_needed(rest)
    if width is None:
        width = needed
    elif needed > width or (rest.size and rest.min() < 0):
        raise ValueError(f"integers outside 0..{10**width - 1}")
    n_groups = -(-width // 4)
    groups = np.empty((rest.size, n_groups), dtype=np.uint32)
    for g in range(n_groups - 1, -1, -1):
        rest, low = np.divmod(rest, 10_000)
        text = np.where(rest > 0, padded[low], lead[low])
        if g < n_groups - 1:  # a group with no digits left of it is blank, not "0"
            text = np.where((rest > 0) | (low > 0), text, 0)
        groups[:, g] = text
    return _as_bytes(groups, width)


def padded_cells(values: np.ndarray, width: int) -> np.ndarray:
    """Decimal text of non-negative integers zero-padded to exactly ``width`` digits."""
    padded, _ = _digit_groups()
    rest = np.asarray(values, dtype=np.int64)
    n_groups = -(-width // 4)
    groups = np.empty((rest.size, n_groups), dtype=np.uint32)
    for g in range(n_groups - 1, -1, -1):
        rest, low = np.divmod(rest, 10_000)
        groups[:, g] = padded[low]
    return _as_bytes(groups, width)


def hex_cells(raw: np.ndarray) -> np.ndarray:
    """Lower-case hex of a (rows, k) uint8 matrix: (rows, 2k) cells."""
    pairs = _hex_pairs()[np.ascontiguousarray(raw, dtype=np.uint8)]
    return pairs.view(np.uint8).reshape(raw.shape[0], 2 * raw.shape[1])


def civil_dates(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day of days since 1970-01-01 (proleptic Gregorian; H. Hinnant's
    ``civil_from_days``)."""
    z = days.astype(np.int64) + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day


def iso_ms_cells(ms: np.ndarray) -> np.ndarray:
    """ISO-8601 UTC text with milliseconds and a Z (``2018-02-08T23:54:14.089Z``): (rows, 24).

    Years 0..9999 only, as four digits.
    """
    days, in_day = np.divmod(np.asarray(ms, dtype=np.int64), 86_400_000)
    year, month, day = civil_dates(days)
    seconds, millis = np.divmod(in_day, 1000)
    hours, seconds = np.divmod(seconds, 3600)
    minutes, seconds = np.divmod(seconds, 60)
    return concat_cells(
        ms.size,
        [
            padded_cells(year, 4),
            b"-",
            padded_cells(month, 2),
            b"-",
            padded_cells(day, 2),
            b"T",
            padded_cells(hours, 2),
            b":",
            padded_cells(minutes, 2),
            b":",
            padded_cells(seconds, 2),
            b".",
            padded_cells(millis, 3),
            b"Z",
        ],
    )


def text_cells(texts: list[bytes]) -> np.ndarray:
    """Byte strings as a cell matrix (NUL padded on the right to the longest)."""
    width = max(1, max(map(len, texts), default=1))
    array = np.array(texts, dtype=f"S{width}")
    return array.view(np.uint8).reshape(len(texts), width)


def set_rows(matrix: np.ndarray, rows: np.ndarray, text: bytes) -> np.ndarray:
    """``matrix`` (widened if needed) with ``rows`` (a mask or indices) replaced by ``text``."""
    if len(text) > matrix.shape[1]:
        matrix = np.pad(matrix, ((0, 0), (0, len(text) - matrix.shape[1])))
    matrix[rows] = 0
    matrix[rows, : len(text)] = np.frombuffer(text, dtype=np.uint8)
    return matrix


def concat_cells(n_rows: int, parts: list[bytes | np.ndarray]) -> np.ndarray:
    """Fields side by side: constant ``bytes`` (the same in every row) or cell matrices.

    The constants are laid into one template row that is broadcast to every row at once;
    only the matrices are then copied column block by column block.
    """
    widths = [len(p) if isinstance(p, bytes) else p.shape[1] for p in parts]
    starts = np.cumsum([0, *widths]).tolist()
    template = np.frombuffer(
        b"".join(
            p if isinstance(p, bytes) else bytes(w) for p, w in zip(parts, widths, strict=True)
        ),
        dtype=np.uint8,
    )
    out = np.empty((n_rows, starts[-1]), dtype=np.uint8)
    out[:] = template
    for part, start, stop in zip(parts, starts, starts[1:], strict=False):
        if not isinstance(part, bytes):
            out[:, start:stop] = part
    return out


def row_strings(n_rows: int, parts: list[bytes | np.ndarray]) -> list[str]:
    """One ``str`` per row: the fields of :func:`concat_cells` without their NULs.

    Fields must be ASCII and hold no newline (it ends each row before the split).
    """
    if n_rows == 0:
        return []
    cells = concat_cells(n_rows, [*parts, b"\n"])
    rows = cells.tobytes().translate(None, b"\0").decode("ascii").split("\n")
    rows.pop()
    return rows


def row_bytes(n_rows: int, parts: list[bytes | np.ndarray]) -> list[bytes]:
    """Like :func:`row_strings`, as ``bytes`` (fields hold no newline)."""
    if n_rows == 0:
        return []
    cells = concat_cells(n_rows, [*parts, b"\n"])
    rows = cells.tobytes().translate(None, b"\0").split(b"\n")
    rows.pop()
    return rows
