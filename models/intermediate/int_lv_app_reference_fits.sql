{#
    The OpenBarbell app's e1RM algorithm (squatsandsciencelabs/OpenBarbellApp,
    app/math/OneRMCalculator.js with SetUtils.js, CollapsedMetrics.js and the `regression`
    package's linear fit at precision 4), one row per lifter x lift x window end x window
    length. Steps, as the app runs them on the window's pool of sets of the lift:
      1. pool: sets with a usable rep and a non-zero weight;
      2. ROM check: a set fails when a valid unremoved rep has ROM <= 0 (or none), or lies
         beyond the mean +/- var lv_app_rom_sd_limit (population) SDs of every positive
         ROM of the pool;
      3. velocity check: a set fails when one of its reps is unusable;
      4. one set per workout x weight (lb): the highest RPE-table 1RM when a set of the
         group has an RPE of 6.5-10, else the earliest set;
      5. 1.25 lb buckets ((int(lb / 1.25) + 1) x 1.25), the most recent set of each;
      6. x = weight in kg (lb loads rounded to whole kg, as SetUtils.weightInKGs), y = the
         set's fastest usable mean velocity; least squares with the gradient and then the
         intercept rounded to 4 decimals (Math.round); r2 from the rounded predictions;
         e1RM = (MVT - intercept) / gradient, rounded to a whole kg.
    MVT is the lift's population MVT (seed lifts); in the app a slider sets it.
    Deviations: sets are pooled by liftlab's resolved lift, not by the exact typed name;
    removed reps are not seen (the app's velocity check also looks at them); ties between
    sets of equal time are broken by set_id. e1rm_kg is null where the app would show no
    usable number (no set left, a single load: gradient 0, a non-negative gradient, an
    e1RM <= 0), with null_reason.
#}

with

points as (

    select * from {{ ref('int_lv_set_points') }}

),

lifts as (

    select
        lift,
        minimum_velocity_threshold_m_s
    from {{ ref('lifts') }}

),

rpe_table as (

    select * from {{ ref('app_rpe_percent_1rm') }}

),

window_sets as (
    {{ lv_window_sets('points') }}
),

windows as (

    select distinct
        window_id,
        lifter_id,
        lift,
        window_days,
        window_end_date
    from window_sets

),

pool as (

    select * from window_sets
    where app_usable_rep_count > 0 and weight_value != 0

),

rom_bounds as (

    select
        window_id,
        sum(app_rom_sum_mm) / nullif(sum(app_rom_count), 0) as rom_mean_mm,
        sqrt(greatest(
            sum(app_rom_sum_sq_mm2) / nullif(sum(app_rom_count), 0)
            - pow(sum(app_rom_sum_mm) / nullif(sum(app_rom_count), 0), 2),
            0
        )) as rom_sd_mm
    from pool
    group by window_id

),

checked as (

    select
        pool.*,
        not pool.app_has_non_positive_rom
        and (
            pool.app_rom_count = 0
            or (
                pool.app_rom_min_mm
                >= rom_bounds.rom_mean_mm - {{ var('lv_app_rom_sd_limit') }} * rom_bounds.rom_sd_mm
                and pool.app_rom_max_mm
                <= rom_bounds.rom_mean_mm + {{ var('lv_app_rom_sd_limit') }} * rom_bounds.rom_sd_mm
            )
        ) as passes_rom_check,
        pool.rep_count_usable = pool.rep_count_total as passes_velocity_check,
        case
            when pool.weight_unit = 'lb' then pool.weight_value
            else {{ js_round('pool.weight_value * 2.20462262', 0) }}
        end as weight_lb,
        case
            when pool.weight_unit = 'kg' then pool.weight_value
            else {{ js_round('pool.weight_value * 0.45359237', 0) }}
        end as weight_kg,
        replace(pool.rpe_raw, ',', '.') in ('6.5', '7', '7.5', '8', '8.5', '9', '9.5', '10')
            as can_calc_rpe_1rm,
        try_cast(replace(pool.rpe_raw, ',', '.') as double) as rpe_number
    from pool
    inner join rom_bounds
    on pool.window_id = rom_bounds.window_id

),

passed as (

    -- CollapsedMetrics.getRPE1RM(set, useLBs = true): the RPE itself outside 1-10 valid
    -- reps or below RPE 6.5, else lb / the table's share of 1RM, rounded
    select
        checked.*,
        case
            when checked.rpe_number is null or checked.weight_lb is null then null
            when checked.app_valid_rep_count < 1 or checked.app_valid_rep_count > 10
                then checked.rpe_number
            when checked.rpe_number < 6.5 then checked.rpe_number
            else {{ js_round('checked.weight_lb / rpe_table.percent_1rm', 0) }}
        end as rpe_1rm
    from checked
    left join rpe_table
    on
        checked.rpe_number = rpe_table.rpe
        and checked.app_valid_rep_count = rpe_table.reps
    where checked.passes_rom_check and checked.passes_velocity_check

),

group_picks as (

    -- one set per workout x weight: when a set of the group can take the RPE table, the
    -- highest RPE 1RM (then the latest), else the earliest; ties by set_id. An aggregate
    -- over narrow sort keys, joined back: the pick of a row_number() window without
    -- sorting the wide rows of every partition
    select
        window_id,
        case
            when bool_or(can_calc_rpe_1rm)
                then arg_min(
                        set_id,
                        struct_pack(
                            rpe_1rm_rank := -coalesce(rpe_1rm, 0),
                            time_rank := -epoch_us(started_at),
                            set_id := set_id
                        )
                    )
            else arg_min(
                    set_id,
                    struct_pack(time_rank := epoch_us(started_at), set_id := set_id)
                )
        end as set_id
    from passed
    group by window_id, workout_id, weight_lb

),

cherry_picked as (

    select passed.*
    from passed
    semi join group_picks
    on
        passed.window_id = group_picks.window_id
        and passed.set_id = group_picks.set_id

),

bucket_picks as (

    -- 1.25 lb buckets, the most recent set of each (ties by set_id)
    select
        window_id,
        arg_min(
            set_id,
            struct_pack(time_rank := -epoch_us(started_at), set_id := set_id)
        ) as set_id
    from cherry_picked
    group by window_id, (floor(weight_lb / 1.25) + 1) * 1.25

),

thinned as (

    select
        cherry_picked.*,
        (floor(cherry_picked.weight_lb / 1.25) + 1) * 1.25 as weight_bucket_lb
    from cherry_picked
    semi join bucket_picks
    on
        cherry_picked.window_id = bucket_picks.window_id
        and cherry_picked.set_id = bucket_picks.set_id

),

sums as (

    select
        window_id,
        count(*) as n_sets,
        count(distinct weight_kg) as n_distinct_loads,
        min(weight_kg) as min_load_kg,
        max(weight_kg) as max_load_kg,
        sum(weight_kg) as sum_x,
        sum(app_fastest_usable_velocity_m_s) as sum_y,
        sum(weight_kg * weight_kg) as sum_xx,
        sum(weight_kg * app_fastest_usable_velocity_m_s) as sum_xy,
        count(*) * sum(weight_kg * weight_kg) - sum(weight_kg) * sum(weight_kg) as run_term
    from thinned
    group by window_id

),

gradients as (

    select
        *,
        case
            when run_term = 0 then 0.0
            else {{ js_round('(n_sets * sum_xy - sum_x * sum_y) / run_term', 4) }}
        end as gradient
    from sums

),

equations as (

    select
        *,
        {{ js_round('sum_y / n_sets - gradient * sum_x / n_sets', 4) }} as intercept
    from gradients

),

fit_quality as (

    select
        equations.window_id,
        sum(
            pow(
                thinned.app_fastest_usable_velocity_m_s
                - {{ js_round('equations.gradient * thinned.weight_kg + equations.intercept', 4) }},
                2
            )
        ) as sse,
        sum(pow(thinned.app_fastest_usable_velocity_m_s - equations.sum_y / equations.n_sets, 2))
            as ssyy
    from equations
    inner join thinned
    on equations.window_id = thinned.window_id
    group by equations.window_id

),

final as (

    select
        windows.lifter_id,
        windows.lift,
        windows.window_days,
        windows.window_end_date,
        lifts.minimum_velocity_threshold_m_s as mvt_m_s,
        coalesce(equations.n_sets, 0) as n_sets,
        coalesce(equations.n_distinct_loads, 0) as n_distinct_loads,
        equations.min_load_kg,
        equations.max_load_kg,
        equations.gradient as slope_m_s_per_kg,
        equations.intercept as intercept_m_s,
        case
            when equations.gradient < 0 then -equations.intercept / equations.gradient
        end as load_at_zero_velocity_kg,
        {{ js_round('1 - fit_quality.sse / nullif(fit_quality.ssyy, 0)', 4) }} as r_squared,
        case
            when equations.gradient < 0
                then round(
                        (lifts.minimum_velocity_threshold_m_s - equations.intercept)
                        / equations.gradient,
                        0
                    )
        end as e1rm_raw_kg
    from windows
    inner join lifts
    on windows.lift = lifts.lift
    left join equations
    on windows.window_id = equations.window_id
    left join fit_quality
    on windows.window_id = fit_quality.window_id

)

select
    *,
    case when e1rm_raw_kg > 0 then e1rm_raw_kg end as e1rm_kg,
    case
        when n_sets = 0 then 'no_set_passes_filters'
        when n_distinct_loads < 2 then 'single_load'
        when slope_m_s_per_kg >= 0 then 'non_negative_slope'
        when e1rm_raw_kg <= 0 then 'non_positive_e1rm'
    end as null_reason
from final
