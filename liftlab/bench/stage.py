"""Single stages run as their own process by the benchmark (so each is measured alone)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """``land DATA WAREHOUSE`` (a rebuild of the raw layer), ``reland DATA WAREHOUSE`` (on
    top of what is landed: unchanged files are skipped) or ``quality - WAREHOUSE
    [DOCS_DIR]``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    stage, data, warehouse = argv[0], argv[1], argv[2]
    if stage == "quality":
        return quality(warehouse, argv[3] if len(argv) > 3 else None)
    if stage not in ("land", "reland"):
        print(f"unknown stage {stage!r}", file=sys.stderr)
        return 2
    from liftlab.landing import land
    from liftlab.warehouse import connect

    with connect(warehouse) as con:
        land(data, con, replace_all=stage == "land")
    return 0


def quality(warehouse: str, docs_dir: str | None) -> int:
    """The Great Expectations checkpoint of `liftlab build`; exit 1 when an expectation fails."""
    from pathlib import Path

    from liftlab.quality.checkpoint import run_checkpoint

    report = run_checkpoint(
        Path(warehouse), docs_dir=Path(docs_dir) if docs_dir else None, raise_on_failure=False
    )
    print(report.summary())
    return 0 if report.success else 1


if __name__ == "__main__":
    sys.exit(main())
