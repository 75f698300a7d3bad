{#
    One row per kept set of a known lift with a time and a valid load: what the two
    load-velocity estimators of fct_load_velocity_profiles read. liftlab's estimator uses
    the plausible-rep aggregates of fct_sets; the OpenBarbell app's algorithm
    (OneRMCalculator.js) its own view of the reps: ROM of the valid, unremoved reps
    (isValid, mean velocity > 0 and finite) and the fastest usable rep (the app's usable
    rule, fct_reps.is_usable).
#}

with

sets as (

    select * from {{ ref('fct_sets') }}
    where
        lift is not null
        and started_at is not null
        and weight_status = 'valid'

),

reps as (

    select
        set_id,
        mean_velocity_m_s,
        rom_mm,
        is_usable,
        coalesce(
            is_app_valid and isfinite(mean_velocity_m_s) and mean_velocity_m_s > 0, false
        ) as is_valid_unremoved
    from {{ ref('fct_reps') }}

),

app_rep_stats as (

    select
        set_id,
        count(*) filter (where is_valid_unremoved) as app_valid_rep_count,
        count(*) filter (where is_usable) as app_usable_rep_count,
        max(mean_velocity_m_s) filter (where is_usable) as app_fastest_usable_velocity_m_s,
        coalesce(
            bool_or(not coalesce(isfinite(rom_mm) and rom_mm > 0, false))
            filter (where is_valid_unremoved),
            false
        ) as app_has_non_positive_rom,
        min(rom_mm) filter (where is_valid_unremoved) as app_rom_min_mm,
        max(rom_mm) filter (where is_valid_unremoved) as app_rom_max_mm,
        count(*) filter (
            where is_valid_unremoved and isfinite(rom_mm) and rom_mm > 0
        ) as app_rom_count,
        sum(rom_mm) filter (
            where is_valid_unremoved and isfinite(rom_mm) and rom_mm > 0
        ) as app_rom_sum_mm,
        sum(rom_mm * rom_mm) filter (
            where is_valid_unremoved and isfinite(rom_mm) and rom_mm > 0
        ) as app_rom_sum_sq_mm2
    from reps
    group by set_id

),

final as (

    select
        sets.set_id,
        sets.lifter_id,
        sets.lift,
        sets.workout_id,
        sets.started_at,
        cast(sets.started_at as date) as training_date,
        sets.load_kg,
        sets.weight_value,
        sets.weight_unit,
        sets.rpe_raw,
        sets.rpe,
        sets.is_load_outlier,
        sets.rep_count_total,
        sets.rep_count_usable,
        sets.rep_count_plausible,
        sets.best_mean_velocity_m_s,
        sets.slowest_mean_velocity_m_s,
        -- a point of liftlab's profile (and of readiness): a plausible rep, a plausible load
        coalesce(
            sets.rep_count_plausible > 0
            and not sets.is_load_outlier
            and sets.load_kg > 0
            and sets.best_mean_velocity_m_s is not null,
            false
        ) as is_profile_point,
        coalesce(app_rep_stats.app_valid_rep_count, 0) as app_valid_rep_count,
        coalesce(app_rep_stats.app_usable_rep_count, 0) as app_usable_rep_count,
        app_rep_stats.app_fastest_usable_velocity_m_s,
        coalesce(app_rep_stats.app_has_non_positive_rom, false) as app_has_non_positive_rom,
        app_rep_stats.app_rom_min_mm,
        app_rep_stats.app_rom_max_mm,
        coalesce(app_rep_stats.app_rom_count, 0) as app_rom_count,
        coalesce(app_rep_stats.app_rom_sum_mm, 0) as app_rom_sum_mm,
        coalesce(app_rep_stats.app_rom_sum_sq_mm2, 0) as app_rom_sum_sq_mm2
    from sets
    left join app_rep_stats
    on sets.set_id = app_rep_stats.set_id

)

select * from final
