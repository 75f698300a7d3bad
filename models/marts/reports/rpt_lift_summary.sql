-- Per lift: volume and typical velocity and load (overview page).

select
    coalesce(lift, 'unresolved') as lift,
    count(*) as set_count,
    sum(rep_count_usable) as usable_rep_count,
    count(distinct lifter_id) as lifter_count,
    avg(mean_velocity_m_s) as mean_velocity_m_s,
    median(load_kg) filter (where not is_load_outlier) as median_load_kg,
    max(load_kg) filter (where not is_load_outlier) as max_load_kg
from {{ ref('fct_sets') }}
group by coalesce(lift, 'unresolved')
