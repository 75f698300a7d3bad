"""Write-audit-publish for the warehouse file, and the one-writer lock beside it.

A build never writes the published warehouse (``liftlab.duckdb``). Under the writer lock
(``liftlab.duckdb.lock``) it works on a private file beside it, ``liftlab.duckdb.build``:
a new file carrying over only the state a rebuild must keep (:data:`CARRIED_TABLES`), or,
with ``--append``, a copy of the published file. Landing, ``dbt build`` and the quality
checkpoint run there; only when all pass is a row written to ``build_log`` and the file
moved onto the published path with one ``os.replace`` (readers holding the old file keep
reading it: a rename does not touch their inode). A failed build is kept as
``liftlab.duckdb.failed`` until the next build (or removed, with ``discard_failed``); the
leftovers of a killed build are removed when the next build takes the lock.

The build file's path is the same for every build of one warehouse, so dbt's partial
parsing (which restarts when the profile's path changes) keeps working between builds.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from liftlab import environment

LOCK_SUFFIX = ".lock"
BUILD_SUFFIX = ".build"
FAILED_SUFFIX = ".failed"
# DuckDB's companions of a database file: its write-ahead log and its spill directory
COMPANION_SUFFIXES = ("", ".wal", ".tmp")
BUILD_LOG_TABLE = "build_log"
# what a full rebuild keeps from the published warehouse: the builds' own log, the
# append-only clustering run log (an incremental dbt model, also written by `liftlab tune`),
# the promotions of `liftlab tune --best`, and the classifier's last results, which its
# models return again only when their training digest is this build's (liftlab.ml.reuse);
# everything else is rebuilt from the input
CARRIED_TABLES = (
    BUILD_LOG_TABLE,
    "cluster_runs",
    "cluster_tuning_runs",
    "cluster_promotions",
    "ml_classifier_metrics",
    "fct_set_exercise_predictions",
)
# fault injection for the tests: the named point of a build kills its own process there
ABORT_ENV_VAR = environment.TEST_ABORT_AT
ABORT_POINTS = ("landing", "dbt", "checkpoint", "publish")

BUILD_LOG_DDL = f"""
create table if not exists main.{BUILD_LOG_TABLE} (
    build_id varchar,
    started_at timestamp,
    finished_at timestamp,
    mode varchar,
    data_argument varchar,
    inputs_json varchar,
    input_files integer,
    input_bytes bigint,
    files_landed integer,
    files_unchanged integer,
    documents_landed bigint,
    file_problems integer,
    dbt_results_json varchar,
    quality_summary varchar,
    quality_passed integer,
    quality_warned integer,
    quality_failed integer,
    liftlab_version varchar,
    duckdb_version varchar,
    staging_fingerprint varchar,
    build_fingerprint varchar
);
-- a warehouse built before a column existed gets it (null: its --append restages, and
-- builds even when nothing is to be landed: liftlab.uptodate)
alter table main.{BUILD_LOG_TABLE} add column if not exists staging_fingerprint varchar;
alter table main.{BUILD_LOG_TABLE} add column if not exists build_fingerprint varchar;
"""


class WarehouseBusy(RuntimeError):
    """Another writer holds the warehouse (the lock, or a DuckDB write connection)."""


class NothingToBuild(ValueError):
    """The input names no document: a build would only empty the warehouse."""


def sibling(warehouse: Path, suffix: str) -> Path:
    return warehouse.with_name(warehouse.name + suffix)


def abort_point(name: str) -> None:
    """Kill this process at ``name`` when $LIFTLAB_TEST_ABORT_AT says so (the tests' kill)."""
    if environment.setting(ABORT_ENV_VAR) == name:
        sys.stdout.flush()
        os._exit(137)


# --------------------------------------------------------------------------------------
# the writer lock
# --------------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _describe(holder: dict) -> str:
    pid = holder.get("pid", "?")
    text = f"{holder.get('command', 'a liftlab writer')} (PID {pid}"
    if holder.get("started_at"):
        text += f", started {holder['started_at']} UTC"
    if holder.get("build_id"):
        text += f", build {holder['build_id']}"
    return text + ")"


@dataclass
class WriterLock:
    """``fcntl.flock`` on ``<warehouse>.lock``, taken at once or refused in one line.

    The file holds the holder's PID, start time and build id. The kernel releases the lock
    when its holder dies, so a lock found free but with a holder written in it is stale (a
    killed build): it is taken over and :attr:`stale` says whose it was. The descriptor is
    inheritable, so a dbt child keeps the lock held even if its parent is killed alone."""

    warehouse: Path
    command: str
    build_id: str | None = None
    stale: dict | None = None
    started_at: datetime = field(default_factory=_now)
    _fd: int | None = None

    @property
    def path(self) -> Path:
        return sibling(self.warehouse, LOCK_SUFFIX)

    def acquire(self) -> WriterLock:
        self.warehouse.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise WarehouseBusy(_busy_message(self.warehouse, holder)) from None
        previous = _read_holder(fd)
        self.stale = previous or None
        record = {
            "pid": os.getpid(),
            "started_at": self.started_at.isoformat(sep=" "),
            "build_id": self.build_id,
            "command": self.command,
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(record) + "\n").encode(), 0)
        os.fsync(fd)
        os.set_inheritable(fd, True)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        os.ftruncate(self._fd, 0)  # an empty lock file: nobody was interrupted
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> WriterLock:
        return self.acquire()

    def __exit__(self, *exc_info) -> None:
        self.release()


def _read_holder(fd: int) -> dict:
    raw = os.pread(fd, 4096, 0).decode("utf-8", errors="replace").strip()
    if not raw:
        return {}
    try:
        holder = json.loads(raw)
    except ValueError:
        return {"command": f"an unknown writer ({raw[:60]!r})"}
    return holder if isinstance(holder, dict) else {}


def _busy_message(warehouse: Path, holder: dict) -> str:
    if not holder:
        return f"{warehouse} is locked by another writer: try again when it has finished"
    message = f"{warehouse} is locked by {_describe(holder)}"
    pid = holder.get("pid")
    if isinstance(pid, int) and not _pid_alive(pid):
        message += "; that process has exited but a child of it (dbt) still runs"
    return message + ": try again when it has finished"


@contextlib.contextmanager
def writer_lock(warehouse: str | os.PathLike, command: str) -> Iterator[WriterLock]:
    """The lock for a writer other than a build (``liftlab tune``): refuse at once if held."""
    with WriterLock(Path(warehouse).resolve(), command) as lock:
        yield lock


def duckdb_lock_message(warehouse: Path, error: Exception) -> str | None:
    """One line for DuckDB's lock conflict (another process has the file open to write)."""
    text = str(error)
    if "lock" not in text.lower():
        return None
    pid = re.search(r"PID (\d+)", text)
    holder = f" (PID {pid.group(1)})" if pid else ""
    return (
        f"{warehouse} is open for writing by another process{holder}: close that "
        "connection and try again (read-only connections do not block a build)"
    )


def ensure_no_writer(warehouse: Path) -> None:
    """Refuse (WarehouseBusy) when another process holds ``warehouse`` open to write."""
    import duckdb

    from liftlab.warehouse import connect

    if not warehouse.exists():
        return
    try:
        connect(warehouse, read_only=True).close()
    except duckdb.Error as exc:
        message = duckdb_lock_message(warehouse, exc)
        if message is None:
            raise
        raise WarehouseBusy(message) from None


# --------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------


def check_inputs(data: str) -> list[Path]:
    """The input files of ``data``; NothingToBuild when a directory holds none (a glob
    that matches nothing raises landing's FileNotFoundError). Files that hold no document
    are refused after landing (:func:`refuse_if_empty`), before dbt runs."""
    from liftlab.landing import resolve_inputs

    files = resolve_inputs(data)
    if not files:
        raise NothingToBuild(f"nothing to build: {data!r} holds no export file (JSON or CSV)")
    return files


def refuse_if_empty(data: str, summary) -> None:
    """NothingToBuild when landing found no document at all (empty files, ``[]``, ...)."""
    if summary.documents_landed == 0 and summary.files_unchanged == 0:
        raise NothingToBuild(
            f"nothing to build: the {summary.files_seen} input file(s) of {data!r} hold no document"
        )


# --------------------------------------------------------------------------------------
# the build file and its publication
# --------------------------------------------------------------------------------------


def new_build_id(started_at: datetime) -> str:
    return f"{started_at:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


def remove_database(path: Path) -> None:
    """A DuckDB file with its write-ahead log and spill directory."""
    for suffix in COMPANION_SUFFIXES:
        companion = sibling(path, suffix) if suffix else path
        if companion.is_dir():
            shutil.rmtree(companion, ignore_errors=True)
        else:
            companion.unlink(missing_ok=True)


def move_database(source: Path, target: Path) -> None:
    remove_database(target)
    for suffix in (".wal", ""):
        companion = sibling(source, suffix) if suffix else source
        if companion.exists():
            os.replace(companion, sibling(target, suffix) if suffix else target)
    shutil.rmtree(sibling(source, ".tmp"), ignore_errors=True)


def copy_database(source: Path, target: Path) -> str:
    """Copy ``source`` (and its write-ahead log) to ``target``: a reflink clone where the
    file system can (``cp --reflink=auto``), else a plain copy. Returns which it was."""
    how = "reflink"
    for suffix in ("", ".wal"):
        src = sibling(source, suffix) if suffix else source
        if not src.exists():
            continue
        dst = sibling(target, suffix) if suffix else target
        if not _reflink(src, dst):
            shutil.copyfile(src, dst)
            how = "copy"
    return how


def _reflink(source: Path, target: Path) -> bool:
    ficlone = 0x40049409  # FICLONE (linux/fs.h)
    try:
        with source.open("rb") as src, target.open("wb") as dst:
            fcntl.ioctl(dst.fileno(), ficlone, src.fileno())
    except OSError:
        target.unlink(missing_ok=True)
        return False
    return True


def carry_over(published: Path, target: Path) -> list[str]:
    """Create ``target`` holding only :data:`CARRIED_TABLES` of ``published`` (if any)."""
    import duckdb

    from liftlab.warehouse import connect

    carried: list[str] = []
    with connect(target) as con:
        if published.exists():
            try:
                con.execute(f"attach '{_sql_text(published)}' as published (read_only)")
            except duckdb.Error as exc:
                message = duckdb_lock_message(published, exc)
                if message is None:
                    raise
                raise WarehouseBusy(message) from None
            present = {
                row[0]
                for row in con.execute(
                    "select table_name from information_schema.tables"
                    " where table_catalog = 'published' and table_schema = 'main'"
                ).fetchall()
            }
            for table in CARRIED_TABLES:
                if table in present:
                    # names from the fixed tuple above, never from input
                    con.execute(f"create table main.{table} as from published.main.{table}")
                    carried.append(table)
            con.execute("detach published")
        con.execute(BUILD_LOG_DDL)
    return carried


def _sql_text(path: Path) -> str:
    return str(path).replace("'", "''")


def last_build_row(con, columns: tuple[str, ...]) -> dict | None:
    """The named columns of the last build in ``build_log`` (by finished_at), None for a
    column it does not have (a warehouse from before it); None without a build_log row."""
    present = {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns"
            " where table_schema = 'main' and table_name = ?",
            [BUILD_LOG_TABLE],
        ).fetchall()
    }
    if not present:
        return None
    select = ", ".join(c if c in present else f"null as {c}" for c in columns)
    row = con.execute(
        f"select {select} from main.{BUILD_LOG_TABLE} order by finished_at desc nulls last limit 1"
    ).fetchone()
    return dict(zip(columns, row, strict=True)) if row else None


def write_build_log(path: Path, row: dict) -> None:
    """Append the build's row to ``build_log`` in the build file, checkpointed."""
    from liftlab.warehouse import connect

    with connect(path) as con:
        con.execute(BUILD_LOG_DDL)
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        con.execute(
            f"insert into main.{BUILD_LOG_TABLE} ({columns}) values ({marks})", list(row.values())
        )
        con.execute("checkpoint")


def publish_file(build_file: Path, warehouse: Path) -> None:
    """Move the finished build file onto the published path in one atomic rename."""
    from liftlab.warehouse import connect

    if sibling(build_file, ".wal").exists():  # never publish with a log pending
        with connect(build_file) as con:
            con.execute("checkpoint")
    _fsync(build_file)
    ensure_no_writer(warehouse)
    # a log left beside the published file by a crashed writer belongs to the old file
    sibling(warehouse, ".wal").unlink(missing_ok=True)
    abort_point("publish")
    os.replace(build_file, warehouse)
    _fsync(warehouse.parent)
    shutil.rmtree(sibling(build_file, ".tmp"), ignore_errors=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def dbt_results(project: Path) -> dict[str, int]:
    """Counts by status of the last dbt run (target/run_results.json)."""
    try:
        results = json.loads((project / "target" / "run_results.json").read_text())
    except (OSError, ValueError):
        return {}
    counts: dict[str, int] = {}
    for result in results.get("results", []):
        status = str(result.get("status"))
        counts[status] = counts.get(status, 0) + 1
    return dict(sorted(counts.items()))


def input_records(files: list[Path], build_file: Path) -> list[dict]:
    """Each input file with its size and content hash (as landing recorded them)."""
    from liftlab.warehouse import connect

    with connect(build_file, read_only=True) as con:
        landed = {
            row[0]: (row[1], row[2])
            for row in con.execute(
                "select source_file, sha256, size_bytes from raw.landed_files"
            ).fetchall()
        }
    records = []
    for path in files:
        sha256, size = landed.get(str(path), (None, None))
        records.append({"file": str(path), "size_bytes": size, "sha256": sha256})
    return records


@dataclass
class BuildSession:
    """One build's lock, build file and outcome; use as a context manager.

    On entry: take the lock, remove a killed build's leftovers and the previous failed
    copy, refuse if another process holds the published file open to write, and prepare
    the build file. On a clean exit nothing happens (call :meth:`publish`); on an
    exception the build file is kept as the failed copy (or removed) and the exception
    gets a note saying so; the lock is released either way."""

    warehouse: Path
    append: bool = False
    discard_failed: bool = False
    command: str = "liftlab build"
    started_at: datetime = field(default_factory=_now)
    build_id: str = ""
    lock: WriterLock | None = None
    copy_method: str | None = None
    carried: list[str] = field(default_factory=list)
    failed_copy: Path | None = None
    published: bool = False

    @property
    def path(self) -> Path:
        return sibling(self.warehouse, BUILD_SUFFIX)

    @property
    def failed_path(self) -> Path:
        return sibling(self.warehouse, FAILED_SUFFIX)

    def __enter__(self) -> BuildSession:
        self.warehouse = Path(self.warehouse).resolve()
        self.build_id = self.build_id or new_build_id(self.started_at)
        self.lock = WriterLock(
            self.warehouse, self.command, self.build_id, started_at=self.started_at
        )
        self.lock.acquire()
        try:
            if self.lock.stale:
                print(
                    f"{self.command}: took over the stale lock of {_describe(self.lock.stale)},"
                    " which did not finish; its leftovers are removed",
                    file=sys.stderr,
                )
            remove_database(self.path)
            remove_database(self.failed_path)
            ensure_no_writer(self.warehouse)
            if self.append and self.warehouse.exists():
                self.copy_method = copy_database(self.warehouse, self.path)
            else:
                self.carried = carry_over(self.warehouse, self.path)
        except BaseException:
            remove_database(self.path)
            self.lock.release()
            raise
        return self

    def publish(self, row: dict) -> None:
        write_build_log(self.path, {"build_id": self.build_id, **row})
        publish_file(self.path, self.warehouse)
        self.published = True

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc is not None and not self.published and self.path.exists():
                if self.discard_failed or isinstance(exc, NothingToBuild):
                    remove_database(self.path)
                    note = "the failed build was removed"
                else:
                    move_database(self.path, self.failed_path)
                    self.failed_copy = self.failed_path
                    note = f"the failed build is kept at {self.failed_path}"
                if isinstance(exc, Exception) and not isinstance(exc, NothingToBuild):
                    exc.failed_copy = self.failed_copy  # type: ignore[attr-defined]
                    exc.add_note(f"the published warehouse {self.warehouse} is unchanged; {note}")
        finally:
            assert self.lock is not None
            self.lock.release()


def failed_copy_of(exc: BaseException) -> Path | None:
    return getattr(exc, "failed_copy", None)


def build_log_row(
    *,
    session: BuildSession,
    data: str,
    files: list[Path],
    summary,
    project: Path,
    report,
) -> dict:
    """The ``build_log`` row of a build that passed (without its id)."""
    import duckdb

    from liftlab import __version__

    inputs = input_records(files, session.path)
    quality = None
    if report is not None:
        quality = (
            len(report.results) - len(report.failures) - len(report.warnings),
            len(report.warnings),
            len(report.failures),
        )
    return {
        "started_at": session.started_at,
        "finished_at": _now(),
        "mode": "append" if session.append else "full",
        "data_argument": data,
        "inputs_json": json.dumps(inputs),
        "input_files": len(files),
        "input_bytes": sum(path.stat().st_size for path in files),
        "files_landed": summary.files_landed,
        "files_unchanged": summary.files_unchanged,
        "documents_landed": summary.documents_landed,
        "file_problems": summary.file_problems,
        "dbt_results_json": json.dumps(dbt_results(project)),
        "quality_summary": (
            report.summary().splitlines()[0].rstrip(":") if report is not None else "skipped"
        ),
        "quality_passed": quality[0] if quality else None,
        "quality_warned": quality[1] if quality else None,
        "quality_failed": quality[2] if quality else None,
        "liftlab_version": __version__,
        "duckdb_version": duckdb.__version__,
    }
