"""The generator's vectorised text cells agree with Python's own formatting."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from liftlab.generator import cells, encode

RNG = np.random.default_rng(20_181_124)


def _rows(matrix: np.ndarray) -> list[str]:
    return cells.row_strings(matrix.shape[0], [matrix])


def test_int_cells_match_str_and_guard_their_width() -> None:
    values = np.concatenate([[0, 1, 9, 10, 9999, 10_000, 123_456_789], RNG.integers(0, 10**9, 500)])
    assert _rows(cells.int_cells(values)) == [str(v) for v in values.tolist()]
    assert _rows(cells.int_cells(np.array([7, 42]), 5)) == ["7", "42"]
    assert cells.int_cells(np.array([7, 42]), 5).shape == (2, 5)
    with pytest.raises(ValueError):
        cells.int_cells(np.array([100_000]), 5)
    with pytest.raises(ValueError):
        cells.int_cells(np.array([-1]), 5)


def test_padded_and_hex_cells() -> None:
    values = RNG.integers(0, 10**7, 300)
    assert _rows(cells.padded_cells(values, 7)) == [f"{v:07d}" for v in values.tolist()]
    raw = RNG.integers(0, 256, (50, 12), dtype=np.uint8)
    assert _rows(cells.hex_cells(raw)) == [bytes(r).hex() for r in raw]


def test_iso_cells_match_numpy_datetimes() -> None:
    ms = np.concatenate(
        [[0, 951_782_400_000, 4_107_542_399_999], RNG.integers(0, 4_102_444_800_000, 2000)]
    )
    expected = [
        t + "Z" for t in np.datetime_as_string(ms.astype("datetime64[ms]"), unit="ms").tolist()
    ]
    assert _rows(cells.iso_ms_cells(ms)) == expected
    assert _rows(cells.iso_ms_cells(ms[:1])) == ["1970-01-01T00:00:00.000Z"]
    leap = int(dt.datetime(2016, 2, 29, 23, 59, 59, 999_000, dt.UTC).timestamp() * 1000)
    assert _rows(cells.iso_ms_cells(np.array([leap]))) == ["2016-02-29T23:59:59.999Z"]


def test_significant_cells_print_like_percent_g() -> None:
    values = np.concatenate(
        [
            [15.0, 9.99999999, 0.5, 1.0, 100.0, 14.850569, 0.001234, 99_999_999.0],
            RNG.uniform(0.01, 20_000, 3000),
        ]
    )
    assert _rows(encode.significant_cells(values)) == [f"{v:.8g}" for v in values.tolist()]


def test_velocity_cells_are_sixteen_decimals_of_the_value() -> None:
    values = np.concatenate([[0.05, 1.0, 3.5, 9.75], RNG.uniform(0.05, 6.0, 3000)])
    texts = _rows(encode.velocity_cells(values))
    for text, value in zip(texts, values.tolist(), strict=True):
        whole, decimals = text.split(".")
        assert len(decimals) == 16 and decimals[-1] != "0" and whole == str(int(value))
        assert float(text) == pytest.approx(value, rel=1e-14, abs=1e-15)


def test_java_float_strings() -> None:
    values = np.array([485_699_872.0, 3_981_163_010.0, 50_000_000.0, 99_999_999.7])
    assert cells.row_strings(values.size, [b'"', encode.java_float_cells(values), b'"']) == [
        '"4.8569987E8"',
        '"3.981163E9"',
        '"5.0E7"',
        '"1.0E8"',
    ]


def test_ids_have_their_formats() -> None:
    uuids = _rows(encode.uuid_cells(np.random.default_rng(1), 200))
    assert all(len(u) == 36 and u[14] == "4" and u[19] in "89ab" for u in uuids)
    assert len(set(uuids)) == 200
    ids = _rows(encode.object_id_cells(np.random.default_rng(1), np.array([1_500_000_000, 1])))
    assert ids[0].startswith(f"{1_500_000_000:08x}") and ids[1].startswith("00000001")
    assert all(len(i) == 24 for i in ids)


def test_rows_drop_padding_and_keep_order() -> None:
    parts = [
        b"<",
        cells.int_cells(np.array([5, 12345, 0])),
        b">",
        cells.text_cells([b"a", b"", b"bcd"]),
    ]
    assert cells.row_strings(3, parts) == ["<5>a", "<12345>", "<0>bcd"]
    assert cells.row_bytes(3, parts) == [b"<5>a", b"<12345>", b"<0>bcd"]
    assert cells.row_strings(0, []) == []
