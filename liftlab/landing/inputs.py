"""Finding input files and reading their bytes: a file, a directory or a glob; gzip on the
fly; an entry that cannot be read (a looping or broken link, a file without read
permission, a special file) is returned as a problem with its reason, never skipped."""

from __future__ import annotations

import errno
import glob
import gzip
import hashlib
import os
import stat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from liftlab import app_csv

JSON_SUFFIXES = (".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz", ".ndjson.gz")
SHAPE_PEEK_BYTES = 1 << 16
READ_ERRORS = (OSError, EOFError, zlib.error)


@dataclass(frozen=True)
class FileProblem:
    """A problem with a file as a whole (no document could be attributed)."""

    source_line: int | None
    reason: str
    detail: str


@dataclass(frozen=True)
class UnreadableInput:
    """An input entry that names a file but cannot be read as one."""

    path: Path
    reason: str
    detail: str


@dataclass(frozen=True)
class InputScan:
    """The readable files named by an input, and the entries that could not be read."""

    files: list[Path]
    unreadable: list[UnreadableInput]


def resolve_inputs(data: str) -> list[Path]:
    """Readable files named by ``data``: a file, a directory (recursively, JSON and CSV
    files) or a glob."""
    return scan_inputs(data).files


def scan_inputs(data: str) -> InputScan:
    """Files named by ``data`` and the entries among them that cannot be read (links and
    files are looked at one by one). A directory walk never follows a link to a directory
    (a loop could make it run forever): such a link is reported, not silently skipped."""
    path = Path(data)
    linked_directories: list[UnreadableInput] = []
    if path.is_dir():
        candidates = []
        for root, directories, names in os.walk(path):
            candidates += [Path(root) / name for name in names if _is_input_name(name)]
            linked_directories += [
                UnreadableInput(
                    Path(os.path.abspath(Path(root) / name)),
                    "symlinked_directory",
                    f"{Path(root) / name} links to a directory, which is not followed"
                    " (a link may loop): name its target as input to land it",
                )
                for name in directories
                if (Path(root) / name).is_symlink()
            ]
    elif path.is_file() or os.path.lexists(path):
        candidates = [path]
    else:
        candidates = [Path(m) for m in glob.glob(data, recursive=True)]
        candidates = [p for p in candidates if not p.is_dir()]
        if not candidates:
            raise FileNotFoundError(f"no input file matches {data!r}")
    files: list[Path] = []
    unreadable: list[UnreadableInput] = []
    for candidate in candidates:
        problem = unreadable_reason(candidate)
        if problem is None:
            files.append(candidate.resolve())
        else:
            unreadable.append(UnreadableInput(Path(os.path.abspath(candidate)), *problem))
    unreadable += linked_directories
    return InputScan(sorted(files), sorted(unreadable, key=lambda u: u.path))


def unreadable_reason(path: Path) -> tuple[str, str] | None:
    """(reason, detail) when ``path`` cannot be read as a file; None when it can. A FIFO or
    device is never opened (reading it could block)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return "not_a_regular_file", f"{path} is not a regular file"
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        return _os_error_reason(path, exc), f"{path}: {exc.strerror or exc}"
    return None


def _os_error_reason(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symlink_loop"
    if exc.errno == errno.ENOENT and path.is_symlink():
        return "broken_symlink"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission_denied"
    if exc.errno == errno.EISDIR:
        return "not_a_regular_file"
    return "unreadable_file"


def _is_input_name(name: str) -> bool:
    lowered = name.lower()
    if ".truth" in lowered or lowered.endswith(".manifest.json"):
        # the generator's ground truth and manifest sit beside its export: never input
        return False
    return lowered.endswith(JSON_SUFFIXES) or app_csv.is_csv_name(lowered)


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
    except READ_ERRORS as exc:
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
    except READ_ERRORS:
        pass
    return head.decode("utf-8", errors="replace")
