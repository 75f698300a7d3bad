{#
    One row per kept set: typed set fields parsed (load in kg, RPE, typed lift), the rep
    aggregates of its kept reps, and the load-plausibility flag. Everything of fct_sets
    except the resolved `lift`, which needs the classifier.
#}

with

documents as (

    select * from {{ ref('int_set_documents_triaged') }}
    where document_disposition = 'kept'

),

reps as (

    select * from {{ ref('int_reps_decoded') }}
    where rep_disposition = 'kept'

),

exercise_names as (

    select * from {{ ref('int_exercise_names_matched') }}

),

lifts as (

    select * from {{ ref('lifts') }}

),

rep_aggregates as (

    select
        set_id,
        count(*) as rep_count_total,
        count(*) filter (where is_usable) as rep_count_usable,
        count(*) filter (where is_plausible) as rep_count_plausible,
        arg_min(mean_velocity_m_s, rep_index) filter (where is_plausible)
            as first_rep_mean_velocity_m_s,
        arg_max(mean_velocity_m_s, rep_index) filter (where is_plausible)
            as last_rep_mean_velocity_m_s,
        max(mean_velocity_m_s) filter (where is_plausible) as best_mean_velocity_m_s,
        min(mean_velocity_m_s) filter (where is_plausible) as slowest_mean_velocity_m_s,
        avg(mean_velocity_m_s) filter (where is_plausible) as mean_velocity_m_s,
        avg(rom_mm) filter (where is_plausible) as rom_mm_mean,
        stddev_samp(rom_mm) filter (where is_plausible) as rom_mm_sd,
        avg(peak_velocity_m_s) filter (where is_plausible) as peak_velocity_m_s_mean,
        avg(peak_velocity_location_pct) filter (where is_plausible)
            as peak_velocity_location_pct_mean,
        avg(duration_s) filter (where is_plausible) as duration_s_mean,
        avg(peak_acceleration_m_s2) filter (where is_plausible) as peak_acceleration_m_s2_mean,
        min(rep_completed_at) as first_rep_completed_at,
        mode(device_version) as device_version,
        count(distinct device_id) as device_count
    from reps
    group by set_id

),

parsed as (

    select
        documents.*,
        case
            when documents.weight_json_type in ('BIGINT', 'UBIGINT', 'DOUBLE', 'VARCHAR')
                then try_cast(nullif(trim(documents.weight_raw), '') as double)
        end as weight_number,
        case lower(trim(documents.weight_unit_raw))
            when 'kgs' then 'kg'
            when 'kg' then 'kg'
            when 'lbs' then 'lb'
            when 'lb' then 'lb'
        end as weight_unit,
        try_cast(nullif(trim(documents.rpe_raw), '') as double) as rpe_number
    from documents

),

typed as (

    select
        parsed.*,
        case
            when parsed.weight_raw is null or trim(parsed.weight_raw) = '' then 'missing'
            when parsed.weight_number is null then 'unparseable'
            when not isfinite(parsed.weight_number) then 'non_finite'
            when parsed.weight_number < 0 then 'negative'
            when parsed.weight_unit is null then 'unknown_unit'
            else 'valid'
        end as weight_status,
        -- setNumber: an integer that fits; a number beyond (1e309 overflows a double, 3e9
        -- an integer) is out_of_range, never silently null
        case
            when parsed.set_number is not null then 'valid'
            when parsed.set_number_raw is null or trim(parsed.set_number_raw) = '' then 'missing'
            when
                ltrim(lower(trim(parsed.set_number_raw)), '+-') in ('nan', 'inf', 'infinity')
                then 'non_finite'
            when try_cast(trim(parsed.set_number_raw) as double) is not null then 'out_of_range'
            else 'unparseable'
        end as set_number_status,
        case
            when parsed.rpe_raw is null or trim(parsed.rpe_raw) = '' then 'not_entered'
            when parsed.rpe_number is null then 'unparseable'
            when parsed.rpe_number = 0 then 'not_entered'
            when not isfinite(parsed.rpe_number) then 'out_of_range'
            when parsed.rpe_number < 1 or parsed.rpe_number > 10 then 'out_of_range'
            else 'valid'
        end as rpe_status,
        case
            when parsed.exercise_raw is null or trim(parsed.exercise_raw) = '' then 'unlabeled'
            else exercise_names.typed_lift_status
        end as typed_lift_status,
        exercise_names.typed_lift,
        exercise_names.typed_lift_match
    from parsed
    left join exercise_names
    on parsed.exercise_raw = exercise_names.exercise_raw

),

joined as (

    select
        typed.*,
        case
            when typed.weight_status = 'valid'
                then typed.weight_number
                    * case typed.weight_unit when 'kg' then 1.0 else 0.45359237 end
        end as load_kg,
        coalesce(rep_aggregates.rep_count_total, 0) as rep_count_total,
        coalesce(rep_aggregates.rep_count_usable, 0) as rep_count_usable,
        coalesce(rep_aggregates.rep_count_plausible, 0) as rep_count_plausible,
        rep_aggregates.first_rep_mean_velocity_m_s,
        rep_aggregates.last_rep_mean_velocity_m_s,
        rep_aggregates.best_mean_velocity_m_s,
        rep_aggregates.slowest_mean_velocity_m_s,
        rep_aggregates.mean_velocity_m_s,
        rep_aggregates.rom_mm_mean,
        rep_aggregates.rom_mm_sd,
        rep_aggregates.peak_velocity_m_s_mean,
        rep_aggregates.peak_velocity_location_pct_mean,
        rep_aggregates.duration_s_mean,
        rep_aggregates.peak_acceleration_m_s2_mean,
        rep_aggregates.first_rep_completed_at,
        rep_aggregates.device_version,
        coalesce(rep_aggregates.device_count, 0) as device_count,
        lifts.velocity_at_zero_load_m_s,
        lifts.minimum_velocity_threshold_m_s,
        lifts.max_plausible_1rm_kg
    from typed
    left join rep_aggregates
    on typed.set_id = rep_aggregates.set_id
    left join lifts
    on typed.typed_lift = lifts.lift

),

with_load_check as (

    select
        *,
        -- %1RM from the lift's linear load-velocity profile at the set's best rep,
        -- bounded to [40 %, 100 %] so that fast warm-ups do not inflate the estimate;
        -- null without a typed lift, a usable rep or a load
        case
            when best_mean_velocity_m_s is not null and velocity_at_zero_load_m_s is not null
                then load_kg / greatest(
                        0.4,
                        least(
                            1.0,
                            (velocity_at_zero_load_m_s - best_mean_velocity_m_s)
                            / (velocity_at_zero_load_m_s - minimum_velocity_threshold_m_s)
                        )
                    )
        end as implied_1rm_kg
    from joined

),

final as (

    select
        set_id,
        lifter_id,
        coalesce(
            workout_id,
            'derived:' || lifter_id || ':' || coalesce(
                strftime(coalesce(started_at, first_rep_completed_at), '%Y-%m-%d'), 'undated'
            )
        ) as workout_id,
        is_workout_id_derived,
        set_number,
        set_number_status,
        coalesce(started_at, first_rep_completed_at) as started_at,
        exercise_raw,
        typed_lift,
        typed_lift_status,
        typed_lift_match,
        weight_raw,
        weight_unit_raw,
        case when weight_status = 'valid' then weight_number end as weight_value,
        weight_unit,
        weight_status,
        load_kg,
        implied_1rm_kg,
        coalesce(
            load_kg > max_plausible_1rm_kg or implied_1rm_kg > max_plausible_1rm_kg,
            false
        ) as is_load_outlier,
        case when rpe_status = 'valid' then rpe_number end as rpe,
        rpe_raw,
        rpe_status,
        rpe_status in ('out_of_range', 'unparseable') as is_rpe_flagged,
        tags,
        list_contains(tags, 'warmup') as is_warmup,
        device_version,
        device_count,
        rep_count_total,
        rep_count_usable,
        rep_count_plausible,
        first_rep_mean_velocity_m_s,
        last_rep_mean_velocity_m_s,
        best_mean_velocity_m_s,
        slowest_mean_velocity_m_s,
        mean_velocity_m_s,
        case
            when best_mean_velocity_m_s > 0
                then 100.0 * (best_mean_velocity_m_s - slowest_mean_velocity_m_s)
                    / best_mean_velocity_m_s
        end as velocity_loss_pct,
        rom_mm_mean,
        rom_mm_sd,
        peak_velocity_m_s_mean,
        peak_velocity_location_pct_mean,
        duration_s_mean,
        peak_acceleration_m_s2_mean,
        has_user_id,
        source_file,
        source_ordinal,
        source_line,
        revision_count
    from with_load_check

)

select * from final
