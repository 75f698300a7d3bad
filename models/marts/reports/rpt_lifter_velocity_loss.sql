-- The lifter page's velocity loss per set (fct_set_velocity_loss), the lifter's latest
-- 100 sets of each lift, dates as text.

select
    set_id,
    lifter_id,
    lift,
    strftime(started_at, '%Y-%m-%d %H:%M') as started,
    load_kg,
    rep_count_plausible,
    velocity_loss_pct,
    app_percent_loss_pct,
    estimated_reps_in_reserve,
    velocity_zone
from {{ ref('fct_set_velocity_loss') }}
where lift is not null and started_at is not null
qualify row_number() over (partition by lifter_id, lift order by started_at desc) <= 100
