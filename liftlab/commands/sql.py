"""`liftlab sql "select ..."`: a read-only query of the warehouse, printed as a table."""

from __future__ import annotations

import argparse
import sys

from liftlab.warehouse import warehouse_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", help="SQL to run (the warehouse is opened read-only)")
    parser.add_argument("--warehouse", help="DuckDB file (default: warehouse/liftlab.duckdb)")
    parser.add_argument("--max-rows", type=int, default=50, help="rows to print (default 50)")
    parser.add_argument("--csv", action="store_true", help="print all rows as CSV instead")


def run(args: argparse.Namespace) -> int:
    import duckdb

    path = warehouse_path(args.warehouse)
    if not path.exists():
        print(f"liftlab sql: no warehouse at {path}; run `liftlab build` first", file=sys.stderr)
        return 2
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            relation = con.sql(args.query)
            if relation is None:
                print("ok")
                return 0
            if args.csv:
                relation.df().to_csv(sys.stdout, index=False)
            else:
                relation.show(max_rows=args.max_rows, max_width=200)
    except duckdb.Error as exc:
        print(f"liftlab sql: {exc}", file=sys.stderr)
        return 1
    return 0
