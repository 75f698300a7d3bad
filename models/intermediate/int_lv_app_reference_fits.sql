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

pool_sets as (

    -- step 1, and the weights and RPE of each set of the pool
    select
        *,
        case
            when weight_unit = 'lb' then weight_value
            else {{ js_round('weight_value * 2.20462262', 0) }}
        end as weight_lb,
        case
            when weight_unit = 'kg' then weight_value
            else {{ js_round('weight_value * 0.45359237', 0) }}
        end as weight_kg,
        replace(rpe_raw, ',', '.') in ('6.5', '7', '7.5', '8', '8.5', '9', '9.5', '10')
            as can_calc_rpe_1rm,
        try_cast(replace(rpe_raw, ',', '.') as double) as rpe_number
    from points
    where app_usable_rep_count > 0 and weight_value != 0

),

set_facts as (

    -- everything of a set that does not depend on its window, computed once per set
    -- before the window join copies each set into every window that holds it; set_rank
    -- and workout_rank stand for set_id and workout_id (same order) so that the copies
    -- are narrow numbers
    select
        pool_sets.lifter_id,
        pool_sets.lift,
        pool_sets.training_date,
        row_number() over (order by pool_sets.set_id) as set_rank,
        dense_rank() over (order by pool_sets.workout_id) as workout_rank,
        epoch_us(pool_sets.started_at) as started_at_us,
        pool_sets.app_fastest_usable_velocity_m_s,
        pool_sets.app_has_non_positive_rom,
        pool_sets.app_rom_count,
        pool_sets.app_rom_sum_mm,
        pool_sets.app_rom_sum_sq_mm2,
        pool_sets.app_rom_min_mm,
        pool_sets.app_rom_max_mm,
        pool_sets.rep_count_usable = pool_sets.rep_count_total as passes_velocity_check,
        pool_sets.weight_lb,
        pool_sets.weight_kg,
        pool_sets.can_calc_rpe_1rm,
        -- CollapsedMetrics.getRPE1RM(set, useLBs = true): the RPE itself outside 1-10
        -- valid reps or below RPE 6.5, else lb / the table's share of 1RM, rounded
        case
            when pool_sets.rpe_number is null or pool_sets.weight_lb is null then null
            when pool_sets.app_valid_rep_count < 1 or pool_sets.app_valid_rep_count > 10
                then pool_sets.rpe_number
            when pool_sets.rpe_number < 6.5 then pool_sets.rpe_number
            else {{ js_round('pool_sets.weight_lb / rpe_table.percent_1rm', 0) }}
        end as rpe_1rm
    from pool_sets
    left join rpe_table
    on
        pool_sets.rpe_number = rpe_table.rpe
        and pool_sets.app_valid_rep_count = rpe_table.reps

),

windows as (
    {{ lv_windows('points') }}
),

pool as (
    {{ lv_window_members('windows', 'set_facts', [
        'set_rank',
        'workout_rank',
        'started_at_us',
        'app_fastest_usable_velocity_m_s',
        'app_has_non_positive_rom',
        'app_rom_count',
        'app_rom_sum_mm',
        'app_rom_sum_sq_mm2',
        'app_rom_min_mm',
        'app_rom_max_mm',
        'passes_velocity_check',
        'weight_lb',
        'weight_kg',
        'can_calc_rpe_1rm',
        'rpe_1rm',
    ]) }}
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

passed as (

    -- steps 2 and 3: the ROM check against the window's bounds, the velocity check
    select pool.*
    from pool
    inner join rom_bounds
    on pool.window_id = rom_bounds.window_id
    where
        pool.passes_velocity_check
        and not pool.app_has_non_positive_rom
        and (
            pool.app_rom_count = 0
            or (
                pool.app_rom_min_mm
                >= rom_bounds.rom_mean_mm - {{ var('lv_app_rom_sd_limit') }} * rom_bounds.rom_sd_mm
                and pool.app_rom_max_mm
                <= rom_bounds.rom_mean_mm + {{ var('lv_app_rom_sd_limit') }} * rom_bounds.rom_sd_mm
            )
        )

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
                        set_rank,
                        struct_pack(
                            rpe_1rm_rank := -coalesce(rpe_1rm, 0),
                            time_rank := -started_at_us,
                            set_rank := set_rank
                        )
                    )
            else arg_min(
                    set_rank,
                    struct_pack(time_rank := started_at_us, set_rank := set_rank)
                )
        end as set_rank
    from passed
    group by window_id, workout_rank, weight_lb

),

cherry_picked as (

    select passed.*
    from passed
    semi join group_picks
    on
        passed.window_id = group_picks.window_id
        and passed.set_rank = group_picks.set_rank

),

bucket_picks as (

    -- 1.25 lb buckets, the most recent set of each (ties by set_id)
    select
        window_id,
        arg_min(
            set_rank,
            struct_pack(time_rank := -started_at_us, set_rank := set_rank)
        ) as set_rank
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
        and cherry_picked.set_rank = bucket_picks.set_rank

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
