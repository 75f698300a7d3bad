-- The lifter page's e1RM over time: every 42-day profile (var readiness_window_days, the
-- window the lifter page shows) of the liftlab and app methods, dates as text.

select
    lifter_id || '|' || lift || '|' || strftime(window_end_date, '%Y-%m-%d') || '|' || method
        as e1rm_point_id,
    lifter_id,
    lift,
    strftime(window_end_date, '%Y-%m-%d') as window_end,
    method,
    e1rm_kg,
    e1rm_lower_kg,
    e1rm_upper_kg,
    profile_quality
from {{ ref('fct_load_velocity_profiles') }}
where
    window_days = {{ var('readiness_window_days') }}
    and method in ('liftlab', 'app_reference')
