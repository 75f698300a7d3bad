"""The training marts (issue 14) on warehouses the session builds anyway: the real sample
(exact figures) and the heavy-faults generated export (bad input never breaks them). The
rules themselves are pinned by the dbt unit tests beside the models."""

from __future__ import annotations

from conftest import query, scalar


def test_sample_profiles_per_method(sample_warehouse):
    rows = query(
        sample_warehouse,
        "select method, count(*), count(e1rm_kg) from fct_load_velocity_profiles"
        " where window_days = 42 group by method order by method",
    )
    assert rows == [
        ("app_reference", 16, 15),
        ("liftlab", 16, 12),
        ("liftlab_cluster_mvt", 16, 12),
        ("liftlab_individual_mvt", 16, 12),
    ]


def test_liftlab_e1rm_lies_inside_its_interval(sample_warehouse, heavy_faults_warehouse):
    for warehouse in (sample_warehouse, heavy_faults_warehouse):
        bad = scalar(
            warehouse,
            "select count(*) from fct_load_velocity_profiles where method like 'liftlab%'"
            " and ((e1rm_kg is null) != (e1rm_lower_kg is null)"
            " or not (e1rm_lower_kg < e1rm_kg and e1rm_kg < e1rm_upper_kg)"
            " or (e1rm_kg is null) != (null_reason is not null))",
        )
        assert bad == 0


def test_velocity_loss_definitions_agree(sample_warehouse, heavy_faults_warehouse):
    """Loss to the last rep never exceeds loss to the slowest; peak-end lies between."""
    for warehouse in (sample_warehouse, heavy_faults_warehouse):
        assert scalar(warehouse, "select count(*) from fct_set_velocity_loss") > 0
        bad = scalar(
            warehouse,
            "select count(*) from fct_set_velocity_loss"
            " where velocity_loss_pct > app_percent_loss_pct + 1e-9"
            " or peak_end_velocity_m_s < slowest_rep_mean_velocity_m_s - 1e-9"
            " or peak_end_velocity_m_s > last_rep_mean_velocity_m_s + 1e-9",
        )
        assert bad == 0


def test_readiness_judges_each_day_by_earlier_days(heavy_faults_warehouse):
    assert scalar(heavy_faults_warehouse, "select count(*) from fct_lifter_readiness") > 0
    assert (
        scalar(
            heavy_faults_warehouse,
            "select count(*) from fct_lifter_readiness"
            " where profile_end_date >= training_date"
            " or (readiness_flag = 'no_profile') != (velocity_pct_deviation is null)",
        )
        == 0
    )
