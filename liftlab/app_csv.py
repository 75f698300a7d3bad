"""The OpenBarbell / RepOne app's CSV export, as landing sees it: which header a file has,
and one raw row per line after it.

The app writes one row per valid, unremoved rep (squatsandsciencelabs/OpenBarbellApp,
``app/utility/CSVConverter.js`` and its later ``app/utility/transforms/CSVConverter.js``).
Two header versions exist: the earlier one has 13 columns, the later one adds ``Tags`` after
``Set RPE`` (14 columns). Landing recognises a file by its header, keeps each line's exact
text with its file and line, and interprets nothing: the fields are split, typed and grouped
into sets in SQL (``stg_openbarbell__csv_rows``). A file named ``.csv`` whose header is
neither version is a file-level error, with the header it has.
"""

from __future__ import annotations

HEADER_WITHOUT_TAGS = (
    "Exercise,Set,Rep,Weight,Metric,Set RPE,Workout Start Time,Rest Time,"
    "Avg Velocity (m/s),Range of Motion (mm),Peak Velocity (m/s),"
    "Peak Velocity Location (%),Duration of rep (sec)"
)
HEADER_WITH_TAGS = (
    "Exercise,Set,Rep,Weight,Metric,Set RPE,Tags,Workout Start Time,Rest Time,"
    "Avg Velocity (m/s),Range of Motion (mm),Peak Velocity (m/s),"
    "Peak Velocity Location (%),Duration of rep (sec)"
)
# the landed shape of each header version (raw.set_documents.source_shape)
SHAPES = {HEADER_WITHOUT_TAGS: "app_csv", HEADER_WITH_TAGS: "app_csv_tags"}
CSV_SHAPES = tuple(SHAPES.values())
CSV_SUFFIXES = (".csv", ".csv.gz")
UNKNOWN_HEADER = "csv_unknown_header"
MAX_HEADER_DETAIL_CHARS = 300


def first_line(head: str) -> str:
    """The first line of ``head`` without its byte-order mark and line ending."""
    return head.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")


def header_shape(line: str) -> str | None:
    """``app_csv`` or ``app_csv_tags`` when ``line`` is one of the app's headers (spaces
    around the names and the case of the letters do not matter)."""
    normalised = ",".join(name.strip() for name in line.split(",")).lower()
    for header, shape in SHAPES.items():
        if normalised == header.lower():
            return shape
    return None


def is_csv_name(name: str) -> bool:
    return name.lower().endswith(CSV_SUFFIXES)


def csv_shape(head: str, name: str | None) -> str | None:
    """The CSV shape of a file from its first bytes and name: a known header wins whatever
    the name; a ``.csv`` name with any other first line is ``csv_unknown_header``; None
    when the file is not CSV."""
    line = first_line(head)
    shape = header_shape(line)
    if shape:
        return shape
    if name is not None and is_csv_name(name) and line.strip()[:1] not in ("{", "["):
        return UNKNOWN_HEADER
    return None


def unknown_header_detail(head: str) -> str:
    line = first_line(head)
    return f"first line is not an app CSV header: {line[:MAX_HEADER_DETAIL_CHARS]!r}"
