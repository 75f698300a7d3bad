"""JSON Lines landed by DuckDB itself: ``read_csv`` of whole lines (gzip read natively), each
with its line number, trimmed and inserted in SQL without a Python object per line.

It lands exactly what the line-by-line Python path (:func:`~liftlab.landing.splitting.
iter_documents`) lands: the same ordinal and line, the same text, the same blank lines left
out. Where DuckDB's CSV reader would not give that, the file is left to the Python path
(which names the problem by line), and :func:`land_jsonl_in_duckdb` says so by returning
None:

* a carriage return that does not end a line (DuckDB's reader breaks the line there;
  Python, splitting on ``\\n`` only, does not);
* a line holding the delimiter, ``\\x01`` (the reader would cut the line at it);
* invalid UTF-8, a truncated or corrupt gzip stream, a line past :data:`MAX_LINE_BYTES`,
  too little memory for the read buffer (the reader fails: the Python path reports the line);
* a path DuckDB would read as a glob (``*``, ``?``, ``[``);
* a number of lines that differs from a count of the file's line breaks (a check that
  nothing was lost).

The line breaks are counted by streaming the file once in C-speed chunks (no split into
lines, no decode), which costs less than a tenth of the Python path.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb

from liftlab.landing.inputs import READ_ERRORS, open_binary

DELIMITER = "\x01"
# a longer line goes to the Python path; DuckDB's read buffer is 16 lines of this size,
# so it must stay well inside the warehouse's memory limit (1 GB in the tests)
MAX_LINE_BYTES = 1 << 23
CHUNK_BYTES = 1 << 22
# what bytes.strip() removes: a line of only these is blank (left out, as in Python)
ASCII_WHITESPACE = " \t\n\r\x0b\x0c"
BYTE_ORDER_MARK = "\ufeff"
GLOB_CHARACTERS = "*?["


@cache
def text_whitespace() -> str:
    """What str.strip() removes from a decoded line: every code point Python calls
    whitespace (found on first use: the scan of all code points takes 0.1 s)."""
    return "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())


@dataclass(frozen=True)
class LineBreaks:
    """How a file's (gunzipped) bytes break into lines, as Python iterates them."""

    lines: int
    has_delimiter: bool
    has_lone_carriage_return: bool


def count_line_breaks(path: Path) -> LineBreaks | None:
    """Lines of the file (``\\n`` ends one; a last line without it counts), whether any byte
    is the delimiter, and whether any ``\\r`` is not followed by ``\\n``. None when the
    file cannot be read to its end (the Python path names where)."""
    newlines = carriage_returns = crlf = 0
    has_delimiter = False
    previous_last = b""
    last_byte = b""
    try:
        with open_binary(path) as handle:
            for chunk in iter(lambda: handle.read(CHUNK_BYTES), b""):
                newlines += chunk.count(b"\n")
                carriage_returns += chunk.count(b"\r")
                crlf += chunk.count(b"\r\n") + (previous_last == b"\r" and chunk[:1] == b"\n")
                has_delimiter = has_delimiter or DELIMITER.encode() in chunk
                previous_last = last_byte = chunk[-1:]
    except READ_ERRORS:
        return None
    lines = newlines + (1 if last_byte not in (b"", b"\n") else 0)
    return LineBreaks(lines, has_delimiter, carriage_returns != crlf)


def _read_lines_sql(path: Path) -> str:
    """The file's lines with their 1-based numbers (a blank line reads as null)."""
    literal = str(path).replace("'", "''")
    return (
        f"select ordinality::bigint as line_number, line"
        f" from read_csv('{literal}', columns = {{'line': 'varchar'}},"
        f" delim = chr(1), quote = '', escape = '', header = false, auto_detect = false,"
        f" strict_mode = false, max_line_size = {MAX_LINE_BYTES})"
        f" with ordinality"
    )


def _insert_lines(
    con: duckdb.DuckDBPyConnection, path: Path, incoming_table: str, sequence: int
) -> bool:
    """Every line into ``incoming_table``, a blank one with a null text (so that the count
    can be checked against the line breaks); False when DuckDB cannot read the file."""
    try:
        con.execute(
            f"""
            insert into {incoming_table} by name
            select
                ?::integer as load_sequence,
                ?::varchar as source_file,
                ?::varchar as source_file_name,
                line_number::integer as ordinal,
                line_number::integer as source_line,
                'jsonl' as source_shape,
                null::varchar as document_key,
                case
                    -- a document as written: nothing to trim (the test costs no scan)
                    when starts_with(line, '{{') and ends_with(line, '}}') then line
                    when trim(line, ?) = '' then null
                    else trim(case when starts_with(line, ?) then line[2:] else line end, ?)
                end as raw_text,
                null::varchar as landing_error
            from ({_read_lines_sql(path)})
            """,
            [sequence, str(path), path.name, ASCII_WHITESPACE, BYTE_ORDER_MARK, text_whitespace()],
        )
    except duckdb.Error:
        return False
    return True


def land_jsonl_in_duckdb(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    incoming_table: str,
    sequence: int,
) -> int | None:
    """Insert the file's documents into ``incoming_table`` (the file's scratch table, empty)
    and return how many; None, and the table left empty, when the file must take the
    Python path."""
    if any(char in str(path) for char in GLOB_CHARACTERS):
        return None
    # the line breaks are counted in a thread while DuckDB reads (both release the GIL)
    with ThreadPoolExecutor(max_workers=1) as pool:
        counting = pool.submit(count_line_breaks, path)
        read_ok = _insert_lines(con, path, incoming_table, sequence)
        breaks = counting.result()
    if not (read_ok and breaks is not None and _lands_exactly(con, incoming_table, breaks)):
        con.execute(f"delete from {incoming_table}")
        return None
    con.execute(f"delete from {incoming_table} where raw_text is null")  # the blank lines
    return con.execute(f"select count(*) from {incoming_table}").fetchall()[0][0]


def _lands_exactly(con: duckdb.DuckDBPyConnection, incoming_table: str, breaks: LineBreaks) -> bool:
    """Whether DuckDB's lines are Python's: no byte that breaks or cuts a line differently,
    and one row per line."""
    if breaks.has_delimiter or breaks.has_lone_carriage_return:
        return False
    lines_read = con.execute(f"select count(*) from {incoming_table}").fetchall()[0][0]
    return lines_read == breaks.lines
