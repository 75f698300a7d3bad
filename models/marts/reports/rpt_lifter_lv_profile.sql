-- The lifter page's load-velocity chart: per lifter and lift, the latest 42-day liftlab
-- profile (line, MVT, e1RM and its interval) and the sets of that window as points.

with

latest as (
    select *
    from {{ ref('fct_load_velocity_profiles') }}
    where
        method = 'liftlab'
        and window_days = {{ var('readiness_window_days') }}
    qualify row_number() over (
            partition by lifter_id, lift order by window_end_date desc
        ) = 1
),

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

final as (
    select
        latest.lifter_id,
        latest.lift,
        strftime(latest.window_end_date, '%Y-%m-%d') as window_end,
        'set' as point_kind,
        points.load_kg,
        points.best_mean_velocity_m_s as velocity_m_s,
        latest.slope_m_s_per_kg,
        latest.intercept_m_s,
        latest.mvt_m_s,
        latest.e1rm_kg,
        latest.e1rm_lower_kg,
        latest.e1rm_upper_kg,
        latest.profile_quality,
        latest.null_reason
    from latest
    inner join points
    on
        latest.lifter_id = points.lifter_id
        and latest.lift = points.lift
        and latest.window_end_date >= points.training_date
        and points.training_date
        > latest.window_end_date - {{ var('readiness_window_days') }}

    union all

    -- one row per profile even without points, so the page can state the profile
    select
        lifter_id,
        lift,
        strftime(window_end_date, '%Y-%m-%d') as window_end,
        'profile' as point_kind,
        null::double as load_kg,
        null::double as velocity_m_s,
        slope_m_s_per_kg,
        intercept_m_s,
        mvt_m_s,
        e1rm_kg,
        e1rm_lower_kg,
        e1rm_upper_kg,
        profile_quality,
        null_reason
    from latest
)

select * from final
