"""Finding document boundaries: the shape of a file from its first bytes, and the split of a
JSON array or of the app's history object into the original text of each document.

The split does not interpret documents (staging does, in DuckDB): it finds the end of
each value (Python's decoder, or for a value the decoder refuses an iterative scan minding
strings and escapes), so it takes time linear in the file at any nesting depth (a document
nested 10,000 deep lands as one row, for staging to judge; a malformed element lands alone,
for staging to quarantine, and the elements after it still land).
Line numbers are counted as the scan moves forward, never from the start of the file
again. A tail that cannot be split (truncated, mismatched brackets, text after the end)
lands as one row with ``landing_error`` set.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from liftlab import app_csv
from liftlab.landing.inputs import (
    FileProblem,
    decode_utf8,
    iter_lines,
    peek_head,
    read_all,
)

_WHITESPACE = " \t\n\r"
# a raw row keeps at most this much of an unreadable segment (the whole text of good ones)
MAX_ERROR_TEXT_CHARS = 100_000
_STRUCTURE = re.compile(r'["\[\]{}]')
_STRING_END = re.compile(r'["\\]')
_SCALAR_END = re.compile(r"[,\]}\s]|$")
_CLOSER = {"{": "}", "[": "]"}
_DECODER = json.JSONDecoder()
# the wrappers of MongoDB extended JSON ({"$oid": ...}, {"$date": ...}, ...): a server
# export, one document per line, whose first field's value is such an object
_EXTENDED_JSON_KEY = re.compile(r'\s*"\$[A-Za-z]+"\s*:')


@dataclass(frozen=True)
class RawDocument:
    """One set document (or one unreadable segment) as found in a file."""

    ordinal: int
    source_line: int
    source_shape: str
    document_key: str | None
    raw_text: str
    landing_error: str | None = None


class SplitError(ValueError):
    """The text at ``position`` cannot be split into a JSON value."""

    def __init__(self, message: str, position: int):
        super().__init__(message)
        self.message = message
        self.position = position


# --------------------------------------------------------------------------------------
# scanning for the end of a value
# --------------------------------------------------------------------------------------


def skip_ws(text: str, position: int) -> int:
    while position < len(text) and text[position] in _WHITESPACE:
        position += 1
    return position


def string_end(text: str, position: int) -> int:
    """The position after the string that opens at ``position`` (a double quote)."""
    search = position + 1
    while True:
        match = _STRING_END.search(text, search)
        if match is None:
            raise SplitError("unterminated string", position)
        if match.group() == '"':
            return match.end()
        search = match.end() + 1  # skip the escaped character


def value_end(text: str, position: int) -> int:
    """The position after the JSON value that starts at ``position``. Python's C decoder
    finds it fastest; a value it refuses (malformed, or nested deeper than its recursion
    limit) is scanned instead (:func:`scan_value_end`), so the split does not depend on
    what the decoder can parse."""
    try:
        return _DECODER.raw_decode(text, position)[1]
    except (ValueError, RecursionError):
        return scan_value_end(text, position)


def scan_value_end(text: str, position: int) -> int:
    """The position after the JSON value that starts at ``position``: brackets matched
    with an explicit stack (no recursion), strings skipped whole; a scalar ends at the
    next separator. The value's content is not checked (staging does)."""
    if position >= len(text):
        raise SplitError("truncated: a value was expected", position)
    first = text[position]
    if first == '"':
        return string_end(text, position)
    if first not in _CLOSER:
        end = _SCALAR_END.search(text, position).start()
        if end == position:
            raise SplitError(f"unexpected {first!r}", position)
        return end
    expected = [_CLOSER[first]]
    search = position + 1
    while expected:
        match = _STRUCTURE.search(text, search)
        if match is None:
            raise SplitError(f"truncated: {len(expected)} bracket(s) left open", position)
        char = match.group()
        if char == '"':
            search = string_end(text, match.start())
        elif char in _CLOSER:
            expected.append(_CLOSER[char])
            search = match.end()
        elif char == expected[-1]:
            expected.pop()
            search = match.end()
        else:
            raise SplitError(f"mismatched {char!r} (expected {expected[-1]!r})", match.start())
    return search


class _Lines:
    """Line numbers of increasing positions, counted incrementally (linear in the text)."""

    def __init__(self, text: str):
        self.text, self.position, self.line = text, 0, 1

    def at(self, position: int) -> int:
        if position > self.position:
            self.line += self.text.count("\n", self.position, position)
            self.position = position
        return self.line


# --------------------------------------------------------------------------------------
# shapes
# --------------------------------------------------------------------------------------


def detect_shape(head: str, name: str | None = None) -> str | None:
    """``jsonl``, ``array``, ``app_history``, or the app's CSV (``app_csv``,
    ``app_csv_tags``, ``csv_unknown_header``: :mod:`liftlab.app_csv`) from the first part
    of a file and its name (None: empty).

    A history object's first member is ``"<set id>": {...}``: a key whose value is an
    object; a set document (the first line of JSON Lines) has no object-valued field, but
    in MongoDB extended JSON (``"_id": {"$oid": ...}``) a field's value is a ``$`` wrapper:
    that is JSON Lines too."""
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
    position = skip_ws(stripped, 1)
    if position >= len(stripped) or stripped[position] != '"':
        return "jsonl"
    try:
        colon = skip_ws(stripped, string_end(stripped, position))
    except SplitError:
        return "jsonl"
    if colon >= len(stripped) or stripped[colon] != ":":
        return "jsonl"
    value_start = skip_ws(stripped, colon + 1)
    if value_start >= len(stripped) or stripped[value_start] != "{":
        return "jsonl"
    if stripped[position:colon].rstrip() == '"_id"' or _EXTENDED_JSON_KEY.match(
        stripped, value_start + 1
    ):
        return "jsonl"
    return "app_history"


# --------------------------------------------------------------------------------------
# splitting a whole text
# --------------------------------------------------------------------------------------


def split_array(text: str) -> Iterator[RawDocument]:
    """Elements of a top-level JSON array, each with its exact original text."""
    yield from _split(text, "array")


def split_history(text: str) -> Iterator[RawDocument]:
    """Values of the app's history object, keyed by set id, each with its original text."""
    yield from _split(text, "app_history")


def _split(text: str, shape: str) -> Iterator[RawDocument]:
    """The members of the top-level array (``array``) or object (``app_history``)."""
    opener, closer = ("[", "]") if shape == "array" else ("{", "}")
    lines = _Lines(text)
    position = skip_ws(text, 0)
    if position >= len(text) or text[position] != opener:
        reason = "not_a_json_array" if shape == "array" else "not_a_json_object"
        yield _tail(text, position, 1, shape, reason, lines)
        return
    position = skip_ws(text, position + 1)
    if position < len(text) and text[position] == closer:
        position = skip_ws(text, position + 1)
        if position < len(text):
            yield _tail(text, position, 1, shape, "trailing_text", lines)
        return
    ordinal = 0
    while True:
        ordinal += 1
        start = position
        try:
            key, value_start = _member_start(text, position, shape)
            end = value_end(text, value_start)
        except SplitError as exc:
            yield _tail(text, start, ordinal, shape, f"malformed_json: {exc.message}", lines)
            return
        line = lines.at(value_start)
        yield RawDocument(ordinal, line, shape, key, text[value_start:end])
        position = skip_ws(text, end)
        if position < len(text) and text[position] == ",":
            position = skip_ws(text, position + 1)
            continue
        if position < len(text) and text[position] == closer:
            position = skip_ws(text, position + 1)
            if position < len(text):
                yield _tail(text, position, ordinal + 1, shape, "trailing_text", lines)
            return
        detail = "truncated" if position >= len(text) else f"expected ',' or {closer!r}"
        yield _tail(text, position, ordinal + 1, shape, f"malformed_json: {detail}", lines)
        return


def _member_start(text: str, position: int, shape: str) -> tuple[str | None, int]:
    """(the history key, where the value starts) of the member at ``position``."""
    if shape == "array":
        return None, position
    if position >= len(text) or text[position] != '"':
        raise SplitError("expected a string key", position)
    after_key = string_end(text, position)
    try:
        key = json.loads(text[position:after_key])
    except ValueError as exc:
        raise SplitError("unreadable key", position) from exc
    colon = skip_ws(text, after_key)
    if colon >= len(text) or text[colon] != ":":
        raise SplitError("expected ':' after the key", colon)
    return key, skip_ws(text, colon + 1)


def _tail(
    text: str, position: int, ordinal: int, shape: str, reason: str, lines: _Lines
) -> RawDocument:
    """The unreadable rest of a file as one raw row, so it is quarantined, not lost."""
    return RawDocument(
        ordinal,
        lines.at(position),
        shape,
        None,
        text[position : position + MAX_ERROR_TEXT_CHARS],
        reason,
    )


SPLITTERS = {"array": split_array, "app_history": split_history}


# --------------------------------------------------------------------------------------
# the documents of one file
# --------------------------------------------------------------------------------------


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
