{#
    One row per kept rep (not removed, not quarantined, of a kept set), with the decoded
    device measurements and the set's lift and load. `is_usable` / `unusable_reason` say
    whether the rep passes the app's own usability rule.
#}

with

reps as (

    select * from {{ ref('int_reps_decoded') }}
    where rep_disposition = 'kept'

),

sets as (

    select
        set_id,
        workout_id,
        lift,
        load_kg,
        started_at
    from {{ ref('fct_sets') }}

),

final as (

    select
        reps.rep_id,
        reps.set_id,
        reps.lifter_id,
        sets.workout_id,
        sets.lift,
        sets.load_kg,
        reps.rep_index,
        reps.rep_number,
        reps.device_version,
        reps.measurement_precision,
        reps.mean_velocity_m_s,
        reps.rom_mm,
        reps.peak_velocity_m_s,
        reps.peak_velocity_location_pct,
        reps.peak_acceleration_m_s2,
        reps.duration_s,
        reps.rest_before_rep_min,
        reps.device_timestamp_us,
        reps.within_rep_wait_us,
        reps.slowest_allowed_tick_us,
        reps.minimum_rep_length_um,
        reps.is_data_compression_on,
        reps.is_filtering_on,
        reps.firmware_version,
        reps.device_unit_number,
        reps.ticks_precision,
        reps.tick_difference_precision,
        reps.bulk_tick_intervals_us,
        reps.bulk_tick_count,
        reps.battery_pct,
        reps.rep_completed_at,
        reps.is_app_valid,
        reps.is_usable,
        reps.unusable_reason,
        reps.is_plausible,
        reps.implausible_measurement,
        reps.device_id,
        reps.phone_platform,
        reps.app_version
    from reps
    inner join sets
    on reps.set_id = sets.set_id

)

select * from final
