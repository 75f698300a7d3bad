"""Data quality gates run after `dbt build` (Great Expectations, pandas route).

Importing this package is cheap; Great Expectations is imported when a checkpoint runs.
"""

from liftlab.quality.checkpoint import (
    RESULTS_TABLE,
    CheckpointReport,
    ExpectationResult,
    QualityFailed,
    run_checkpoint,
)

__all__ = [
    "RESULTS_TABLE",
    "CheckpointReport",
    "ExpectationResult",
    "QualityFailed",
    "run_checkpoint",
]
