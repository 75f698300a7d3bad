"""Measuring a stage as a whole process: wall time, CPU time and peak RSS."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measurement:
    """What one process cost. ``peak_rss_mb`` is the largest resident set of the process or
    of any descendant it waited for (Linux ``ru_maxrss``)."""

    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    returncode: int


def measure_command(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    log: Path | None = None,
    memory_limit_gb: float | None = None,
) -> Measurement:
    """Run ``argv`` to completion and measure it with wait4 (its own rusage only);
    ``memory_limit_gb`` caps its address space (RLIMIT_AS)."""
    started = time.perf_counter()
    stdout = log.open("ab") if log else subprocess.DEVNULL
    try:
        process = subprocess.Popen(
            list(argv),
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            preexec_fn=_address_space_cap(memory_limit_gb) if memory_limit_gb else None,
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if log:
            stdout.close()
    return Measurement(
        wall_s=time.perf_counter() - started,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024.0,
        returncode=process.returncode,
    )


def _address_space_cap(gigabytes: float):
    def apply() -> None:
        import resource

        limit = int(gigabytes * 1024**3)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def machine_description() -> dict[str, str]:
    """The machine the figures were taken on."""
    import platform

    import duckdb
    import pandas

    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_gb = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        first = meminfo.read_text().splitlines()[0]
        memory_gb = f"{int(first.split()[1]) / 1024 / 1024:.1f} GiB"
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "pandas": pandas.__version__,
    }
