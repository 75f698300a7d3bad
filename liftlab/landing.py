"""Landing: split raw OpenBarbell / RepOne exports into one raw row per set document (per
rep row for the app's CSV).

Landing does no interpretation of a document's fields (that is SQL's job in staging). It only
finds document boundaries in the three shapes of the format doc, keeps each document's
original JSON text with its lineage (source file, ordinal, line), and records what it could
not read:

* JSON Lines (a server dump): one document per non-blank line;
* a JSON array of documents (a server dump);
* the app's history object, keyed by set id (one lifter, no ``userID``);
* the app's CSV export (one row per rep; :mod:`liftlab.app_csv`), one raw row per line;

each optionally gzip-compressed. A line or a tail of a file that cannot be split or decoded
still lands, as a row with ``landing_error`` set, so that staging quarantines it with its
reason; a file that yields no document at all (empty, unreadable) is recorded in
``raw.landing_file_errors``. Nothing is dropped silently.

Files are landed idempotently: a file whose path and content hash were landed before is
skipped; a path whose content changed is replaced; a new file is appended.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from liftlab import app_csv

RAW_SCHEMA = "raw"
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz", ".ndjson.gz")
_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\n\r"
# a raw row keeps at most this much of an unreadable segment (the whole text of good ones)
MAX_ERROR_TEXT_CHARS = 100_000


@dataclass(frozen=True)
class RawDocument:
    """One set document (or one unreadable segment) as found in a file."""

    ordinal: int
    source_line: int
    source_shape: str
    document_key: str | None
    raw_text: str
    landing_error: str | None = None


@dataclass(frozen=True)
class FileProblem:
    """A problem with a file as a whole (no document could be attributed)."""

    source_line: int | None
    reason: str
    detail: str


# --------------------------------------------------------------------------------------
# finding input files
# --------------------------------------------------------------------------------------


def resolve_inputs(data: str) -> list[Path]:
    """Files named by ``data``: a file, a directory (recursively, JSON and CSV files) or a
    glob."""
    path = Path(data)
    if path.is_file():
        return [path.resolve()]
    if path.is_dir():
        found = [p for p in path.rglob("*") if p.is_file() and _is_input_name(p.name)]
        return sorted(p.resolve() for p in found)
    matches = [Path(m) for m in glob.glob(data, recursive=True)]
    files = sorted(p.resolve() for p in matches if p.is_file())
    if not files:
        raise FileNotFoundError(f"no input file matches {data!r}")
    return files


def _is_input_name(name: str) -> bool:
    lowered = name.lower()
    if ".truth" in lowered or lowered.endswith(".manifest.json"):
        # the generator's ground truth and manifest sit beside its export: never input
        return False
    return lowered.endswith(JSON_SUFFIXES) or app_csv.is_csv_name(lowered)


# --------------------------------------------------------------------------------------
# reading bytes and text
# --------------------------------------------------------------------------------------

_READ_ERRORS = (OSError, EOFError, zlib.error)


def is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def open_binary(path: Path):
    """The file, gunzipped on the fly when it is gzip."""
    return gzip.open(path, "rb") if is_gzip(path) else path.open("rb")


def iter_lines(path: Path, problems: list[FileProblem]) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, bytes) of each line; a read error ends it with a problem."""
    number = 0
    try:
        with open_binary(path) as handle:
            for number, raw_line in enumerate(handle, start=1):
                yield number, raw_line
    except _READ_ERRORS as exc:
        problems.append(
            FileProblem(number + 1, "corrupt_gzip", f"unreadable after line {number}: {exc}")
        )


def read_all(path: Path, problems: list[FileProblem]) -> bytes:
    """The whole (gunzipped) content; a read error keeps what was read and adds a problem."""
    return b"".join(line for _, line in iter_lines(path, problems))


def decode_utf8(data: bytes) -> tuple[str, bool]:
    """Text of ``data`` and whether it was valid UTF-8 (invalid bytes become U+FFFD)."""
    try:
        return data.decode("utf-8-sig"), True
    except UnicodeDecodeError:
        return data.decode("utf-8-sig", errors="replace"), False


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------------------
# shapes
# --------------------------------------------------------------------------------------


def detect_shape(head: str, name: str | None = None) -> str | None:
    """``jsonl``, ``array``, ``app_history``, or the app's CSV (``app_csv``,
    ``app_csv_tags``, ``csv_unknown_header``: :mod:`liftlab.app_csv`) from the first part
    of a file and its name (None: empty).

    A history object's first member is ``"<set id>": {...}``: a key whose value is an
    object; a set document (the first line of JSON Lines) has no object-valued field."""
    stripped = head.lstrip(_WHITESPACE + "\ufeff")
    if not stripped:
        return None
    csv_shape = app_csv.csv_shape(stripped, name)
    if csv_shape:
        return csv_shape
    if stripped[0] == "[":
        return "array"
    if stripped[0] != "{":
        return "jsonl"
    position = _skip_ws(stripped, 1)
    try:
        key, after_key = _DECODER.raw_decode(stripped, position)
    except ValueError:
        return "jsonl"
    colon = _skip_ws(stripped, after_key)
    if not isinstance(key, str) or colon >= len(stripped) or stripped[colon] != ":":
        return "jsonl"
    value_start = _skip_ws(stripped, colon + 1)
    is_object_value = value_start < len(stripped) and stripped[value_start] == "{"
    return "app_history" if is_object_value else "jsonl"


def _looks_like_history(obj: dict) -> bool:
    """A history object maps set ids to set documents; a set document has set fields."""
    if not obj or "setID" in obj or "reps" in obj:
        return False
    return all(isinstance(v, dict) for v in obj.values())


def split_array(text: str) -> Iterator[RawDocument]:
    """Elements of a top-level JSON array, each with its exact original text."""
    position = _skip_ws(text, 0)
    if position >= len(text) or text[position] != "[":
        yield _tail(text, position, 1, "array", "not_a_json_array")
        return
    position = _skip_ws(text, position + 1)
    ordinal = 0
    if position < len(text) and text[position] == "]":
        return
    while position < len(text):
        ordinal += 1
        try:
            _, end = _DECODER.raw_decode(text, position)
        except ValueError as exc:
            yield _tail(text, position, ordinal, "array", f"malformed_json: {exc.msg}")
            return
        yield RawDocument(ordinal, _line_of(text, position), "array", None, text[position:end])
        position = _skip_ws(text, end)
        if position < len(text) and text[position] == ",":
            position = _skip_ws(text, position + 1)
            continue
        if position < len(text) and text[position] == "]":
            if _skip_ws(text, position + 1) < len(text):
                yield _tail(text, position + 1, ordinal + 1, "array", "trailing_text")
            return
        yield _tail(text, position, ordinal + 1, "array", "malformed_json: truncated array")
        return
    yield _tail(text, position, ordinal + 1, "array", "malformed_json: truncated array")


def split_history(text: str) -> Iterator[RawDocument]:
    """Values of the app's history object, keyed by set id, each with its original text."""
    position = _skip_ws(text, 0)
    if position >= len(text) or text[position] != "{":
        yield _tail(text, position, 1, "app_history", "not_a_json_object")
        return
    position = _skip_ws(text, position + 1)
    ordinal = 0
    if position < len(text) and text[position] == "}":
        return
    while position < len(text):
        ordinal += 1
        start = position
        try:
            key, after_key = _DECODER.raw_decode(text, position)
            colon = _skip_ws(text, after_key)
            if colon >= len(text) or text[colon] != ":" or not isinstance(key, str):
                raise ValueError("expected a string key and ':'")
            value_start = _skip_ws(text, colon + 1)
            _, end = _DECODER.raw_decode(text, value_start)
        except ValueError as exc:
            message = getattr(exc, "msg", str(exc))
            yield _tail(text, start, ordinal, "app_history", f"malformed_json: {message}")
            return
        yield RawDocument(
            ordinal, _line_of(text, value_start), "app_history", key, text[value_start:end]
        )
        position = _skip_ws(text, end)
        if position < len(text) and text[position] == ",":
            position = _skip_ws(text, position + 1)
            continue
        if position < len(text) and text[position] == "}":
            if _skip_ws(text, position + 1) < len(text):
                yield _tail(text, position + 1, ordinal + 1, "app_history", "trailing_text")
            return
        yield _tail(text, position, ordinal + 1, "app_history", "malformed_json: truncated")
        return
    yield _tail(text, position, ordinal + 1, "app_history", "malformed_json: truncated")


SPLITTERS = {"array": split_array, "app_history": split_history}


def _skip_ws(text: str, position: int) -> int:
    while position < len(text) and text[position] in _WHITESPACE:
        position += 1
    return position


def _line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def _tail(text: str, position: int, ordinal: int, shape: str, reason: str) -> RawDocument:
    """The unreadable rest of a file as one raw row, so it is quarantined, not lost."""
    return RawDocument(
        ordinal,
        _line_of(text, position),
        shape,
        None,
        text[position : position + MAX_ERROR_TEXT_CHARS],
        reason,
    )


# --------------------------------------------------------------------------------------
# one file
# --------------------------------------------------------------------------------------

SHAPE_PEEK_BYTES = 1 << 16


def peek_head(path: Path) -> str:
    """The first bytes of a file as text (as many as are readable)."""
    head = b""
    try:
        with open_binary(path) as handle:
            while len(head) < SHAPE_PEEK_BYTES:
                chunk = handle.read(4096)
                if not chunk:
                    break
                head += chunk
    except _READ_ERRORS:
        pass
    return head.decode("utf-8", errors="replace")


def peek_shape(path: Path) -> str | None:
    """The shape of a file, from its first bytes and its name."""
    return detect_shape(peek_head(path), path.name)


def iter_documents(path: Path, shape: str, problems: list[FileProblem]) -> Iterator[RawDocument]:
    """The raw documents of a file. JSON Lines stream line by line (bounded memory); an
    array or a history object is split from the whole text with exact original spans; the
    app's CSV lands one row per line after its header (its exact text, without the line
    ending)."""
    if shape in app_csv.CSV_SHAPES:
        yield from _csv_rows(path, shape, problems)
        return
    if shape == app_csv.UNKNOWN_HEADER:
        problems.append(
            FileProblem(1, app_csv.UNKNOWN_HEADER, app_csv.unknown_header_detail(peek_head(path)))
        )
        return
    if shape == "jsonl":
        for number, raw_line in iter_lines(path, problems):
            if not raw_line.strip():
                continue
            line, valid = decode_utf8(raw_line)
            error = None if valid else "invalid_utf8"
            yield RawDocument(number, number, "jsonl", None, line.strip(), error)
        return
    text, valid = decode_utf8(read_all(path, problems))
    for document in SPLITTERS[shape](text):
        yield document if valid else _mark_invalid_utf8(document)


def _csv_rows(path: Path, shape: str, problems: list[FileProblem]) -> Iterator[RawDocument]:
    """One raw row per non-blank line after the header; ordinal counts the rows."""
    ordinal = 0
    for number, raw_line in iter_lines(path, problems):
        if number == 1 or not raw_line.strip():
            continue
        line, valid = decode_utf8(raw_line)
        ordinal += 1
        text = line.rstrip("\r\n")
        yield RawDocument(ordinal, number, shape, None, text, None if valid else "invalid_utf8")


def _mark_invalid_utf8(document: RawDocument) -> RawDocument:
    if "\ufffd" not in document.raw_text or document.landing_error:
        return document
    return RawDocument(
        document.ordinal,
        document.source_line,
        document.source_shape,
        document.document_key,
        document.raw_text,
        "invalid_utf8",
    )


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
    files = resolve_inputs(data)
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
    return LandingSummary(len(files), landed, unchanged, documents, problems)


def _already_landed(con: duckdb.DuckDBPyConnection, source_file: str, digest: str) -> bool:
    rows = con.execute(
        f"select count(*) from {RAW_SCHEMA}.landed_files where source_file = ? and sha256 = ?",
        [source_file, digest],
    ).fetchall()
    return bool(rows[0][0])


def land_file(con: duckdb.DuckDBPyConnection, path: Path, digest: str) -> tuple[int, int]:
    """Replace whatever was landed from ``path`` with its current content, in one
    transaction. Returns (documents landed, file-level problems)."""
    source_file = str(path)
    name = path.name
    problems: list[FileProblem] = []
    shape = peek_shape(path)
    sequence = con.execute(
        f"select coalesce(max(load_sequence), 0) + 1 from {RAW_SCHEMA}.landed_files"
    ).fetchall()[0][0]
    # The documents go to a scratch table batch by batch (each batch committed: one
    # transaction holding millions of raw documents kept them all in memory, 11.8 GB at 10M
    # reps), then move into set_documents in the one transaction that replaces the file.
    con.execute(
        f"create or replace table {INCOMING_TABLE} as "
        f"select * from {RAW_SCHEMA}.set_documents limit 0"
    )
    try:
        n_documents = 0
        # read even a file whose shape is unknown: its read error is the problem to report
        documents = iter_documents(path, shape or "jsonl", problems)
        for batch in _batched(documents, BATCH_DOCUMENTS):
            _insert_documents(con, batch, sequence, source_file, name)
            n_documents += len(batch)
        _replace_file(con, path, digest, sequence, shape, n_documents, problems)
    finally:
        con.execute(f"drop table if exists {INCOMING_TABLE}")
    return n_documents, len(problems)


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
