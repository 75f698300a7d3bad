"""The `liftlab` command line.

Each subcommand lives in its own module, exposing ``add_arguments(parser)`` and
``run(args) -> int``; modules are imported only when their subcommand runs, so
``liftlab --help`` stays fast: keep heavy imports (dbt, duckdb, pandas) inside ``run``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("liftlab.commands.run", "generate the default data if needed, build, and summarize"),
    "build": ("liftlab.commands.build", "land an export and run `dbt build` over it"),
    "sql": ("liftlab.commands.sql", "run a read-only SQL query against the warehouse"),
    "generate": ("liftlab.generator.command", "write a synthetic export with ground truth"),
    "bench": ("liftlab.commands.bench", "time liftlab against the pandas baseline by scale"),
    "classify": ("liftlab.commands.classify", "label an export's sets with the saved model"),
    "tune": ("liftlab.commands.tune", "sweep clustering configs, log runs, promote the best"),
    "report": ("liftlab.commands.report", "export the report marts and build the Evidence site"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``command``'s module is imported to add its arguments."""
    parser = argparse.ArgumentParser(
        prog="liftlab",
        description="SQL-first analytics warehouse for barbell velocity data.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        sub_parser.set_defaults(_module=module_name)
        if name == command:
            _module(module_name).add_arguments(sub_parser)
    return parser


def _module(module_name: str):
    return importlib.import_module(module_name)


def _command_of(argv: Sequence[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_of(argv))
    args = parser.parse_args(argv)
    return int(_module(args._module).run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
