"""Drive a generation: lifters once, then batches streamed to the output files."""

from __future__ import annotations

import gc
import os
import sys
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from liftlab.generator import GENERATOR_VERSION
from liftlab.generator.batch import Batch, LifterText, build_batch
from liftlab.generator.faults import profile_rates
from liftlab.generator.lifter_days import LifterDays
from liftlab.generator.lifters import Lifters, lifters_table, make_lifters
from liftlab.generator.memory import hold_freed_memory, reuse_freed_memory
from liftlab.generator.writer import (
    ExportFile,
    TruthWriter,
    sidecar_paths,
    write_lifters,
    write_manifest,
)

DEFAULT_SETS = 128_000
DEFAULT_LIFTERS = 500
DEFAULT_SEED = 20_180_217
DEFAULT_OUT = Path("data/generated/openbarbell_default.jsonl.gz")
BATCH_LINES = 10_000


@dataclass(frozen=True)
class GenerateConfig:
    """What to generate."""

    sets: int = DEFAULT_SETS
    lifters: int = DEFAULT_LIFTERS
    seed: int = DEFAULT_SEED
    out: Path = DEFAULT_OUT
    faults: str = "realistic"
    batch_lines: int = BATCH_LINES
    progress: bool = False
    workers: int = 1


@dataclass
class Tally:
    """Running counts for the manifest."""

    lines: int = 0
    reps: int = 0
    faults: Counter | None = None
    rep_faults: Counter | None = None
    reps_in_kept: int = 0
    usable_reps_in_kept: int = 0

    def add(self, batch: Batch) -> None:
        counts = batch.counts
        self.faults = (self.faults or Counter()) + counts.faults
        self.rep_faults = (self.rep_faults or Counter()) + counts.rep_faults
        self.lines += counts.lines
        self.reps += counts.reps
        self.reps_in_kept += counts.reps_in_kept
        self.usable_reps_in_kept += counts.usable_reps_in_kept


def batch_sizes(total: int, size: int) -> list[int]:
    """Line counts of the batches (all ``size`` but the last)."""
    full, rest = divmod(total, size)
    return [size] * full + ([rest] if rest else [])


def manifest(config: GenerateConfig, tally: Tally, rates: dict[str, float]) -> dict:
    """Seed, counts, profile and the warehouse's expected accounting."""
    f = tally.faults or Counter()
    malformed, superseded, deleted = f["malformed_json"], f["superseded"], f["deleted_set"]
    return {
        "generator_version": GENERATOR_VERSION,
        "seed": config.seed,
        "profile": config.faults,
        "rates": rates,
        "batch_lines": config.batch_lines,
        "files": {name: path.name for name, path in sidecar_paths(config.out).items()}
        | {"export": config.out.name},
        "counts": {
            "lines": tally.lines,
            "lifters": config.lifters,
            "reps": tally.reps,
            "distinct_set_ids": tally.lines - f["revision"],
            "set_faults": dict(sorted(f.items())),
            "rep_faults": dict(sorted((tally.rep_faults or Counter()).items())),
        },
        "expected_warehouse": {
            "documents_read": tally.lines,
            "sets_kept": tally.lines - malformed - superseded - deleted,
            "quarantined": malformed,
            "superseded": superseded,
            "deleted": deleted,
            "reps_in_kept_sets": tally.reps_in_kept,
            "usable_reps_in_kept_sets": tally.usable_reps_in_kept,
            "rep_faults_in_kept_sets": tally.reps_in_kept - tally.usable_reps_in_kept,
            "note": "documents_read = sets_kept + quarantined + superseded + deleted; "
            "quarantined = malformed_json lines; sets_kept counts each revision line (the "
            "winning version) once; usable reps = reps without a rep-level fault",
        },
    }


def generate(config: GenerateConfig) -> dict:
    """Write the export, its truth files and manifest; return the manifest.

    Batches are built in the main thread (or in ``workers`` processes, a bounded window of
    them); compressing and writing a batch happens in one background thread (ISA-L and
    pyarrow release the GIL), at most two batches in flight, so memory stays bounded. With
    a single usable CPU the batch is written in the main thread instead. The
    cyclic GC is paused while batches are built (no cycles are created; the many
    short-lived strings would only trigger useless collections).
    """
    rates = profile_rates(config.faults)
    lifters = _make_lifters(config)
    text = LifterText.of(lifters)
    paths = sidecar_paths(config.out)
    write_lifters(paths["truth_lifters"], lifters_table(lifters))
    export = ExportFile(config.out)
    truth = TruthWriter(paths["truth_sets"])
    tally = Tally()
    days = LifterDays()
    bar = _progress(config)
    pending: deque[Future] = deque()
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        with reuse_freed_memory(), ThreadPoolExecutor(max_workers=1) as pool:
            background = _usable_cpus() > 1
            for batch in _batches(config, lifters, text, rates):
                tally.add(batch)
                days.add(*batch.day_codes)
                if not background:  # one CPU: a writer thread would only take turns with us
                    _write(export, truth, batch.data, batch.truth)
                    bar.update(batch.n_lines)
                    continue
                pending.append(pool.submit(_write, export, truth, batch.data, batch.truth))
                while len(pending) > 1:
                    pending.popleft().result()
                bar.update(batch.n_lines)
            while pending:
                pending.popleft().result()
    finally:
        if gc_was_enabled:
            gc.enable()
        bar.close()
        export.close()
        truth.close()
    write_lifters(paths["truth_lifter_days"], days.columns(lifters))
    result = manifest(config, tally, rates)
    write_manifest(paths["manifest"], result)
    return result


def _usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _jobs(config: GenerateConfig) -> list[tuple[int, int, int]]:
    """(batch index, first line number, line count) of every batch."""
    sizes = batch_sizes(config.sets, config.batch_lines)
    firsts = np.concatenate([[1], 1 + np.cumsum(sizes)[:-1]]).tolist() if sizes else []
    return list(zip(range(len(sizes)), firsts, sizes, strict=True))


def _batches(
    config: GenerateConfig, lifters: Lifters, text: LifterText, rates: dict[str, float]
) -> Iterator[Batch]:
    """Batches in file order: built here, or by worker processes (same bytes either way,
    since a batch depends only on the seed, its index and the lifters)."""
    jobs = _jobs(config)
    if config.workers <= 1:
        for index, first, size in jobs:
            yield build_batch(config.seed, index, first, size, lifters, text, rates)
        return
    with ProcessPoolExecutor(
        max_workers=config.workers, initializer=_init_worker, initargs=(config,)
    ) as pool:
        window: deque[Future] = deque()
        for job in jobs:
            window.append(pool.submit(_worker_batch, job))
            if len(window) > config.workers:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()


_WORKER: dict[str, object] = {}


def _init_worker(config: GenerateConfig) -> None:
    gc.disable()
    hold_freed_memory()  # for the worker process's lifetime
    lifters = _make_lifters(config)
    _WORKER.update(
        config=config,
        lifters=lifters,
        text=LifterText.of(lifters),
        rates=profile_rates(config.faults),
    )


def _worker_batch(job: tuple[int, int, int]) -> Batch:
    config: GenerateConfig = _WORKER["config"]  # type: ignore[assignment]
    index, first, size = job
    return build_batch(
        config.seed, index, first, size, _WORKER["lifters"], _WORKER["text"], _WORKER["rates"]
    )


def _make_lifters(config: GenerateConfig) -> Lifters:
    return make_lifters(
        np.random.default_rng(np.random.SeedSequence([config.seed, 1])), config.lifters
    )


def _write(export: ExportFile, truth: TruthWriter, data: bytes, columns: dict) -> None:
    export.write(data)
    truth.write(columns)


def _progress(config: GenerateConfig):
    from tqdm import tqdm

    enabled = config.progress and sys.stderr.isatty()
    return tqdm(total=config.sets, unit="set", disable=not enabled, file=sys.stderr)
