"""Synthetic OpenBarbell / RepOne export generator with ground truth (issue 3).

``liftlab generate`` writes the server-dump shape (JSON Lines, gzip when the name ends in
.gz) and, beside it, ground truth the warehouse never reads: ``<stem>.truth_sets.parquet``
(one row per emitted line), ``<stem>.truth_lifters.parquet`` and ``<stem>.manifest.json``.
"""

GENERATOR_VERSION = "1.0.0"
