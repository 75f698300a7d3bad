"""Encoding to the export's text: rep data arrays as strings, ids, timestamps, JSON lines.

Numbers are written by numpy into byte cells (:mod:`liftlab.generator.cells`) from lookup
tables, so a value costs a few array operations rather than a Python ``str``; Python only
handles one object per rep field group and per set.
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np

from liftlab.generator import cells
from liftlab.generator.lifters import Lifters

FLAG = {3: "-3456.0", 2: "-2345.0", 1: "-1234.0"}
SETTINGS_FLAG_INDEX = {3: 21, 2: 18, 1: 6}
BULK_START_INDEX = {3: 24, 2: 21, 1: 9}
MAX_BULK_INT = 99_999
ABSURD_VELOCITY = "299792458.0"


@cache
def _tick_words() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A bulk item as two uint64 words (16 bytes, memory order = text order), by table:

    word 0 = ``"`` + integer part (0..99999, leading zeros as NUL) + ``.`` + first fraction
    digit; word 1 = three more fraction digits + ``",`` + three NULs. Fractions 0..9999 are
    four digits with trailing zeros as NUL ("0" kept for zero). Returns the integer table
    (word 0 without its last byte) and the fraction's share of word 0 and of word 1.
    """
    ints = "".join(f'"{i:>5}.\0' for i in range(MAX_BULK_INT + 1)).replace(" ", "\0")
    fracs = [f"{i:04d}".rstrip("0").ljust(4, "\0") or "0\0\0\0" for i in range(10_000)]
    frac_words = "".join(f'\0\0\0\0\0\0\0{f[0]}{f[1:]}",\0\0\0' for f in fracs)
    int_words = np.frombuffer(ints.encode("ascii"), np.uint64)
    frac_pairs = np.frombuffer(frac_words.encode("ascii"), np.uint64).reshape(-1, 2)
    return int_words, frac_pairs[:, 0].copy(), frac_pairs[:, 1].copy()


# XOR mask turning the comma (byte 4 of word 1) into a newline, in memory order
COMMA_TO_NEWLINE = np.frombuffer(bytes([0, 0, 0, 0, ord(",") ^ ord("\n"), 0, 0, 0]), np.uint64)[0]


def bulk_texts(rng: np.random.Generator, values: np.ndarray, offsets: np.ndarray) -> list[bytes]:
    """Each rep's bulk items as quoted strings joined by commas (``offsets``: CSR, every rep
    with at least one value).

    Integer part = µs per tick; the fraction (trailing zeros stripped) is a second, smoothed
    reading, as in the sample ("1094.103"). Built as one 16-byte row per value from lookup
    tables, NUL padding dropped at the end and a newline after each rep's last value to
    split on: one ``bytes`` per rep, none per value.
    """
    n = values.size
    ints = np.clip(np.rint(values), 1, MAX_BULK_INT).astype(np.int64)
    ratio = 0.88 + 0.44 * rng.random(n, dtype=np.float32)
    frac = np.clip(np.rint(ints * ratio), 0, 9999).astype(np.int64)
    int_words, frac_word0, frac_word1 = _tick_words()
    words = np.empty((n, 2), dtype=np.uint64)
    words[:, 0] = int_words[ints] | frac_word0[frac]
    words[:, 1] = frac_word1[frac]
    words[offsets[1:] - 1, 1] ^= COMMA_TO_NEWLINE
    reps = words.tobytes().translate(None, b"\0").split(b"\n")
    reps.pop()
    return reps


def velocity_cells(values: np.ndarray) -> np.ndarray:
    """Velocities (0 <= v < 100 m/s) as the app's double text: 16 decimals, the last one
    non-zero (``0.6630936882177512``), the way the sample prints them."""
    whole = np.floor(values)
    scaled = (values - whole) * 1e8
    high = np.floor(scaled)
    low = np.minimum(np.rint((scaled - high) * 1e8), 99_999_999).astype(np.int64)
    low += low % 10 == 0
    return cells.concat_cells(
        values.size,
        [
            cells.int_cells(whole.astype(np.int64)),
            b".",
            cells.padded_cells(high.astype(np.int64), 8),
            cells.padded_cells(low, 8),
        ],
    )


def _strip_trailing_zeros(digits: np.ndarray, keep_first: bool) -> np.ndarray:
    """NUL out the trailing "0"s of each row of digit cells (in place)."""
    zero = digits == ord("0")
    trailing = np.flip(np.logical_and.accumulate(np.flip(zero, axis=1), axis=1), axis=1)
    if keep_first:
        trailing[:, 0] = False
    digits[trailing] = 0
    return digits


def java_float_cells(values: np.ndarray) -> np.ndarray:
    """Large counters as the app's Java float text, e.g. 4.85699872E8 (8 significant digits,
    trailing zeros dropped, at least one decimal)."""
    v = np.maximum(values.astype(float), 1.0)
    exp = np.floor(np.log10(v)).astype(np.int64)
    mant = np.rint(v / 10.0 ** (exp - 7)).astype(np.int64)
    carry = mant >= 100_000_000
    mant = np.where(carry, mant // 10, mant)
    exp = exp + carry
    lead, decimals = np.divmod(mant, 10_000_000)
    return cells.concat_cells(
        values.size,
        [
            cells.int_cells(lead),
            b".",
            _strip_trailing_zeros(np.array(cells.padded_cells(decimals, 7)), keep_first=True),
            b"E",
            cells.int_cells(exp),
        ],
    )


def significant_cells(values: np.ndarray, digits: int = 8) -> np.ndarray:
    """Positive numbers below ``10 ** digits`` as C's ``%.{digits}g`` prints them in fixed
    notation: ``digits`` significant digits, trailing zeros and a bare point dropped."""
    v = np.maximum(values.astype(float), 10.0 ** -(digits - 1))
    exp = np.floor(np.log10(v)).astype(np.int64)
    decimals = np.clip(digits - 1 - exp, 0, 2 * digits - 2)
    whole, fraction = np.divmod(np.rint(v * 10.0**decimals).astype(np.int64), 10**decimals)
    width = max(int(decimals.max(initial=0)), 1)
    frac = np.array(cells.padded_cells(fraction * 10 ** (width - decimals), width))
    _strip_trailing_zeros(frac, keep_first=False)
    point = np.where(frac[:, 0] != 0, ord("."), 0).astype(np.uint8)[:, None]
    return cells.concat_cells(v.size, [cells.int_cells(whole), point, frac])


def device_settings(version: int, unit: int, firmware_v3: str = "3.01") -> str:
    """Quoted settings block from index 10 (V2/V3) or 7 (V1) up to the bulk-start flag."""
    if version == 1:
        return '"-9999.0","5.0","10.0","-9876.0"'
    common = '"0.0","130000.0","10000.0","150000.0","1.0","1.0"'
    if version == 2:
        return f'{common},"2.0","{unit}.0","-9999.0","5.0","10.0","-9876.0"'
    return (
        f'{common},"{firmware_v3}","{unit}.0","205.0","20.0","1.0","-9999.0","5.0","10.0","-9876.0"'
    )


def rep_prefixes(lifters: Lifters) -> list[str]:
    """Per lifter: the constant rep-object text that precedes ``time``'s value."""
    out = []
    for i in range(lifters.size):
        hw = "ios" if lifters.ios[i] else "android"
        app = "3.3.0" if lifters.new_app[i] else "2.1.4"
        unit = int(lifters.device_unit[i])
        out.append(
            f'{{"isValid":true,"removed":false,"hardware":"{hw}","appVersion":"{app}",'
            f'"deviceName":"OB {unit}","deviceIdentifier":"{lifters.mac[i]}","time":"'
        )
    return out


def settings_blocks(lifters: Lifters) -> list[str]:
    """Per lifter: the device's settings block (depends on version and unit number)."""
    return [
        device_settings(int(v), int(u))
        for v, u in zip(lifters.device_version.tolist(), lifters.device_unit.tolist(), strict=True)
    ]


def uuid_cells(rng: np.random.Generator, n: int) -> np.ndarray:
    """Random (version 4) uuids drawn from ``rng``: (n, 36) cells."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    h = cells.hex_cells(raw)
    return cells.concat_cells(
        n, [h[:, :8], b"-", h[:, 8:12], b"-", h[:, 12:16], b"-", h[:, 16:20], b"-", h[:, 20:]]
    )


def object_id_cells(rng: np.random.Generator, seconds: np.ndarray) -> np.ndarray:
    """MongoDB-like ObjectIds: 4-byte upload time then 8 random bytes: (n, 24) hex cells."""
    rand = rng.integers(0, 256, size=(seconds.size, 8), dtype=np.uint8)
    stamp = seconds.astype(">u4").view(np.uint8).reshape(-1, 4)
    return cells.concat_cells(seconds.size, [cells.hex_cells(stamp), cells.hex_cells(rand)])


@cache
def json_text(value: str | None) -> str:
    """JSON literal of a string or null, UTF-8 kept raw (cached: labels repeat)."""
    return json.dumps(value, ensure_ascii=False)
