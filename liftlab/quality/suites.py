"""Expectation suites of the warehouse's staging models and marts, as plain data.

Each :class:`Check` names a table (optionally a slice of it, by a SQL ``where``) and the
expectations its rows must meet. Row-count expectations that reconcile one layer with
another are computed from the warehouse at run time (``reconcile_sql``). Nothing here
imports Great Expectations: :mod:`liftlab.quality.checkpoint` turns the specs into GX
expectation objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HEX_ID = r"^[0-9a-f]{16}$"


@dataclass(frozen=True)
class Spec:
    """One expectation: a GX expectation class name (``ExpectColumnValuesToBeBetween``)
    and its keyword arguments. ``reconcile_sql`` (a scalar query over the warehouse)
    supplies ``value`` of a row-count expectation at run time."""

    expectation: str
    kwargs: dict = field(default_factory=dict)
    reconcile_sql: str | None = None
    note: str | None = None
    reconcile_into: tuple[str, ...] = ("value",)


@dataclass(frozen=True)
class Check:
    """The expectations of one table, or of the rows of a table meeting ``where``."""

    suite: str
    table: str
    specs: tuple[Spec, ...]
    where: str | None = None
    optional: bool = False  # a table built by an optional model (classifier, clustering)
    # "error" fails the build; "warn" is reported with its counts and does not
    severity: str = "error"

    @property
    def columns(self) -> list[str]:
        names: list[str] = []
        for spec in self.specs:
            for key in ("column", "column_A", "column_B"):
                if key in spec.kwargs and spec.kwargs[key] not in names:
                    names.append(spec.kwargs[key])
            for name in spec.kwargs.get("column_list", []):
                if name not in names:
                    names.append(name)
        return names


def not_null(column: str) -> Spec:
    return Spec("ExpectColumnValuesToNotBeNull", {"column": column})


def unique(column: str) -> Spec:
    return Spec("ExpectColumnValuesToBeUnique", {"column": column})


def in_set(column: str, values) -> Spec:
    return Spec("ExpectColumnValuesToBeInSet", {"column": column, "value_set": list(values)})


def between(column: str, low=None, high=None, *, mostly: float = 1.0) -> Spec:
    kwargs = {"column": column, "min_value": low, "max_value": high}
    if mostly < 1.0:
        kwargs["mostly"] = mostly
    return Spec("ExpectColumnValuesToBeBetween", kwargs)


def matches(column: str, regex: str) -> Spec:
    return Spec("ExpectColumnValuesToMatchRegex", {"column": column, "regex": regex})


def row_count(sql: str, note: str) -> Spec:
    return Spec("ExpectTableRowCountToEqual", {}, reconcile_sql=sql, note=note)


def equals_count(column: str, sql: str, note: str) -> Spec:
    """Every value of ``column`` equals the count ``sql`` returns at run time."""
    return Spec(
        "ExpectColumnValuesToBeBetween",
        {"column": column},
        reconcile_sql=sql,
        note=note,
        reconcile_into=("min_value", "max_value"),
    )


# --------------------------------------------------------------------------------------
# physically possible values of a plausible rep, per lift
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiftBounds:
    """The plausibility bounds of one lift, as the lifts seed states them (the same bounds
    int_reps_decoded applies to the set's typed lift)."""

    max_mean_velocity_m_s: float
    max_peak_velocity_m_s: float
    min_rom_mm: float
    max_rom_mm: float
    max_duration_s: float


LIFT_BOUNDS_SQL = (
    "select lift, max_plausible_mean_velocity_m_s, max_plausible_peak_velocity_m_s,"
    " min_plausible_rom_mm, max_plausible_rom_mm, max_plausible_duration_s"
    " from reference.lifts order by lift"
)
# Plausibility is judged against the set's typed lift (the classifier's lift comes later and
# reads the plausible reps), so the checks slice the reps by the typed lift too.
TYPED_SETS = "select set_id from fct_sets where typed_lift_status = 'matched' and typed_lift = "
# Implausible reps are device noise below this share of a file's usable reps (the per-file
# gate in fct_rep_plausibility, threshold var max_implausible_rep_share): a warning.
WARN = "warn"
ERROR = "error"


def plausible_rep_checks(bounds: dict[str, LiftBounds]) -> list[Check]:
    """Per typed lift: every plausible rep lies within the lift's bounds (the SQL rule of
    int_reps_decoded holds; a decoding or unit error makes reps implausible instead, which
    the per-file share catches)."""
    checks = []
    for lift, bound in bounds.items():
        specs = (
            between("mean_velocity_m_s", 0.0, bound.max_mean_velocity_m_s),
            between("peak_velocity_m_s", 0.0, bound.max_peak_velocity_m_s),
            between("rom_mm", bound.min_rom_mm, bound.max_rom_mm),
            between("peak_velocity_location_pct", 0.0, 100.0),
            between("duration_s", 0.0, bound.max_duration_s),
        )
        checks.append(
            Check(
                f"marts.fct_reps.plausible.{lift}",
                "fct_reps",
                specs,
                where=f"is_plausible and set_id in ({TYPED_SETS}'{lift}')",
            )
        )
    return checks


def device_noise_checks() -> list[Check]:
    """Implausible reps: a warning with their count and reasons, and a failure only for a
    file whose share of them is above the threshold (the warehouse would be wrong)."""
    return [
        Check(
            "marts.fct_reps.implausible",
            "fct_reps",
            (Spec("ExpectColumnValuesToBeNull", {"column": "implausible_measurement"}),),
            where="is_usable",
            severity=WARN,
        ),
        Check(
            "marts.fct_rep_plausibility",
            "fct_rep_plausibility",
            (
                not_null("source_file_key"),
                unique("source_file_key"),
                not_null("is_within_threshold"),
            ),
        ),
        # the files above the threshold, by name: no such row may exist
        Check(
            "marts.fct_rep_plausibility.above_threshold",
            "fct_rep_plausibility",
            (
                Spec(
                    "ExpectColumnValuesToBeNull",
                    {"column": "source_file_name"},
                    note="files whose share of implausible reps is above"
                    " var max_implausible_rep_share",
                ),
            ),
            where="not is_within_threshold",
        ),
    ]


# --------------------------------------------------------------------------------------
# the suites
# --------------------------------------------------------------------------------------

KEPT_DOCUMENTS = (
    "select count(*) from int_set_documents_triaged where document_disposition = 'kept'"
)
CSV_SHAPES_SQL = "('app_csv', 'app_csv_tags')"  # liftlab.app_csv.CSV_SHAPES


def all_checks(bounds: dict[str, LiftBounds] | None = None) -> list[Check]:
    """Every check, staging first; ``bounds`` are the lifts seed's plausibility bounds (read
    from the warehouse by the checkpoint: :data:`LIFT_BOUNDS_SQL`), and its lifts are the
    canonical lift list (no copy of it here)."""
    canonical_lifts = tuple(bounds or {})
    return [
        Check(
            "staging.stg_openbarbell__set_documents",
            "stg_openbarbell__set_documents",
            (
                not_null("document_id"),
                unique("document_id"),
                not_null("lifter_id"),
                matches("lifter_id", HEX_ID),
                row_count(
                    "select count(*) from raw.set_documents"
                    f" where source_shape not in {CSV_SHAPES_SQL}",
                    "one row per landed JSON document (raw.set_documents)",
                ),
            ),
        ),
        Check(
            "staging.stg_openbarbell__csv_rows",
            "stg_openbarbell__csv_rows",
            (
                not_null("csv_row_id"),
                unique("csv_row_id"),
                matches("lifter_id", HEX_ID),
                row_count(
                    "select count(*) from raw.set_documents"
                    f" where source_shape in {CSV_SHAPES_SQL}",
                    "one row per landed line of an app CSV (raw.set_documents)",
                ),
            ),
        ),
        # the CSV files whose day-month order no date settled (the locale form decided):
        # a warning naming each file
        Check(
            "staging.stg_openbarbell__csv_rows.date_order_from_locale_form",
            "stg_openbarbell__csv_rows",
            (
                Spec(
                    "ExpectColumnValuesToBeNull",
                    {"column": "source_file_name"},
                    note="CSV files whose day-month order was taken from the locale form"
                    " (no date number above 12); set var app_csv_date_order if it is wrong",
                ),
            ),
            where="date_order_decided_by = 'locale_form'",
            severity=WARN,
        ),
        Check(
            "staging.stg_openbarbell__set_documents.readable",
            "stg_openbarbell__set_documents",
            (not_null("set_id"), between("rep_count_in_document", 0, None)),
            where="quarantine_reason is null",
        ),
        Check(
            "staging.stg_openbarbell__reps",
            "stg_openbarbell__reps",
            (
                not_null("rep_id"),
                not_null("document_id"),
                Spec(
                    "ExpectCompoundColumnsToBeUnique",
                    {"column_list": ["document_id", "rep_index"]},
                ),
                matches("device_id", HEX_ID),
                row_count(
                    "select coalesce(sum(rep_count_in_document), 0)"
                    " from stg_openbarbell__set_documents where quarantine_reason is null",
                    "one row per element of the reps arrays of readable documents",
                ),
            ),
        ),
        Check(
            "marts.fct_sets",
            "fct_sets",
            (
                not_null("set_id"),
                unique("set_id"),
                not_null("lifter_id"),
                matches("lifter_id", HEX_ID),
                not_null("workout_id"),
                in_set("lift", canonical_lifts),
                in_set("typed_lift", canonical_lifts),
                between("load_kg", 0.0, None),
                between("weight_value", 0.0, None),
                between("rep_count_total", 0, None),
                Spec(
                    "ExpectColumnPairValuesAToBeGreaterThanB",
                    {
                        "column_A": "rep_count_total",
                        "column_B": "rep_count_usable",
                        "or_equal": True,
                    },
                ),
                row_count(KEPT_DOCUMENTS, "one row per kept set document"),
            ),
        ),
        Check(
            "marts.fct_reps",
            "fct_reps",
            (
                not_null("rep_id"),
                unique("rep_id"),
                not_null("set_id"),
                not_null("lifter_id"),
                matches("device_id", HEX_ID),
                in_set("lift", canonical_lifts),
                between("load_kg", 0.0, None),
                not_null("is_usable"),
                row_count(
                    "select count(*) from int_reps_decoded where rep_disposition = 'kept'",
                    "one row per kept rep",
                ),
            ),
        ),
        *plausible_rep_checks(bounds or {}),
        *device_noise_checks(),
        Check(
            "marts.fct_workouts",
            "fct_workouts",
            (
                not_null("workout_id"),
                unique("workout_id"),
                not_null("lifter_id"),
                between("set_count", 1, None),
                between("volume_load_kg", 0.0, None),
                between("heaviest_load_kg", 0.0, None),
                row_count(
                    "select count(distinct workout_id) from fct_sets",
                    "one row per workout of fct_sets",
                ),
            ),
        ),
        Check(
            "marts.dim_lifters",
            "dim_lifters",
            (
                not_null("lifter_id"),
                unique("lifter_id"),
                matches("lifter_id", HEX_ID),
                between("set_count", 1, None),
                between("heaviest_load_kg", 0.0, None),
                row_count(
                    "select count(distinct lifter_id) from fct_sets",
                    "one row per lifter of fct_sets",
                ),
            ),
        ),
        Check(
            "marts.rejected_records",
            "rejected_records",
            (
                not_null("rejected_record_id"),
                unique("rejected_record_id"),
                in_set("level", ("file", "document", "csv_row", "rep")),
                not_null("reason"),
                not_null("source_file_name"),
                row_count(
                    "select (select count(*) from raw.landing_file_errors)"
                    " + (select count(*) from int_set_documents_triaged"
                    "    where document_disposition = 'quarantined')"
                    " + (select count(*) from stg_openbarbell__csv_rows"
                    "    where quarantine_reason is not null)"
                    " + (select count(*) from int_reps_decoded"
                    "    where rep_disposition = 'quarantined')",
                    "file problems + quarantined documents, CSV lines and reps",
                ),
            ),
        ),
        Check(
            "marts.fct_record_counts",
            "fct_record_counts",
            (
                not_null("level"),
                unique("level"),
                Spec(
                    "ExpectColumnPairValuesToBeEqual",
                    {"column_A": "records_read", "column_B": "records_accounted"},
                ),
                row_count("select 3", "one row per level (document, rep, csv_row)"),
            ),
        ),
        Check(
            "marts.fct_record_counts.document",
            "fct_record_counts",
            (
                equals_count(
                    "records_read",
                    "select (select count(*) from raw.set_documents"
                    f" where source_shape not in {CSV_SHAPES_SQL})"
                    " + (select count(distinct set_id) from stg_openbarbell__csv_rows)",
                    "documents read = JSON rows landed in raw.set_documents + CSV sets",
                ),
                equals_count(
                    "records_kept", "select count(*) from fct_sets", "sets kept = rows of fct_sets"
                ),
            ),
            where="level = 'document'",
        ),
        Check(
            "marts.fct_record_counts.rep",
            "fct_record_counts",
            (
                equals_count(
                    "records_read",
                    "select (select count(*) from stg_openbarbell__reps)"
                    " + (select count(*) from stg_openbarbell__csv_rows"
                    "    where quarantine_reason is null)",
                    "reps read = rows of stg_openbarbell__reps + accepted CSV lines",
                ),
                equals_count(
                    "records_kept", "select count(*) from fct_reps", "reps kept = rows of fct_reps"
                ),
            ),
            where="level = 'rep'",
        ),
        Check(
            "marts.fct_set_exercise_predictions",
            "fct_set_exercise_predictions",
            (
                not_null("set_id"),
                unique("set_id"),
                between("probability", 0.0, 1.0),
                between("typed_lift_probability", 0.0, 1.0),
                between("margin", 0.0, 1.0),
                in_set("predicted_lift", canonical_lifts),
                row_count("select count(*) from fct_sets", "one prediction row per kept set"),
            ),
            optional=True,
        ),
        Check(
            "marts.ml_classifier_metrics",
            "ml_classifier_metrics",
            (
                not_null("metric_id"),
                unique("metric_id"),
                between("accuracy", 0.0, 1.0),
                between("macro_f1", 0.0, 1.0),
            ),
            optional=True,
        ),
        Check(
            "marts.lifter_clusters",
            "lifter_clusters",
            (
                not_null("lifter_id"),
                not_null("cluster_id"),
                between("cluster_id", 1, None),
            ),
            where="membership is not null",
            optional=True,
        ),
    ]
