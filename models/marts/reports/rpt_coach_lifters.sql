-- The coach page: one row per lifter, the study lifts side by side: the current liftlab
-- e1RM (the latest 42-day profile), its change over six weeks (against the latest profile
-- at least 42 days older), its quality, and the lifter's latest readiness flag.

with

study_lifts as (
    select lift from {{ ref('lifts') }}
    where is_study_lift
),

profiles as (
    select
        lifter_id,
        lift,
        window_end_date,
        e1rm_kg,
        profile_quality
    from {{ ref('fct_load_velocity_profiles') }}
    where
        method = 'liftlab'
        and window_days = {{ var('readiness_window_days') }}
        and lift in (select study_lifts.lift from study_lifts)
),

current_profiles as (
    select *
    from profiles
    qualify row_number() over (partition by lifter_id, lift order by window_end_date desc) = 1
),

earlier_profiles as (
    select
        current_profiles.lifter_id,
        current_profiles.lift,
        arg_max(earlier.e1rm_kg, earlier.window_end_date) as earlier_e1rm_kg
    from current_profiles
    inner join profiles as earlier
    on
        current_profiles.lifter_id = earlier.lifter_id
        and current_profiles.lift = earlier.lift
        and earlier.window_end_date <= current_profiles.window_end_date - 42
        and earlier.e1rm_kg is not null
    group by current_profiles.lifter_id, current_profiles.lift
),

trends as (
    select
        current_profiles.lifter_id,
        current_profiles.lift,
        current_profiles.e1rm_kg,
        current_profiles.profile_quality,
        100.0 * (current_profiles.e1rm_kg - earlier_profiles.earlier_e1rm_kg)
        / earlier_profiles.earlier_e1rm_kg as trend_6w_pct
    from current_profiles
    left join earlier_profiles
    on
        current_profiles.lifter_id = earlier_profiles.lifter_id
        and current_profiles.lift = earlier_profiles.lift
),

latest_readiness as (
    -- the lifter's last readiness row: one row, so that the flag and its lift agree (two
    -- lifts on the last day: the first by name)
    select
        lifter_id,
        readiness_flag,
        lift as readiness_lift,
        strftime(training_date, '%Y-%m-%d') as last_training_day
    from {{ ref('fct_lifter_readiness') }}
    qualify row_number() over (partition by lifter_id order by training_date desc, lift asc) = 1
),

lifters as (
    select distinct lifter_id from profiles
),

final as (
    select
        lifters.lifter_id,
        '/lifters/' || lifters.lifter_id as lifter_link,
        latest_readiness.last_training_day,
        squat.e1rm_kg as squat_e1rm_kg,
        squat.trend_6w_pct as squat_trend_6w_pct,
        squat.profile_quality as squat_profile_quality,
        bench.e1rm_kg as bench_press_e1rm_kg,
        bench.trend_6w_pct as bench_press_trend_6w_pct,
        bench.profile_quality as bench_press_profile_quality,
        deadlift.e1rm_kg as deadlift_e1rm_kg,
        deadlift.trend_6w_pct as deadlift_trend_6w_pct,
        deadlift.profile_quality as deadlift_profile_quality,
        latest_readiness.readiness_flag,
        latest_readiness.readiness_lift
    from lifters
    left join trends as squat
    on lifters.lifter_id = squat.lifter_id and squat.lift = 'squat'
    left join trends as bench
    on lifters.lifter_id = bench.lifter_id and bench.lift = 'bench_press'
    left join trends as deadlift
    on lifters.lifter_id = deadlift.lifter_id and deadlift.lift = 'deadlift'
    left join latest_readiness
    on lifters.lifter_id = latest_readiness.lifter_id
)

select * from final
