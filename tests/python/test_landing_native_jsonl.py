"""JSON Lines landed by DuckDB: the same raw rows as the Python path, and the files DuckDB's
reader would get wrong left to the Python path (which names their problems by line)."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import duckdb
import pytest

import liftlab.landing.raw_tables as raw_tables
from liftlab.landing import land
from liftlab.landing.native_jsonl import count_line_breaks, land_jsonl_in_duckdb

NATIVE = {
    "plain": b'{"a":1}\n{"b":2}\n',
    "no_final_newline": b'{"a":1}\n{"b":2}',
    "crlf_and_blank_lines": b'{"a":1}\r\n\r\n{"b":2}\r\n{"c":3}\n\n',
    "whitespace_lines": b'\n  \n\t\n{"a":1}\n   {"b":2}   \n\n\n',
    "whitespace_last_line": b'{"a":1}\n   ',
    "unicode_whitespace": '\u00a0{"e":1}\u00a0\n\u2028{"f":2}\u3000\n\u00a0\n'.encode(),
    "byte_order_marks": '\ufeff{"a":1}\n\ufeff  {"b":1}\n  \ufeff{"c":1}\n\ufeff\n'.encode(),
    "nul_and_controls": b'{"f":"\x00"}\n' + bytes(range(2, 10)) + b"\n\x0c{:1}\x0b\n",
    "csv_punctuation": b'{"a":"x,y;z\\"q\'"}\n"a string"\n[1,2]\nnot json\n',
    "multibyte": '{"\u00fc":"\u65e5\u672c \U0001f3cb"}\n'.encode(),
    "line_past_2_mb": b'{"a":"' + b"x" * 3_000_000 + b'"}\n{"b":1}\n',
    "empty": b"",
}
PYTHON_PATH = {
    "lone_carriage_return": b'{"a":1}\n{"d":"lo\rne"}\n',
    "carriage_return_at_end": b'{"a":1}\n{"b":2}\r',
    "delimiter_byte": b'{"a":1}\n{"c":"x\x01y"}\n',
    "invalid_utf8": b'{"a":1}\n{"c":"\xff\xfe"}\n{"d":1}\n',
    # the reader settles on "\n" from the first lines, then reads "\r\n" as two breaks
    "crlf_after_many_lf": b'{"a":1}\n' * 30_000 + b'{"b":2}\r\n{"c":3}\n',
}
RAW_COLUMNS = "load_sequence, source_file, source_file_name, ordinal, source_line, source_shape, document_key, raw_text, landing_error"  # noqa: E501


def _write(tmp_path: Path, name: str, data: bytes, compress: bool) -> Path:
    path = tmp_path / (f"{name}.jsonl.gz" if compress else f"{name}.jsonl")
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def _landed(tmp_path: Path, path: Path, *, python_only: bool, monkeypatch) -> tuple:
    """(raw rows, file errors, documents) of landing ``path`` into a new warehouse."""
    with monkeypatch.context() as patch:
        if python_only:
            patch.setattr(raw_tables, "land_jsonl_in_duckdb", lambda *args: None)
        con = duckdb.connect(str(tmp_path / f"w_{python_only}_{path.name}.duckdb"))
        summary = land(str(path), con)
    rows = con.sql(f"select {RAW_COLUMNS} from raw.set_documents").fetchall()
    errors = con.sql("select source_line, reason, detail from raw.landing_file_errors").fetchall()
    return rows, errors, summary.documents_landed


def _incoming(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "scratch.duckdb"))
    con.execute(
        "create table incoming (load_sequence integer, source_file varchar,"
        " source_file_name varchar, ordinal integer, source_line integer,"
        " source_shape varchar, document_key varchar, raw_text varchar, landing_error varchar)"
    )
    return con


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("name", sorted(NATIVE) + sorted(PYTHON_PATH))
def test_landing_is_the_python_paths_row_for_row(tmp_path, monkeypatch, name, compress):
    data = NATIVE.get(name, PYTHON_PATH.get(name))
    path = _write(tmp_path, name, data, compress)
    con = _incoming(tmp_path)
    landed_by_duckdb = land_jsonl_in_duckdb(con, path, "incoming", 1)
    assert (landed_by_duckdb is not None) == (name in NATIVE)
    if landed_by_duckdb is None:  # nothing left behind for the Python path to add to
        assert con.sql("select count(*) from incoming").fetchall() == [(0,)]
    # in insertion order: the raw rows keep the file's order
    assert _landed(tmp_path, path, python_only=False, monkeypatch=monkeypatch) == _landed(
        tmp_path, path, python_only=True, monkeypatch=monkeypatch
    )


def test_a_truncated_gzip_is_named_by_line(tmp_path, monkeypatch):
    lines = b"".join(b'{"setID":"%s"}\n' % os.urandom(16).hex().encode() for _ in range(4000))
    compressed = gzip.compress(lines)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(compressed[: len(compressed) // 2])
    assert land_jsonl_in_duckdb(_incoming(tmp_path), path, "incoming", 1) is None
    rows, errors, documents = _landed(tmp_path, path, python_only=False, monkeypatch=monkeypatch)
    assert 0 < documents < 4000 and len(rows) == documents
    assert [(line, reason) for line, reason, _ in errors] == [(documents + 1, "corrupt_gzip")]


@pytest.mark.parametrize("memory_limit", ["1GB", "3GB"])
def test_duckdb_lands_within_the_warehouse_memory_limit(tmp_path, memory_limit):
    """The read buffer fits the memory limit liftlab runs under (a buffer sized for
    1 GB lines did not, and every file silently took the slow path)."""
    path = _write(tmp_path, "plain", NATIVE["plain"] * 1000, compress=True)
    con = _incoming(tmp_path)
    con.execute(f"set memory_limit = '{memory_limit}'")
    assert land_jsonl_in_duckdb(con, path, "incoming", 1) == 2000


def test_a_line_past_the_limit_is_left_to_python(tmp_path, monkeypatch):
    monkeypatch.setattr("liftlab.landing.native_jsonl.MAX_LINE_BYTES", 1 << 20)
    path = _write(tmp_path, "long", b'{"a":"' + b"x" * 1_500_000 + b'"}\n', compress=False)
    assert land_jsonl_in_duckdb(_incoming(tmp_path), path, "incoming", 1) is None


def test_concatenated_gzip_members_are_all_read(tmp_path):
    path = tmp_path / "members.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"a":1}\n{"b":2}\n') + gzip.compress(b'{"c":3}\n'))
    con = _incoming(tmp_path)
    assert land_jsonl_in_duckdb(con, path, "incoming", 1) == 3
    assert con.sql("select source_line, raw_text from incoming").fetchall() == [
        (1, '{"a":1}'),
        (2, '{"b":2}'),
        (3, '{"c":3}'),
    ]


def test_a_path_duckdb_would_read_as_a_glob_is_left_to_python(tmp_path):
    (tmp_path / "a1.jsonl").write_bytes(b'{"other":1}\n')
    path = tmp_path / "a[1].jsonl"
    path.write_bytes(b'{"a":1}\n')
    assert land_jsonl_in_duckdb(_incoming(tmp_path), path, "incoming", 1) is None


def test_line_breaks_are_counted_across_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr("liftlab.landing.native_jsonl.CHUNK_BYTES", 4)
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"a"}\r\n{"bc"}\r\n\r\nxy')  # "\r" and "\n" fall in different chunks
    breaks = count_line_breaks(path)
    assert (breaks.lines, breaks.has_lone_carriage_return) == (4, False)
    path.write_bytes(b'{"a"\r}\n')
    assert count_line_breaks(path).has_lone_carriage_return
