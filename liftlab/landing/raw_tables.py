"""The raw layer: one row per set document (per line of the app's CSV) with its lineage,
the landed files, and the problems of files as a whole (``landing_file_errors``).

Files are landed idempotently: a file whose path and content hash were landed before is
skipped; a path whose content changed is replaced; a new file is appended. An input entry
that cannot be read (a looping or broken link, no read permission) is recorded in
``landing_file_errors`` with its reason, like an empty or corrupt file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from liftlab.landing.inputs import FileProblem, UnreadableInput, file_sha256, scan_inputs
from liftlab.landing.native_jsonl import land_jsonl_in_duckdb
from liftlab.landing.splitting import RawDocument, iter_documents, peek_shape

RAW_SCHEMA = "raw"

# --------------------------------------------------------------------------------------
# writing the raw layer
# --------------------------------------------------------------------------------------

DDL = f"""
create schema if not exists {RAW_SCHEMA};
create table if not exists {RAW_SCHEMA}.landed_files (
    load_sequence integer,
    source_file varchar,
    source_file_name varchar,
    sha256 varchar,
    size_bytes bigint,
    source_shape varchar,
    documents_landed integer,
    landed_at timestamp
);
create table if not exists {RAW_SCHEMA}.set_documents (
    load_sequence integer,
    source_file varchar,
    source_file_name varchar,
    ordinal integer,
    source_line integer,
    source_shape varchar,
    document_key varchar,
    raw_text varchar,
    landing_error varchar
);
create table if not exists {RAW_SCHEMA}.landing_file_errors (
    load_sequence integer,
    source_file varchar,
    source_file_name varchar,
    source_line integer,
    reason varchar,
    detail varchar
);
"""


BATCH_DOCUMENTS = 50_000
INCOMING_TABLE = f"{RAW_SCHEMA}.set_documents__incoming"
_BATCH_COLUMNS = (
    "ordinal",
    "source_line",
    "source_shape",
    "document_key",
    "raw_text",
    "landing_error",
)


@dataclass(frozen=True)
class LandingSummary:
    """What one landing run did."""

    files_seen: int
    files_landed: int
    files_unchanged: int
    documents_landed: int
    file_problems: int


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


def land(data: str, con: duckdb.DuckDBPyConnection, *, replace_all: bool = False) -> LandingSummary:
    """Land every file named by ``data`` into the raw schema of ``con``.

    With ``replace_all`` the raw layer is emptied first (a rebuild from just this input);
    otherwise new files are added, changed files replaced and unchanged files skipped.
    """
    ensure_raw_tables(con)
    scan = scan_inputs(data)
    files = scan.files
    if replace_all:
        for table in ("landed_files", "set_documents", "landing_file_errors"):
            con.execute(f"delete from {RAW_SCHEMA}.{table}")
    landed = unchanged = documents = problems = 0
    for path in files:
        digest = file_sha256(path)
        if _already_landed(con, str(path), digest):
            unchanged += 1
            continue
        n_documents, n_problems = land_file(con, path, digest)
        landed += 1
        documents += n_documents
        problems += n_problems
    for entry in scan.unreadable:
        record_unreadable(con, entry)
        problems += 1
    return LandingSummary(len(files) + len(scan.unreadable), landed, unchanged, documents, problems)


def record_unreadable(con: duckdb.DuckDBPyConnection, entry: UnreadableInput) -> None:
    """An input entry that cannot be read: its earlier rows go, its reason is recorded
    (again on every landing, as it may have become readable or changed)."""
    source_file = str(entry.path)
    sequence = _next_sequence(con)
    con.execute("begin transaction")
    try:
        for table in ("landed_files", "set_documents", "landing_file_errors"):
            con.execute(f"delete from {RAW_SCHEMA}.{table} where source_file = ?", [source_file])
        con.execute(
            f"insert into {RAW_SCHEMA}.landing_file_errors values (?, ?, ?, ?, ?, ?)",
            [sequence, source_file, entry.path.name, None, entry.reason, entry.detail],
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def _next_sequence(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(
        f"select coalesce(max(load_sequence), 0) + 1 from ("
        f" select load_sequence from {RAW_SCHEMA}.landed_files"
        f" union all select load_sequence from {RAW_SCHEMA}.landing_file_errors)"
    ).fetchall()[0][0]


def _already_landed(con: duckdb.DuckDBPyConnection, source_file: str, digest: str) -> bool:
    rows = con.execute(
        f"select count(*) from {RAW_SCHEMA}.landed_files where source_file = ? and sha256 = ?",
        [source_file, digest],
    ).fetchall()
    return bool(rows[0][0])


def land_file(con: duckdb.DuckDBPyConnection, path: Path, digest: str) -> tuple[int, int]:
    """Replace whatever was landed from ``path`` with its current content, in one
    transaction. Returns (documents landed, file-level problems)."""
    problems: list[FileProblem] = []
    shape = peek_shape(path)
    sequence = _next_sequence(con)
    # The documents go to a scratch table batch by batch (each batch committed: one
    # transaction holding millions of raw documents kept them all in memory, 11.8 GB at 10M
    # reps), then move into set_documents in the one transaction that replaces the file.
    con.execute(
        f"create or replace table {INCOMING_TABLE} as "
        f"select * from {RAW_SCHEMA}.set_documents limit 0"
    )
    try:
        # JSON Lines: DuckDB reads the file itself unless it holds what only the Python
        # path lands exactly (liftlab.landing.native_jsonl says which files)
        n_documents = None
        if shape == "jsonl":
            n_documents = land_jsonl_in_duckdb(con, path, INCOMING_TABLE, sequence)
        if n_documents is None:
            n_documents = _land_in_python(con, path, shape, problems, sequence)
        _replace_file(con, path, digest, sequence, shape, n_documents, problems)
    finally:
        con.execute(f"drop table if exists {INCOMING_TABLE}")
    return n_documents, len(problems)


def _land_in_python(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    shape: str | None,
    problems: list[FileProblem],
    sequence: int,
) -> int:
    """The documents of ``path`` split in Python, inserted batch by batch; how many."""
    n_documents = 0
    # read even a file whose shape is unknown: its read error is the problem to report
    documents = iter_documents(path, shape or "jsonl", problems)
    for batch in _batched(documents, BATCH_DOCUMENTS):
        _insert_documents(con, batch, sequence, str(path), path.name)
        n_documents += len(batch)
    return n_documents


def _replace_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    digest: str,
    sequence: int,
    shape: str | None,
    n_documents: int,
    problems: list[FileProblem],
) -> None:
    """In one transaction: drop what was landed from ``path`` and put the incoming rows,
    the file's row and its problems in its place."""
    source_file, name = str(path), path.name
    con.execute("begin transaction")
    try:
        for table in ("landed_files", "set_documents", "landing_file_errors"):
            con.execute(f"delete from {RAW_SCHEMA}.{table} where source_file = ?", [source_file])
        others = con.execute(f"select count(*) from {RAW_SCHEMA}.set_documents").fetchall()[0][0]
        if others:
            con.execute(f"insert into {RAW_SCHEMA}.set_documents select * from {INCOMING_TABLE}")
        else:  # nothing else landed (a rebuild): the incoming table becomes set_documents
            con.execute(f"drop table {RAW_SCHEMA}.set_documents")
            con.execute(f"alter table {INCOMING_TABLE} rename to set_documents")
        if n_documents == 0 and not problems:
            problems.append(FileProblem(None, "empty_file", "the file holds no document"))
        con.execute(
            f"insert into {RAW_SCHEMA}.landed_files values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                sequence,
                source_file,
                name,
                digest,
                path.stat().st_size,
                shape,
                n_documents,
                datetime.now(UTC).replace(tzinfo=None),
            ],
        )
        for problem in problems:
            con.execute(
                f"insert into {RAW_SCHEMA}.landing_file_errors values (?, ?, ?, ?, ?, ?)",
                [sequence, source_file, name, problem.source_line, problem.reason, problem.detail],
            )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def _batched(documents: Iterator[RawDocument], size: int) -> Iterator[list[RawDocument]]:
    batch: list[RawDocument] = []
    for document in documents:
        batch.append(document)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert_documents(
    con: duckdb.DuckDBPyConnection,
    documents: list[RawDocument],
    sequence: int,
    source_file: str,
    name: str,
) -> None:
    import pyarrow as pa

    n = len(documents)
    columns = {
        "load_sequence": pa.array([sequence] * n, pa.int32()),
        "source_file": pa.array([source_file] * n, pa.string()),
        "source_file_name": pa.array([name] * n, pa.string()),
    }
    types = {"ordinal": pa.int32(), "source_line": pa.int32()}
    for column in _BATCH_COLUMNS:
        values = [getattr(d, column) for d in documents]
        columns[column] = pa.array(values, types.get(column, pa.string()))
    con.register("_landing_batch", pa.table(columns))
    try:
        con.execute(f"insert into {INCOMING_TABLE} by name select * from _landing_batch")
    finally:
        con.unregister("_landing_batch")
