"""Encoding to the export's text: rep data arrays as strings, ids, timestamps, JSON lines.

Everything here is string assembly over numpy arrays prepared upstream; lookup tables keep
the per-value work to one concatenation, which is what makes 100k+ reps/s possible.
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np

from liftlab.generator.lifters import Lifters

FLAG = {3: "-3456.0", 2: "-2345.0", 1: "-1234.0"}
SETTINGS_FLAG_INDEX = {3: 21, 2: 18, 1: 6}
BULK_START_INDEX = {3: 24, 2: 21, 1: 9}
MAX_BULK_INT = 99_999
ABSURD_VELOCITY = "299792458.0"


@cache
def _digit_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """ASCII digits of 0..99999 (leading zeros as NUL) and of 4-digit fractions (trailing
    zeros as NUL, "0" kept for zero), with their printed lengths."""
    ints = np.array([f"{i:>5}".replace(" ", "\0") for i in range(MAX_BULK_INT + 1)])
    fracs = np.array([f"{i:04d}".rstrip("0").ljust(4, "\0") or "0\0\0\0" for i in range(10_000)])
    int_cells = ints.astype("S5").view(np.uint8).reshape(-1, 5)
    frac_cells = fracs.astype("S4").view(np.uint8).reshape(-1, 4)
    return int_cells, (int_cells != 0).sum(1), frac_cells, (frac_cells != 0).sum(1)


def bulk_text(rng: np.random.Generator, values: np.ndarray) -> tuple[str, np.ndarray]:
    """All bulk values of a batch as one text of quoted items followed by commas.

    Integer part = µs per tick; the fraction (trailing zeros stripped) is a second, smoothed
    reading, as in the sample ("1094.103"). Returns the text and the char offset of every
    item (len = values + 1), so a rep's items are ``text[c[a] : c[b] - 1]``. Built as a
    byte matrix with NUL padding dropped at the end, rather than one Python string per
    value: that is most of the throughput.
    """
    n = values.size
    ints = np.clip(np.rint(values), 1, MAX_BULK_INT).astype(np.int64)
    ratio = 0.88 + 0.44 * rng.random(n, dtype=np.float32)
    frac = np.clip(np.rint(ints * ratio), 0, 9999).astype(np.int64)
    int_cells, int_len, frac_cells, frac_len = _digit_tables()
    cells = np.empty((n, 13), dtype=np.uint8)
    cells[:, 0] = ord('"')
    cells[:, 1:6] = int_cells[ints]
    cells[:, 6] = ord(".")
    cells[:, 7:11] = frac_cells[frac]
    cells[:, 11] = ord('"')
    cells[:, 12] = ord(",")
    flat = cells.ravel()
    text = flat[flat != 0].tobytes().decode("ascii")
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(4 + int_len[ints] + frac_len[frac], out=offsets[1:])
    return text, offsets


def java_float_strings(values: np.ndarray) -> list[str]:
    """Large counters as the app's Java float text, e.g. 4.85699872E8 (8 significant digits)."""
    v = np.maximum(values.astype(float), 1.0)
    exp = np.floor(np.log10(v)).astype(np.int64)
    mant = np.rint(v / 10.0 ** (exp - 7)).astype(np.int64)
    carry = mant >= 100_000_000
    mant = np.where(carry, mant // 10, mant)
    exp = exp + carry
    return [
        f'"{m[0]}.{m[1:].rstrip("0") or "0"}E{e}"'
        for m, e in zip(map(str, mant.tolist()), exp.tolist(), strict=True)
    ]


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


def data_openings(lifters: Lifters) -> list[str]:
    """Per lifter: the text from the end of ``time``'s value to the rep number."""
    return [f'","data":["{FLAG[v]}","' for v in lifters.device_version.tolist()]


def settings_blocks(lifters: Lifters) -> list[str]:
    """Per lifter: the device's settings block (depends on version and unit number)."""
    return [
        device_settings(int(v), int(u))
        for v, u in zip(lifters.device_version.tolist(), lifters.device_unit.tolist(), strict=True)
    ]


def iso_ms(ms: np.ndarray) -> list[str]:
    """ISO-8601 UTC timestamps with milliseconds and a Z."""
    text = np.datetime_as_string(ms.astype("datetime64[ms]"), unit="ms")
    return [t + "Z" for t in text.tolist()]


def uuid4s(rng: np.random.Generator, n: int) -> list[str]:
    """Random (version 4) uuids drawn from ``rng``."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexes = raw.tobytes().hex()
    out = []
    for i in range(n):
        h = hexes[32 * i : 32 * i + 32]
        out.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return out


def object_ids(rng: np.random.Generator, seconds: np.ndarray) -> list[str]:
    """MongoDB-like ObjectIds: 4-byte upload time then 8 random bytes, 24 hex chars."""
    rand = rng.integers(0, 256, size=(seconds.size, 8), dtype=np.uint8).tobytes().hex()
    secs = seconds.astype(np.int64).tolist()
    return [f"{s:08x}{rand[16 * i : 16 * i + 16]}" for i, s in enumerate(secs)]


@cache
def json_text(value: str | None) -> str:
    """JSON literal of a string or null, UTF-8 kept raw (cached: labels repeat)."""
    return json.dumps(value, ensure_ascii=False)
