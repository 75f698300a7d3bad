{#
    liftlab's load-velocity fit, one row per lifter x lift x window end x window length:
    the window's points (one per workout and load rounded to 0.5 kg: the first set there,
    as the app picks, before fatigue; taking the fastest of several sets would lift the
    light, often repeated loads more than the single heavy ones and steepen the line),
    weighted by recency (0.5 ^ (days before the window end / var lv_half_life_days)), fitted
    by weighted least squares twice: the second pass down-weights points by Huber's rule
    (var lv_huber_k) on their residuals studentized by the leverage of the first pass and
    a robust scale (1.4826 x median absolute residual), so one odd set, also a single
    heavy one far out on the load axis, cannot carry the line. Reports the residual
    standard error and the factors of the line's variance at any load (for the e1RM
    interval).
#}

with

points as (

    select * from {{ ref('int_lv_set_points') }}
    where is_profile_point

),

workout_loads as (

    -- per day x workout x load (0.5 kg): the first set's velocity, before the window
    -- join copies each row into every window that holds its day (the sets of a workout
    -- and load are one point in every window, so they are collapsed once, not per window)
    select
        lifter_id,
        lift,
        training_date,
        dense_rank() over (order by workout_id) as workout_rank,
        round(load_kg * 2) / 2 as load_kg,
        min(started_at) as first_started_at,
        arg_min(best_mean_velocity_m_s, started_at) as first_velocity_m_s,
        count(*) as n_sets
    from points
    group by lifter_id, lift, training_date, workout_id, round(load_kg * 2) / 2

),

windows as (
    {{ lv_windows('points') }}
),

window_members as (
    {{ lv_window_members('windows', 'workout_loads', [
        'training_date',
        'workout_rank',
        'load_kg',
        'first_started_at',
        'first_velocity_m_s',
        'n_sets',
    ]) }}
),

window_points as (

    select
        windows.window_id,
        window_members.workout_rank,
        max(window_members.training_date) as training_date,
        window_members.load_kg,
        arg_min(window_members.first_velocity_m_s, window_members.first_started_at)
            as velocity_m_s,
        sum(window_members.n_sets)::bigint as n_sets,
        pow(
            0.5,
            (windows.window_end_date - max(window_members.training_date))
            / {{ var('lv_half_life_days') }}::double
        ) as recency_weight
    from window_members
    inner join windows
    on window_members.window_id = windows.window_id
    group by
        windows.window_id,
        windows.window_end_date,
        window_members.workout_rank,
        window_members.load_kg

),

first_pass as (

    select
        window_id,
        sum(recency_weight) as sum_w,
        sum(recency_weight * load_kg) / sum(recency_weight) as mean_x,
        sum(recency_weight * velocity_m_s) / sum(recency_weight) as mean_y,
        {{ lv_weighted_sxx('recency_weight', 'load_kg') }} as sxx,
        sum(recency_weight * load_kg * velocity_m_s)
        - sum(recency_weight * load_kg) * sum(recency_weight * velocity_m_s)
        / sum(recency_weight) as sxy
    from window_points
    group by window_id

),

first_residuals as (

    select
        window_points.*,
        window_points.velocity_m_s
        - (
            first_pass.mean_y
            + (first_pass.sxy / nullif(first_pass.sxx, 0))
            * (window_points.load_kg - first_pass.mean_x)
        ) as residual_m_s,
        window_points.recency_weight * (
            1.0 / first_pass.sum_w
            + pow(window_points.load_kg - first_pass.mean_x, 2) / nullif(first_pass.sxx, 0)
        ) as leverage
    from window_points
    inner join first_pass
    on window_points.window_id = first_pass.window_id

),

robust_scales as (

    -- an aggregate joined back rather than a median() window: the same scale, without
    -- sorting the points of every window
    select
        window_id,
        1.4826 * median(abs(residual_m_s)) as robust_scale_m_s
    from first_residuals
    group by window_id

),

robust_weights as (

    select
        first_residuals.*,
        robust_scales.robust_scale_m_s
    from first_residuals
    inner join robust_scales
    on first_residuals.window_id = robust_scales.window_id

),

huber as (

    select
        *,
        recency_weight * case
            when residual_m_s is null or robust_scale_m_s is null or robust_scale_m_s = 0
                then 1.0
            else least(
                    1.0,
                    {{ var('lv_huber_k') }} / nullif(
                        abs(residual_m_s)
                        / (robust_scale_m_s * sqrt(greatest(1.0 - leverage, 0.05))),
                        0
                    )
                )
        end as fit_weight
    from robust_weights

),

second_pass as (

    select
        window_id,
        count(*) as n_points,
        count(distinct training_date) as n_sessions,
        sum(n_sets)::bigint as n_sets,
        count(distinct load_kg) as n_distinct_loads,
        min(load_kg) as min_load_kg,
        max(load_kg) as max_load_kg,
        sum(fit_weight) as sum_w,
        sum(fit_weight * load_kg) / sum(fit_weight) as mean_x,
        sum(fit_weight * velocity_m_s) / sum(fit_weight) as mean_y,
        {{ lv_weighted_sxx('fit_weight', 'load_kg') }} as sxx,
        sum(fit_weight * load_kg * velocity_m_s)
        - sum(fit_weight * load_kg) * sum(fit_weight * velocity_m_s)
        / sum(fit_weight) as sxy,
        sum(fit_weight * velocity_m_s * velocity_m_s)
        - pow(sum(fit_weight * velocity_m_s), 2) / sum(fit_weight) as syy,
        sum(fit_weight * fit_weight) as sum_w2,
        sum(fit_weight * fit_weight * load_kg) as sum_w2_x,
        sum(fit_weight * fit_weight * load_kg * load_kg) as sum_w2_x2
    from huber
    group by window_id

),

fits as (

    select
        window_id,
        n_points,
        n_sessions,
        n_sets,
        n_distinct_loads,
        min_load_kg,
        max_load_kg,
        mean_x as weighted_mean_load_kg,
        sxy / nullif(sxx, 0) as slope_m_s_per_kg,
        mean_y - (sxy / nullif(sxx, 0)) * mean_x as intercept_m_s,
        -- residual SE of one point: the weights discount old points, they do not say
        -- they are noisier, so the weighted mean square residual, with n - 2 degrees of
        -- freedom
        case
            when n_points > 2 and sxx > 0
                then sqrt(
                        greatest(syy - sxy * sxy / sxx, 0) / sum_w * n_points / (n_points - 2)
                    )
        end as residual_se_m_s,
        -- the fitted line's variance at load x0 is residual_se^2 x (var_mean_factor
        -- + 2 (x0 - mean) var_cross_factor + (x0 - mean)^2 var_slope_factor): weighted
        -- least squares with equal-variance errors (sandwich form)
        sum_w2 / pow(sum_w, 2) as var_mean_factor,
        (sum_w2_x - mean_x * sum_w2) / (sum_w * nullif(sxx, 0)) as var_cross_factor,
        (sum_w2_x2 - 2 * mean_x * sum_w2_x + mean_x * mean_x * sum_w2) / nullif(sxx * sxx, 0)
            as var_slope_factor,
        case
            when sxx > 0 and syy > 0 then least(1.0, sxy * sxy / (sxx * syy))
        end as r_squared
    from second_pass

),

final as (

    select
        windows.lifter_id,
        windows.lift,
        windows.window_days,
        windows.window_end_date,
        fits.* exclude (fits.window_id)
    from fits
    inner join windows
    on fits.window_id = windows.window_id

)

select * from final
