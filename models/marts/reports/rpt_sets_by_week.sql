-- Sets per week and lift (overview page's activity chart).

select
    date_trunc('week', started_at)::date as week_start,
    coalesce(lift, 'unresolved') as lift,
    count(*) as set_count,
    count(distinct lifter_id) as lifter_count
from {{ ref('fct_sets') }}
where started_at is not null
group by date_trunc('week', started_at)::date, coalesce(lift, 'unresolved')
