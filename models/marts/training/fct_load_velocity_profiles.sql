{#
    Load-velocity profiles and e1RM, one row per lifter x lift x window end (each training
    day of the lift) x window length (var lv_window_days) x method:
      app_reference        the OpenBarbell app's algorithm (int_lv_app_reference_fits),
                           population MVT;
      liftlab              liftlab's robust recency-weighted fit (int_lv_liftlab_fits) at
                           the population MVT (seed lifts);
      liftlab_individual_mvt  the same fit at the lifter's own MVT where there are enough
                           RPE >= var lv_individual_mvt_min_rpe sets up to the window end,
                           else the population MVT;
      liftlab_cluster_mvt  the same fit at the MVT shared by the lifter's cluster (the
                           median individual MVT of its lifters), else the population MVT.
    liftlab's e1RM comes with an 80 % interval (residual SE, the leverage of the
    extrapolation point, Student's t at n - 2), a quality grade and, when the profile
    cannot be trusted, a null e1RM with its reason.
#}

with

lifts as (

    select
        lift,
        minimum_velocity_threshold_m_s,
        max_plausible_1rm_kg
    from {{ ref('lifts') }}

),

t_quantiles as (

    select * from {{ ref('student_t_quantiles') }}

),

app_fits as (

    select * from {{ ref('int_lv_app_reference_fits') }}

),

liftlab_fits as (

    select * from {{ ref('int_lv_liftlab_fits') }}

),

heavy_sets as (

    -- the lifter's own near-maximal sets: the slowest plausible rep of an RPE >= var
    -- lv_individual_mvt_min_rpe set is a velocity at (or within a rep of) failure
    select
        lifter_id,
        lift,
        training_date,
        slowest_mean_velocity_m_s
    from {{ ref('int_lv_set_points') }}
    where
        rpe >= {{ var('lv_individual_mvt_min_rpe') }}
        and slowest_mean_velocity_m_s is not null
        and not is_load_outlier

),

window_ends as (

    select distinct
        lifter_id,
        lift,
        window_end_date
    from liftlab_fits

),

individual_mvt as (

    select
        window_ends.lifter_id,
        window_ends.lift,
        window_ends.window_end_date,
        median(heavy_sets.slowest_mean_velocity_m_s) as mvt_m_s,
        count(*) as n_heavy_sets
    from window_ends
    inner join heavy_sets
    on
        window_ends.lifter_id = heavy_sets.lifter_id
        and window_ends.lift = heavy_sets.lift
        and window_ends.window_end_date >= heavy_sets.training_date
    group by window_ends.lifter_id, window_ends.lift, window_ends.window_end_date
    having count(*) >= {{ var('lv_individual_mvt_min_sets') }}

),

lifter_mvt as (

    -- every lifter's individual MVT over all their sets, for the cluster's share
    select
        lifter_id,
        lift,
        median(slowest_mean_velocity_m_s) as mvt_m_s
    from heavy_sets
    group by lifter_id, lift
    having count(*) >= {{ var('lv_individual_mvt_min_sets') }}

),

clusters as (

    select * from {{ ref('int_lifter_clusters_resolved') }}
    where cluster_id is not null

),

cluster_mvt as (

    select
        clusters.cluster_lift,
        clusters.cluster_id,
        clusters.lift,
        median(lifter_mvt.mvt_m_s) as mvt_m_s
    from clusters
    inner join lifter_mvt
    on
        clusters.lifter_id = lifter_mvt.lifter_id
        and clusters.lift = lifter_mvt.lift
    group by clusters.cluster_lift, clusters.cluster_id, clusters.lift
    having count(*) >= {{ var('lv_cluster_mvt_min_lifters') }}

),

methods as (

    -- noqa: disable=RF04
    select unnest(['liftlab', 'liftlab_individual_mvt', 'liftlab_cluster_mvt']) as method
    -- noqa: enable=RF04

),

liftlab_methods as (

    select
        liftlab_fits.*,
        methods.method,
        case
            when methods.method = 'liftlab_individual_mvt' and individual_mvt.mvt_m_s is not null
                then individual_mvt.mvt_m_s
            when methods.method = 'liftlab_cluster_mvt' and cluster_mvt.mvt_m_s is not null
                then cluster_mvt.mvt_m_s
            else lifts.minimum_velocity_threshold_m_s
        end as mvt_m_s,
        case
            when methods.method = 'liftlab_individual_mvt' and individual_mvt.mvt_m_s is not null
                then 'individual'
            when methods.method = 'liftlab_cluster_mvt' and cluster_mvt.mvt_m_s is not null
                then 'cluster'
            else 'population'
        end as mvt_source,
        lifts.max_plausible_1rm_kg,
        t_quantiles.t_quantile_0_90
    from liftlab_fits
    cross join methods
    inner join lifts
    on liftlab_fits.lift = lifts.lift
    left join individual_mvt
    on
        liftlab_fits.lifter_id = individual_mvt.lifter_id
        and liftlab_fits.lift = individual_mvt.lift
        and liftlab_fits.window_end_date = individual_mvt.window_end_date
    left join clusters
    on
        liftlab_fits.lifter_id = clusters.lifter_id
        and liftlab_fits.lift = clusters.lift
    left join cluster_mvt
    on
        clusters.cluster_lift = cluster_mvt.cluster_lift
        and clusters.cluster_id = cluster_mvt.cluster_id
        and clusters.lift = cluster_mvt.lift
    left join t_quantiles
    on least(liftlab_fits.n_points - 2, 120) = t_quantiles.degrees_of_freedom

),

liftlab_estimates as (

    select
        *,
        case
            when slope_m_s_per_kg < 0 then (mvt_m_s - intercept_m_s) / slope_m_s_per_kg
        end as e1rm_raw_kg
    from liftlab_methods

),

liftlab_intervals as (

    select
        *,
        100.0 * (max_load_kg - min_load_kg) / nullif(e1rm_raw_kg, 0) as load_span_pct,
        -- standard error of the load where the fitted line meets the MVT (delta method):
        -- the line's SE at that load and the MVT's own uncertainty (var lv_mvt_cv of it),
        -- over |slope|
        sqrt(
            -- a day's sets share the day's form (readiness), so the points of one session
            -- are not independent: the line's variance grows by points per session
            pow(residual_se_m_s, 2) * n_points / greatest(n_sessions, 1) * greatest(
                var_mean_factor
                + 2 * (e1rm_raw_kg - weighted_mean_load_kg) * var_cross_factor
                + pow(e1rm_raw_kg - weighted_mean_load_kg, 2) * var_slope_factor,
                0
            )
            + pow({{ var('lv_mvt_cv') }} * mvt_m_s, 2)
        ) / abs(slope_m_s_per_kg) as e1rm_se_kg
    from liftlab_estimates

),

liftlab_rows as (

    select
        lifter_id,
        lift,
        window_days,
        window_end_date,
        method,
        mvt_m_s,
        mvt_source,
        n_sets,
        n_distinct_loads,
        load_span_pct,
        slope_m_s_per_kg,
        intercept_m_s,
        case
            when slope_m_s_per_kg < 0 then -intercept_m_s / slope_m_s_per_kg
        end as load_at_zero_velocity_kg,
        r_squared,
        e1rm_raw_kg,
        e1rm_se_kg,
        t_quantile_0_90,
        case
            when n_distinct_loads < {{ var('lv_min_distinct_loads') }}
                then 'fewer_than_min_distinct_loads'
            when slope_m_s_per_kg is null or slope_m_s_per_kg >= 0 then 'non_negative_slope'
            when e1rm_raw_kg <= 0 or e1rm_raw_kg > max_plausible_1rm_kg then 'e1rm_implausible'
            when load_span_pct < {{ var('lv_min_load_span_pct') }} then 'load_span_below_min'
        end as null_reason
    from liftlab_intervals

),

liftlab_final as (

    select
        * exclude (e1rm_raw_kg, e1rm_se_kg, t_quantile_0_90),
        case when null_reason is null then e1rm_raw_kg end as e1rm_kg,
        case
            when null_reason is null then e1rm_raw_kg - t_quantile_0_90 * e1rm_se_kg
        end as e1rm_lower_kg,
        case
            when null_reason is null then e1rm_raw_kg + t_quantile_0_90 * e1rm_se_kg
        end as e1rm_upper_kg,
        case
            when null_reason is not null then 'untrusted'
            when
                n_distinct_loads >= {{ var('lv_good_min_distinct_loads') }}
                and load_span_pct >= {{ var('lv_good_min_load_span_pct') }}
                and r_squared >= {{ var('lv_good_min_r_squared') }}
                then 'good'
            when r_squared >= {{ var('lv_fair_min_r_squared') }} then 'fair'
            else 'poor'
        end as profile_quality
    from liftlab_rows

),

app_final as (

    select
        lifter_id,
        lift,
        window_days,
        window_end_date,
        'app_reference' as method,  -- noqa: RF04
        mvt_m_s,
        'population' as mvt_source,
        n_sets,
        n_distinct_loads,
        100.0 * (max_load_kg - min_load_kg) / nullif(e1rm_kg, 0) as load_span_pct,
        slope_m_s_per_kg,
        intercept_m_s,
        load_at_zero_velocity_kg,
        r_squared,
        null_reason,
        e1rm_kg,
        null::double as e1rm_lower_kg,
        null::double as e1rm_upper_kg,
        case when null_reason is null then 'app' else 'untrusted' end as profile_quality
    from app_fits

),

unioned as (

    select * from liftlab_final
    union all by name
    select * from app_final

),

final as (

    select
        lifter_id,
        lift,
        window_days,
        window_end_date,
        method,
        mvt_m_s,
        mvt_source,
        n_sets,
        n_distinct_loads,
        load_span_pct,
        slope_m_s_per_kg,
        intercept_m_s,
        load_at_zero_velocity_kg,
        r_squared,
        e1rm_kg,
        e1rm_lower_kg,
        e1rm_upper_kg,
        profile_quality,
        null_reason
    from unioned

)

select * from final
