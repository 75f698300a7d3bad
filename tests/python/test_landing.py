"""Landing: shapes, lineage, unreadable input, idempotency."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import duckdb
import pytest

from liftlab.landing import (
    detect_shape,
    land,
    resolve_inputs,
    scan_inputs,
    split_array,
    split_history,
)

DOC_A = {"setID": "a", "reps": [], "exercise": "squat"}
DOC_B = {"setID": "b", "reps": [{"data": ["-3456.0"]}], "weight": "100"}


def _land(tmp_path: Path, data: Path | str, **kwargs) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    land(str(data), con, **kwargs)
    return con


def _rows(con, columns="ordinal, source_line, source_shape, document_key, landing_error"):
    return con.sql(f"select {columns} from raw.set_documents order by ordinal").fetchall()


@pytest.mark.parametrize(
    ("head", "shape"),
    [
        ("", None),
        ("  \n", None),
        ('[{"setID": "a"}]', "array"),
        ('{"setID": "a", "reps": []}\n{"setID": "b"}', "jsonl"),
        ('{"_id": "x", "userID": "u", "setID": "a"}', "jsonl"),
        ('{"abc-123": {"setID": "abc-123", "reps": []}}', "app_history"),
        ('{\n  "abc-123": {\n    "setID": "abc-123"', "app_history"),
        ('{"setID": "a", "reps": [', "jsonl"),
        ("not json at all", "jsonl"),
        # MongoDB extended JSON Lines: the first field's value is a "$" wrapper
        ('{"_id": {"$oid": "5c79"}, "setID": "a"}', "jsonl"),
        ('{"when": {"$date": "2019-03-01T10:00:00Z"}, "setID": "a"}', "jsonl"),
        ('{"_id": {"oid": 1}, "setID": "a"}', "jsonl"),
        ("{" + "[" * 10_000, "jsonl"),  # no string key: not a history object
        ('{"k": ' + '{"a": ' * 10_000, "app_history"),
    ],
)
def test_detect_shape(head, shape):
    assert detect_shape(head) == shape


def test_split_array_keeps_exact_text_and_lines():
    text = '[\n  {"setID": "a",  "x": 1},\n  {"setID": "b"}\n]\n'
    docs = list(split_array(text))
    assert [d.raw_text for d in docs] == ['{"setID": "a",  "x": 1}', '{"setID": "b"}']
    assert [d.source_line for d in docs] == [2, 3]
    assert all(d.landing_error is None for d in docs)


def test_split_array_truncated_keeps_the_tail_as_an_error():
    docs = list(split_array('[{"setID": "a"}, {"setID": "b", "reps": [1, '))
    assert [d.landing_error is None for d in docs] == [True, False]
    assert docs[1].landing_error.startswith("malformed_json")
    assert docs[1].raw_text.startswith('{"setID": "b"')


def test_split_history_keys_and_values():
    text = json.dumps({"k1": DOC_A, "k2": DOC_B}, indent=2)
    docs = list(split_history(text))
    assert [d.document_key for d in docs] == ["k1", "k2"]
    assert [json.loads(d.raw_text) for d in docs] == [DOC_A, DOC_B]


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("shape", ["jsonl", "array", "app_history"])
def test_all_three_shapes_plain_and_gzip(tmp_path, shape, compress):
    if shape == "jsonl":
        text = json.dumps(DOC_A) + "\n\n" + json.dumps(DOC_B) + "\n"
    elif shape == "array":
        text = json.dumps([DOC_A, DOC_B], indent=1)
    else:
        text = json.dumps({"a": DOC_A, "b": DOC_B})
    name = f"export.{'jsonl' if shape == 'jsonl' else 'json'}"
    path = tmp_path / (name + (".gz" if compress else ""))
    path.write_bytes(gzip.compress(text.encode()) if compress else text.encode())
    con = _land(tmp_path, path)
    rows = con.sql(
        "select ordinal, source_shape, landing_error, raw_text from raw.set_documents"
        " order by ordinal"
    ).fetchall()
    assert [json.loads(r[3]) for r in rows] == [DOC_A, DOC_B]
    assert {r[1] for r in rows} == {shape}
    assert all(r[2] is None for r in rows)
    if shape == "jsonl":
        assert [r[0] for r in rows] == [1, 3]  # ordinal is the line number


def test_invalid_utf8_line_is_isolated(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"setID": "a"}\n{"setID": "\xff"}\n{"setID": "c"}\n')
    con = _land(tmp_path, path)
    errors = [r[4] for r in _rows(con)]
    assert errors == [None, "invalid_utf8", None]


def test_empty_and_corrupt_files_are_reported(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.jsonl").write_text("")
    (tmp_path / "in" / "bad.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    con = _land(tmp_path, tmp_path / "in")
    problems = con.sql(
        "select source_file_name, reason from raw.landing_file_errors order by 1"
    ).fetchall()
    assert problems == [("bad.jsonl.gz", "corrupt_gzip"), ("empty.jsonl", "empty_file")]


def test_landing_is_idempotent_and_appends_new_files(tmp_path):
    first = tmp_path / "one.jsonl"
    first.write_text(json.dumps(DOC_A) + "\n")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    assert land(str(first), con).documents_landed == 1
    again = land(str(first), con)
    assert (again.files_unchanged, again.documents_landed) == (1, 0)
    second = tmp_path / "two.jsonl"
    second.write_text(json.dumps(DOC_B) + "\n")
    land(str(second), con)
    assert con.sql("select count(*) from raw.set_documents").fetchall()[0][0] == 2
    # a changed file replaces its own rows only
    first.write_text(json.dumps(DOC_A) + "\n" + json.dumps(DOC_B) + "\n")
    land(str(first), con)
    assert con.sql("select count(*) from raw.set_documents").fetchall()[0][0] == 3
    # replace_all rebuilds from just this input
    land(str(second), con, replace_all=True)
    assert con.sql("select count(*) from raw.set_documents").fetchall()[0][0] == 1


def test_resolve_inputs_directory_glob_and_ground_truth_exclusion(tmp_path):
    (tmp_path / "a.jsonl").write_text("{}\n")
    (tmp_path / "b.json.gz").write_bytes(gzip.compress(b"[]"))
    (tmp_path / "a.truth_sets.parquet").write_bytes(b"PAR1")
    (tmp_path / "a.manifest.json").write_text("{}")
    (tmp_path / "notes.txt").write_text("x")
    names = [p.name for p in resolve_inputs(str(tmp_path))]
    assert names == ["a.jsonl", "b.json.gz"]
    assert [p.name for p in resolve_inputs(str(tmp_path / "*.jsonl"))] == ["a.jsonl"]
    with pytest.raises(FileNotFoundError):
        resolve_inputs(str(tmp_path / "nothing-*.jsonl"))


DEEP = "[" * 10_000 + "]" * 10_000


@pytest.mark.parametrize(
    ("text", "split", "expected"),
    [
        # nested deeper than Python's recursion limit: one document, no RecursionError
        (f'[{DEEP}, {{"setID": "b"}}]', split_array, [(1, None), (1, None)]),
        ('{"k": ' + '{"a": ' * 10_000 + "1" + "}" * 10_001, split_history, [(1, None)]),
        # deep and truncated: the tail is one named row
        ("[" + "[" * 10_000, split_array, [(1, "malformed_json: truncated")]),
        # a malformed element lands alone (staging quarantines it); the next one lands
        ('[{"a": tru},\n{"setID": "b"}]', split_array, [(1, None), (2, None)]),
        ('[{"a": [1}, {"setID": "b"}]', split_array, [(1, "malformed_json: mismatched")]),
        ('[{"setID": "a"}] junk', split_array, [(1, None), (1, "trailing_text")]),
        ('[{"a": "x\\"]}"} {"b": 1}]', split_array, [(1, None), (1, "malformed_json: expected")]),
    ],
)
def test_split_is_iterative_and_names_what_it_cannot_split(text, split, expected):
    docs = list(split(text))
    got = [(d.source_line, d.landing_error) for d in docs]
    assert [line for line, _ in got] == [line for line, _ in expected]
    for (_, error), (_, prefix) in zip(got, expected, strict=True):
        assert (error is None) == (prefix is None) and (error or "").startswith(prefix or "")
    if text.startswith(f"[{DEEP}"):
        assert docs[0].raw_text == DEEP


def test_a_large_array_of_tiny_objects_lands_every_element(tmp_path):
    """20,000 tiny objects (the time is the benchmark's: benchmarks/bench_landing.py)."""
    path = tmp_path / "many.json"
    n = 20_000
    path.write_text("[\n" + ",\n".join(f'{{"setID": "m{i}"}}' for i in range(n)) + "\n]")
    con = _land(tmp_path, path)
    row = con.sql(
        "select count(*), max(ordinal), max(source_line), count(landing_error),"
        " count(distinct raw_text) from raw.set_documents"
    ).fetchall()
    assert row == [(n, n, n + 1, 0, n)]


def test_unreadable_entries_are_named_in_landing_file_errors(tmp_path):
    """A symlink loop, a broken link, a FIFO and a link to a directory (not followed) are
    file errors with their reason; the readable file beside them lands; landing them again
    records them again."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.jsonl").write_text(json.dumps(DOC_A) + "\n")
    (folder / "loop.jsonl").symlink_to(folder / "loop.jsonl")
    (folder / "broken.jsonl").symlink_to(folder / "missing.jsonl")
    (folder / "link_to_good.jsonl").symlink_to(folder / "good.jsonl")
    os.mkfifo(folder / "fifo.json")
    (folder / "sub").mkdir()
    (folder / "sub" / "up").symlink_to(folder)  # a directory loop: reported, not walked
    scan = scan_inputs(str(folder))
    assert [p.name for p in scan.files] == ["good.jsonl", "good.jsonl"]
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    for _ in range(2):
        summary = land(str(folder), con)
        errors = con.sql(
            "select source_file_name, reason, source_line from raw.landing_file_errors order by 1"
        ).fetchall()
        assert errors == [
            ("broken.jsonl", "broken_symlink", None),
            ("fifo.json", "not_a_regular_file", None),
            ("loop.jsonl", "symlink_loop", None),
            ("up", "symlinked_directory", None),
        ]
        assert summary.file_problems == 4
    assert con.sql("select count(*) from raw.set_documents").fetchall() == [(1,)]
    # a looping link named directly is an unreadable input, not "nothing matches"
    assert scan_inputs(str(folder / "loop.jsonl")).unreadable[0].reason == "symlink_loop"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_a_file_without_read_permission_is_named(tmp_path):
    locked = tmp_path / "locked.jsonl"
    locked.write_text(json.dumps(DOC_A) + "\n")
    locked.chmod(0)
    try:
        con = _land(tmp_path, locked)
        errors = con.sql("select reason from raw.landing_file_errors").fetchall()
        assert errors == [("permission_denied",)]
    finally:
        locked.chmod(0o600)
