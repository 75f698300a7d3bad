"""Landing: shapes, lineage, unreadable input, idempotency."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pytest

from liftlab.landing import detect_shape, land, resolve_inputs, split_array, split_history

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
