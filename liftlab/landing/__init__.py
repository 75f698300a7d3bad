"""Landing: split raw OpenBarbell / RepOne exports into one raw row per set document (per
rep row for the app's CSV).

Landing does no interpretation of a document's fields (that is SQL's job in staging). It only
finds document boundaries in the three shapes of the format doc, keeps each document's
original JSON text with its lineage (source file, ordinal, line), and records what it could
not read:

* JSON Lines (a server dump, MongoDB extended JSON included): one document per non-blank
  line;
* a JSON array of documents (a server dump);
* the app's history object, keyed by set id (one lifter, no ``userID``);
* the app's CSV export (one row per rep; :mod:`liftlab.app_csv`), one raw row per line;

each optionally gzip-compressed. A line or a tail of a file that cannot be split or decoded
still lands, as a row with ``landing_error`` set, so that staging quarantines it with its
reason; a file that yields no document at all (empty, unreadable) and an input entry that
cannot be read (a looping or broken link, no read permission) are recorded in
``raw.landing_file_errors``. Nothing is dropped silently, and nothing here recurses into a
document or rescans a file: landing is linear in the input at any nesting depth.

JSON Lines, the shape that grows large, is read by DuckDB itself (``read_csv`` of whole
lines, gzip natively) when that lands exactly what the Python split would;
:mod:`~liftlab.landing.native_jsonl` names the files it leaves to Python (a carriage return
inside a line, invalid UTF-8, a truncated gzip stream, ...), where the problem is named by
line.

Modules: :mod:`~liftlab.landing.inputs` (finding and reading files),
:mod:`~liftlab.landing.splitting` (shapes, document boundaries),
:mod:`~liftlab.landing.native_jsonl` (JSON Lines read by DuckDB),
:mod:`~liftlab.landing.raw_tables` (the raw schema, idempotent landing).
"""

from liftlab.landing.inputs import (
    FileProblem,
    InputScan,
    UnreadableInput,
    resolve_inputs,
    scan_inputs,
)
from liftlab.landing.raw_tables import RAW_SCHEMA, LandingSummary, ensure_raw_tables, land
from liftlab.landing.splitting import (
    RawDocument,
    detect_shape,
    iter_documents,
    split_array,
    split_history,
)

__all__ = [
    "RAW_SCHEMA",
    "FileProblem",
    "InputScan",
    "LandingSummary",
    "RawDocument",
    "UnreadableInput",
    "detect_shape",
    "ensure_raw_tables",
    "iter_documents",
    "land",
    "resolve_inputs",
    "scan_inputs",
    "split_array",
    "split_history",
]
