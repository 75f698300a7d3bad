"""Single stages run as their own process by the benchmark (so each is measured alone)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    stage, data, warehouse = argv[0], argv[1], argv[2]
    if stage != "land":
        print(f"unknown stage {stage!r}", file=sys.stderr)
        return 2
    import duckdb

    from liftlab.landing import land

    with duckdb.connect(warehouse) as con:
        land(data, con, replace_all=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
