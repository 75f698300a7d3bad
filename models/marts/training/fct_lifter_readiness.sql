{#
    Readiness, one row per lifter x lift x training day: how fast the lifter moved today
    against their own load-velocity profile of the previous days (the liftlab profile of
    var readiness_window_days ending on the latest earlier training day, never today's),
    as a percent deviation and as a z-score over their previous sessions.
#}

with

points as (

    select
        lifter_id,
        lift,
        training_date,
        load_kg,
        best_mean_velocity_m_s
    from {{ ref('int_lv_set_points') }}
    where is_profile_point

),

profiles as (

    select
        lifter_id,
        lift,
        window_end_date,
        slope_m_s_per_kg,
        intercept_m_s
    from {{ ref('fct_load_velocity_profiles') }}
    where
        method = 'liftlab'
        and window_days = {{ var('readiness_window_days') }}
        and slope_m_s_per_kg < 0
        and n_distinct_loads >= {{ var('lv_min_distinct_loads') }}

),

training_days as (

    select distinct
        lifter_id,
        lift,
        training_date
    from points

),

day_profiles as (

    -- the latest profile that ended before the day, if it is recent enough
    select
        training_days.lifter_id,
        training_days.lift,
        training_days.training_date,
        profiles.window_end_date as profile_end_date,
        profiles.slope_m_s_per_kg,
        profiles.intercept_m_s
    from training_days
    asof left join profiles
    on
        training_days.lifter_id = profiles.lifter_id
        and training_days.lift = profiles.lift
        and training_days.training_date > profiles.window_end_date

),

set_deviations as (

    select
        points.*,
        day_profiles.profile_end_date,
        day_profiles.intercept_m_s + day_profiles.slope_m_s_per_kg * points.load_kg
            as predicted_velocity_m_s
    from points
    inner join day_profiles
    on
        points.lifter_id = day_profiles.lifter_id
        and points.lift = day_profiles.lift
        and points.training_date = day_profiles.training_date
    where
        day_profiles.training_date - day_profiles.profile_end_date
        <= {{ var('readiness_window_days') }}

),

days as (

    select
        training_days.lifter_id,
        training_days.lift,
        training_days.training_date,
        max(set_deviations.profile_end_date) as profile_end_date,
        count(set_deviations.load_kg) as n_sets,
        max(set_deviations.load_kg) as reference_load_kg,
        arg_max(
            set_deviations.best_mean_velocity_m_s,
            set_deviations.load_kg * 1000 + set_deviations.best_mean_velocity_m_s
        ) as reference_velocity_m_s,
        arg_max(
            set_deviations.predicted_velocity_m_s,
            set_deviations.load_kg * 1000 + set_deviations.best_mean_velocity_m_s
        ) as predicted_velocity_m_s,
        median(
            100.0 * (set_deviations.best_mean_velocity_m_s - set_deviations.predicted_velocity_m_s)
            / set_deviations.predicted_velocity_m_s
        ) filter (where set_deviations.predicted_velocity_m_s > 0) as velocity_pct_deviation
    from training_days
    left join set_deviations
    on
        training_days.lifter_id = set_deviations.lifter_id
        and training_days.lift = set_deviations.lift
        and training_days.training_date = set_deviations.training_date
    group by training_days.lifter_id, training_days.lift, training_days.training_date

),

baselines as (

    select
        *,
        count(velocity_pct_deviation) over previous_sessions as n_baseline_sessions,
        avg(velocity_pct_deviation) over previous_sessions as baseline_mean_pct,
        stddev_samp(velocity_pct_deviation) over previous_sessions as baseline_sd_pct
    from days
    window previous_sessions as (
        partition by lifter_id, lift
        order by training_date
        rows between {{ var('readiness_baseline_sessions') }} preceding and 1 preceding
    )

),

scored as (

    select
        *,
        case
            when
                n_baseline_sessions >= {{ var('readiness_min_baseline_sessions') }}
                and baseline_sd_pct > 0
                then (velocity_pct_deviation - baseline_mean_pct) / baseline_sd_pct
        end as readiness_z
    from baselines

),

final as (

    select
        lifter_id,
        lift,
        training_date,
        profile_end_date,
        n_sets,
        reference_load_kg,
        reference_velocity_m_s,
        predicted_velocity_m_s,
        velocity_pct_deviation,
        n_baseline_sessions,
        baseline_mean_pct,
        baseline_sd_pct,
        readiness_z,
        case
            when velocity_pct_deviation is null then 'no_profile'
            when velocity_pct_deviation > {{ var('readiness_band_pct') }} then 'above'
            when velocity_pct_deviation < -{{ var('readiness_band_pct') }} then 'below'
            else 'within'
        end as readiness_flag,
        coalesce(readiness_z < -1, false) as is_z_below_1,
        coalesce(readiness_z < -2, false) as is_z_below_2
    from scored

)

select * from final
