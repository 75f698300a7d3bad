"""Expectation suites of the warehouse's staging models and marts, as plain data.

Each :class:`Check` names a table (optionally a slice of it, by a SQL ``where``) and the
expectations its rows must meet. Only what dbt tests do not do well lives here (see
:func:`all_checks`); every key, null, accepted-value, regex, range and row-count check is a
dbt test, once. Nothing here imports Great Expectations: :mod:`liftlab.quality.checkpoint`
turns the specs into GX expectation objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Spec:
    """One expectation: a GX expectation class name (``ExpectColumnValuesToBeBetween``)
    and its keyword arguments."""

    expectation: str
    kwargs: dict = field(default_factory=dict)
    note: str | None = None


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


def between(column: str, low=None, high=None, *, mostly: float = 1.0) -> Spec:
    kwargs = {"column": column, "min_value": low, "max_value": high}
    if mostly < 1.0:
        kwargs["mostly"] = mostly
    return Spec("ExpectColumnValuesToBeBetween", kwargs)


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


def all_checks(bounds: dict[str, LiftBounds] | None = None) -> list[Check]:
    """Every check: what dbt tests do not do well. Keys, nulls, accepted values, regexes,
    simple ranges and row-count reconciliations are dbt tests (the yml beside each model,
    tests/dbt/), written once there; here the per-lift physical ranges of plausible reps
    against the lifts seed's bounds (read from the warehouse by the checkpoint:
    :data:`LIFT_BOUNDS_SQL`), device noise reported with its counts, and the CSV files
    whose day-month order was guessed, all in the data docs a stakeholder reads."""
    return [
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
        *plausible_rep_checks(bounds or {}),
        *device_noise_checks(),
    ]
