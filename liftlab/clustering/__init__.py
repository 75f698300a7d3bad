"""Lifter clustering: configuration (``config``), features, models and warehouse tables.

See ``config/clustering_experiments.yml`` for named experiments and ``liftlab tune`` for
the sweep / promote loop.
"""
