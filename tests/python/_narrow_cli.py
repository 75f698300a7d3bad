"""`liftlab COMMAND ...` as a process, with `dbt build` narrowed to two staging models.

The publish tests (test_publish.py) kill, race and fail whole `liftlab build` processes;
what they check (the published file, the lock, the build log) does not depend on which
models dbt builds, so each build runs the smallest `dbt build` that still writes the
build file, instead of a full one (about 40 s each)."""

from __future__ import annotations

import sys

NARROW_SELECTION = ("stg_openbarbell__set_documents", "stg_openbarbell__reps")


def main(argv: list[str]) -> int:
    import liftlab.commands.build as build_command
    from liftlab.cli import main as cli_main

    original = build_command.run_dbt

    def narrowed(arguments, target, **options):
        selection = ["--select", *NARROW_SELECTION, "--exclude-resource-type", "test", "unit_test"]
        return original([*arguments, *selection], target, **options)

    build_command.run_dbt = narrowed
    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
