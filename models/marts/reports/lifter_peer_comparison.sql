-- Where each lifter stands among the lifters of their own cluster, per lift and metric:
-- the number line of the study (cluster range, quartiles, the lifter's marker).
-- The cluster is the lifter's cluster for that lift when lifts are clustered separately,
-- else the lifter's cluster of the pooled all-lifts clustering (lift = 'all').

with

sets as (
    select
        lifter_id,
        lift,
        mean_velocity_m_s,
        peak_velocity_m_s_mean,
        peak_velocity_location_pct_mean,
        rom_mm_mean,
        velocity_loss_pct,
        rep_count_usable,
        rpe,
        case when not is_load_outlier then load_kg end as load_kg,
        case when not is_load_outlier then implied_1rm_kg end as implied_1rm_kg
    from {{ ref('fct_sets') }}
    where lift is not null
),

per_lifter as (
    select
        lifter_id,
        lift,
        count(*) as n_sets,
        avg(mean_velocity_m_s) as mean_velocity_m_s,
        max(load_kg) as best_load_kg,
        max(implied_1rm_kg) as implied_1rm_kg,
        avg(rom_mm_mean) as rom_mm,
        avg(peak_velocity_m_s_mean) as peak_velocity_m_s,
        avg(peak_velocity_location_pct_mean) as peak_velocity_location_pct,
        avg(velocity_loss_pct) as velocity_loss_pct,
        avg(rep_count_usable) as reps_per_set,
        avg(rpe) as rpe
    from sets
    group by lifter_id, lift
),

metrics as (
    select
        per_lifter.lifter_id,
        per_lifter.lift,
        per_lifter.n_sets,
        m.metric,
        -- to 1e-9: DuckDB averages doubles in parallel in an order that varies between
        -- runs, and a last-bit difference would reorder tied lifters (percentiles moved
        -- between two builds of the same input)
        round(m.lifter_value, 9) as lifter_value
    from per_lifter
    cross join
        lateral (
            values
            ('mean_velocity_m_s', per_lifter.mean_velocity_m_s),
            ('best_load_kg', per_lifter.best_load_kg),
            ('implied_1rm_kg', per_lifter.implied_1rm_kg),
            ('rom_mm', per_lifter.rom_mm),
            ('peak_velocity_m_s', per_lifter.peak_velocity_m_s),
            ('peak_velocity_location_pct', per_lifter.peak_velocity_location_pct),
            ('velocity_loss_pct', per_lifter.velocity_loss_pct),
            ('reps_per_set', per_lifter.reps_per_set),
            ('rpe', per_lifter.rpe)
        ) as m (metric, lifter_value)
    where isfinite(m.lifter_value)
),

metric_info as (
    select
        info.metric,
        info.metric_label,
        info.unit,
        info.higher_is_better,
        info.metric_order
    from (
        values
        ('mean_velocity_m_s', 'Mean velocity', 'm/s', true, 1),
        ('best_load_kg', 'Best load', 'kg', true, 2),
        ('implied_1rm_kg', 'Implied 1RM', 'kg', true, 3),
        ('peak_velocity_m_s', 'Peak velocity', 'm/s', true, 4),
        ('velocity_loss_pct', 'Velocity loss', '%', false, 5),
        ('rom_mm', 'Range of motion', 'mm', null, 6),
        ('peak_velocity_location_pct', 'Peak velocity location', '% of ROM', null, 7),
        ('reps_per_set', 'Usable reps per set', 'reps', null, 8),
        ('rpe', 'RPE', 'RPE', null, 9)
    ) as info (metric, metric_label, unit, higher_is_better, metric_order)
),

with_cluster as (
    select
        metrics.*,
        clusters.cluster_id,
        clusters.cluster_lift
    from metrics
    left join {{ ref('int_lifter_clusters_resolved') }} as clusters
    on
        metrics.lifter_id = clusters.lifter_id
        and metrics.lift = clusters.lift
),

ranked as (
    select
        *,
        count(*) over (
            partition by lift, metric
        ) as n_lifters_lift,
        100.0 * percent_rank() over (
            partition by lift, metric order by lifter_value
        ) as percentile_in_lift,
        count(*) over (
            partition by lift, metric, cluster_id
        ) as cluster_size,
        100.0 * percent_rank() over (
            partition by lift, metric, cluster_id order by lifter_value
        ) as percentile_in_cluster,
        min(lifter_value) over (partition by lift, metric, cluster_id) as cluster_min,
        quantile_cont(lifter_value, 0.05) over (
            partition by lift, metric, cluster_id
        ) as cluster_p5,
        quantile_cont(lifter_value, 0.25) over (
            partition by lift, metric, cluster_id
        ) as cluster_p25,
        quantile_cont(lifter_value, 0.5) over (
            partition by lift, metric, cluster_id
        ) as cluster_median,
        quantile_cont(lifter_value, 0.75) over (
            partition by lift, metric, cluster_id
        ) as cluster_p75,
        quantile_cont(lifter_value, 0.95) over (
            partition by lift, metric, cluster_id
        ) as cluster_p95,
        max(lifter_value) over (partition by lift, metric, cluster_id) as cluster_max,
        min(lifter_value) over (partition by lift, metric) as lift_min,
        max(lifter_value) over (partition by lift, metric) as lift_max
    from with_cluster
)

select
    ranked.lifter_id || '|' || ranked.lift || '|' || ranked.metric as comparison_id,
    ranked.lifter_id,
    ranked.lift,
    ranked.metric,
    metric_info.metric_label,
    metric_info.unit,
    metric_info.higher_is_better,
    metric_info.metric_order,
    ranked.n_sets,
    ranked.lifter_value,
    ranked.cluster_lift,
    ranked.cluster_id,
    case when ranked.cluster_id is not null then ranked.cluster_size end as cluster_size,
    case when ranked.cluster_id is not null then ranked.cluster_min end as cluster_min,
    case when ranked.cluster_id is not null then ranked.cluster_p5 end as cluster_p5,
    case when ranked.cluster_id is not null then ranked.cluster_p25 end as cluster_p25,
    case when ranked.cluster_id is not null then ranked.cluster_median end as cluster_median,
    case when ranked.cluster_id is not null then ranked.cluster_p75 end as cluster_p75,
    case when ranked.cluster_id is not null then ranked.cluster_p95 end as cluster_p95,
    case when ranked.cluster_id is not null then ranked.cluster_max end as cluster_max,
    case
        when ranked.cluster_id is not null then ranked.percentile_in_cluster
    end as percentile_in_cluster,
    ranked.n_lifters_lift,
    ranked.percentile_in_lift,
    ranked.lift_min,
    ranked.lift_max
from ranked
inner join metric_info on ranked.metric = metric_info.metric
