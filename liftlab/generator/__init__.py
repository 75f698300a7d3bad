"""Synthetic OpenBarbell / RepOne export generator with ground truth (issue 3).

``liftlab generate --sets N --lifters M --seed S --out PATH [--faults none|realistic|heavy]
[--workers W] [--quiet]`` writes the server-dump shape (JSON Lines, gzip when the name ends
in .gz; one set document per line) and, beside it, ground truth the warehouse never reads:

``<stem>.truth_sets.parquet``, one row per emitted line:
    line_number (1-based), doc_id, set_id, user_id, workout_id, true_lift, typed_exercise
    (the exercise text as emitted, null for JSON null), fault (null when clean), fault_detail,
    n_reps, rep_faults (list, one entry per rep: null or a rep-level fault), is_warmup,
    pct_1rm (the planned share of the day's true 1RM of the set's variant), true_weight_kg,
    device_version, workout_date (UTC date of the workout), true_one_rm_kg (the true 1RM of
    the set's true lift that day, before readiness, kg, 0.01) and readiness_offset (the
    day's offset, 0.0001: the effective 1RM that day is true_one_rm_kg x (1 + offset); the
    set's velocity follows its load as a share of it).
``<stem>.truth_lifters.parquet``: user_id, archetype, body_mass_kg, one_rm_<lift>_kg for the
    six lifts (the true 1RM on the lifter's first day: it changes over time, see
    :mod:`liftlab.generator.trajectory`), mvt_<lift>_m_s (the lifter's mean velocity at
    1RM, 0.0001), weight_unit ("kgs"/"lbs"), device_version, new_app.
``<stem>.truth_lifter_days.parquet``, one row per lifter x workout day x lift (all six lifts
    on every day the lifter trained): user_id, workout_date (date), lift, true_one_rm_kg
    (that day, before readiness, 0.01), readiness_offset (the day's, the same for every
    lift, 0.0001), is_deload (a deload week: working loads lighter) and n_sets (planned
    sets of the lift that day, each set id once; 0 when the lift was not trained).
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

GENERATOR_VERSION = "2.2.0"
