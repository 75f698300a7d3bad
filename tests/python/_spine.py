"""Build only the warehouse spine (the six SQL marts, everything they depend on, and
their dbt tests) through `liftlab build`'s own code path, quality checkpoint included.

The quality, corpus and repeatability tests need the marts, not the classifier and
clustering models (which have their own tests and cost most of a full build's time), so
`dbt build` is narrowed with a `--select` of the marts and their ancestors; if a mart
comes to depend on a Python model, that model is built too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SPINE_MARTS = (
    "fct_sets",
    "fct_reps",
    "fct_workouts",
    "dim_lifters",
    "rejected_records",
    "fct_record_counts",
    "fct_rep_plausibility",
)
SPINE_SELECTION = tuple(f"+{mart}" for mart in SPINE_MARTS)


def build_spine(
    data: str | Path,
    warehouse: Path,
    *,
    append: bool = False,
    skip_quality: bool = False,
    docs_dir: Path | None = None,
    also_select: tuple[str, ...] = (),
) -> Path:
    """`liftlab build` over ``data`` into ``warehouse``, dbt narrowed to the spine (and
    the models of ``also_select``)."""
    import liftlab.commands.build as build_command
    from liftlab.quality.checkpoint import DOCS_ENV_VAR

    original = build_command.run_dbt

    def narrowed(arguments, target, **options):
        selection = [
            "--select",
            *SPINE_SELECTION,
            *also_select,
            "--indirect-selection",
            "cautious",
        ]
        return original([*arguments, *selection], target, **options)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(build_command, "run_dbt", narrowed)
        patch.setenv(DOCS_ENV_VAR, str(docs_dir or warehouse.parent / "quality_docs"))
        build_command.build(
            str(data), warehouse, append=append, quiet=True, skip_quality=skip_quality
        )
    return warehouse
