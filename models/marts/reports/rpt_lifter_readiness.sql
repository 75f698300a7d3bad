-- The lifter page's readiness (fct_lifter_readiness), dates as text.

select
    lifter_id || '|' || lift || '|' || strftime(training_date, '%Y-%m-%d') as readiness_day_id,
    lifter_id,
    lift,
    strftime(training_date, '%Y-%m-%d') as training_day,
    reference_load_kg,
    velocity_pct_deviation,
    readiness_z,
    readiness_flag
from {{ ref('fct_lifter_readiness') }}
