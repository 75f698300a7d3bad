"""Synthetic OpenBarbell / RepOne export generator with ground truth (issue 3).

``liftlab generate --sets N --lifters M --seed S --out PATH [--faults none|realistic|heavy]
[--workers W] [--quiet]`` writes the server-dump shape (JSON Lines, gzip when the name ends
in .gz; one set document per line) and, beside it, ground truth the warehouse never reads:

``<stem>.truth_sets.parquet``, one row per emitted line:
    line_number (1-based), doc_id, set_id, user_id, workout_id, true_lift, typed_exercise
    (the exercise text as emitted, null for JSON null), fault (null when clean), fault_detail,
    n_reps, rep_faults (list, one entry per rep: null or a rep-level fault), is_warmup,
    pct_1rm, true_weight_kg, device_version.
``<stem>.truth_lifters.parquet``: user_id, archetype, body_mass_kg, one_rm_<lift>_kg for the
    six lifts, weight_unit ("kgs"/"lbs"), device_version, new_app.
``<stem>.manifest.json``: generator_version, seed, profile, rates, counts (lines, reps,
    lifters, distinct set ids, per-fault counts) and ``expected_warehouse``: documents_read
    = sets_kept + quarantined (malformed_json) + superseded + deleted, plus the reps and
    usable reps of the kept sets.

Fault vocabulary (see :mod:`liftlab.generator.faults`): set level ``unlabeled``, ``alias``,
``typo``, ``unknown_name``, ``mislabeled``, ``weight_empty``, ``weight_null``,
``wrong_unit_label``, ``garbage_rpe``, ``deleted_set``, ``revision`` (its earlier line is
``superseded``), ``malformed_json``; rep level ``infinite_velocity``, ``absurd_velocity``,
``removed_rep``, ``invalid_rep``, ``truncated_array``. A line carries at most one set-level
fault, a rep at most one rep-level fault.

Output bytes depend only on the seed, the counts, the profile and the batch size (every
batch has its own generator seeded by (seed, batch index)); never on time or workers.
"""

GENERATOR_VERSION = "2.1.0"
