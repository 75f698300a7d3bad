{#
    The device array of every rep decoded by version into named, typed columns (the reps of
    the app's CSV export come measured already, to two decimals), with one
    disposition per rep (kept / quarantined / removed / superseded / deleted) and, for kept
    reps, whether the rep is usable as the app decides it. The layout of each version comes
    from the openbarbell_layouts() macro only.
#}

{%- set field_names = openbarbell_field_names() %}

with

reps as (

    -- the file lineage (load_sequence, source_file) is the document's, not repeated per rep
    select
        rep_id,
        document_id,
        set_id,
        lifter_id,
        rep_index,
        rep_json_type,
        rep_duplicate_keys,
        data_json_type,
        is_app_valid,
        is_removed,
        rep_completed_at,
        phone_platform,
        app_version,
        device_id,
        data_values_raw
    from {{ ref('stg_openbarbell__reps') }}

),

documents as (

    select
        document_id,
        document_disposition,
        exercise_raw
    from {{ ref('int_set_documents_triaged') }}

),

exercise_names as (

    select
        exercise_raw,
        typed_lift
    from {{ ref('int_exercise_names_matched') }}

),

lifts as (

    select * from {{ ref('lifts') }}

),

-- the bounds of a rep whose set names no canonical lift: the loosest of any lift
loosest_bounds as (

    select
        max(max_plausible_mean_velocity_m_s) as max_plausible_mean_velocity_m_s,
        max(max_plausible_peak_velocity_m_s) as max_plausible_peak_velocity_m_s,
        min(min_plausible_rom_mm) as min_plausible_rom_mm,
        max(max_plausible_rom_mm) as max_plausible_rom_mm,
        max(max_plausible_duration_s) as max_plausible_duration_s
    from lifts

),

set_bounds as (

    select
        documents.document_id,
        documents.document_disposition,
        coalesce(
            lifts.max_plausible_mean_velocity_m_s,
            loosest_bounds.max_plausible_mean_velocity_m_s
        ) as max_plausible_mean_velocity_m_s,
        coalesce(
            lifts.max_plausible_peak_velocity_m_s,
            loosest_bounds.max_plausible_peak_velocity_m_s
        ) as max_plausible_peak_velocity_m_s,
        coalesce(lifts.min_plausible_rom_mm, loosest_bounds.min_plausible_rom_mm)
            as min_plausible_rom_mm,
        coalesce(lifts.max_plausible_rom_mm, loosest_bounds.max_plausible_rom_mm)
            as max_plausible_rom_mm,
        coalesce(lifts.max_plausible_duration_s, loosest_bounds.max_plausible_duration_s)
            as max_plausible_duration_s
    from documents
    cross join loosest_bounds
    left join exercise_names
    on documents.exercise_raw = exercise_names.exercise_raw
    left join lifts
    on exercise_names.typed_lift = lifts.lift

),

as_numbers as (

    select
        *,
        list_transform(data_values_raw, lambda x: try_cast(trim(x) as double)) as data_values
    from reps

),

versioned as (

    select
        *,
        {{ openbarbell_version('data_values[1]') }} as device_version
    from as_numbers

),

located as (

    select
        *,
        {{ openbarbell_position('device_version', 'settings_flag_index', 1) }}
            as settings_flag_position,
        {{ openbarbell_position('device_version', 'settings_flag_index', 4) }}
            as bulk_start_flag_position
    from versioned

),

checked as (

    select
        *,
        case
            when coalesce(rep_json_type, '') != 'OBJECT' then 'rep_not_an_object'
            when len(rep_duplicate_keys) > 0 then 'duplicate_key'
            when data_values_raw is null then 'data_not_an_array'
            when len(data_values_raw) = 0 then 'empty_data_array'
            when device_version is null then 'unknown_version_flag'
            when len(data_values) < settings_flag_position then 'truncated_data_array'
            when coalesce(data_values[settings_flag_position] != -9999, true)
                then 'settings_flag_misplaced'
        end as quarantine_reason
    from located

),

decoded as (

    select
        *,
        {%- for field in field_names %}
            {{ openbarbell_field('data_values', 'device_version', field) }} as {{ field }}_value,
        {%- endfor %}
        case
            when data_values[bulk_start_flag_position] = -9876
                then list_position(
                        list_slice(data_values, bulk_start_flag_position + 1, len(data_values)),
                        -6789
                    )
        end as bulk_end_offset
    from checked

),

with_bulk as (

    select
        *,
        case
            when data_values[bulk_start_flag_position] = -9876
                then list_transform(
                        list_slice(
                            data_values,
                            bulk_start_flag_position + 1,
                            coalesce(
                                bulk_start_flag_position + bulk_end_offset - 1,
                                len(data_values)
                            )
                        ),
                        lambda x: try_cast(floor(x) as integer)
                    )
        end as bulk_tick_intervals_us,
        case
            when bulk_end_offset is not null
                then data_values[bulk_start_flag_position + bulk_end_offset + 1]
        end as battery_pct
    from decoded

),

csv_rows as (

    select * from {{ ref('stg_openbarbell__csv_rows') }}
    where quarantine_reason is null

),

csv_decoded as (

    -- the reps of the app's CSV export: measured already (to two decimals), no device
    -- array; the app exports only valid, unremoved reps
    select
        set_id || '#' || rep_index as rep_id,
        set_document_id as document_id,
        set_id,
        lifter_id,
        rep_index,
        null::varchar as quarantine_reason,
        rep_number::double as rep_number_value,
        mean_velocity_m_s as mean_velocity_m_s_value,
        rom_mm as rom_mm_value,
        peak_velocity_m_s as peak_velocity_m_s_value,
        peak_velocity_location_pct as peak_velocity_location_pct_value,
        duration_s * 1e6 as duration_us_value,
        true as is_app_valid,
        false as is_removed,
        'csv_two_decimals' as measurement_precision
    from csv_rows

),

decoded_reps as (

    select
        *,
        'device_array' as measurement_precision
    from with_bulk
    union all by name
    select * from csv_decoded

),

dispositioned as (

    select
        decoded_reps.*,
        set_bounds.max_plausible_mean_velocity_m_s,
        set_bounds.max_plausible_peak_velocity_m_s,
        set_bounds.min_plausible_rom_mm,
        set_bounds.max_plausible_rom_mm,
        set_bounds.max_plausible_duration_s,
        case
            when set_bounds.document_disposition in ('superseded', 'deleted')
                then set_bounds.document_disposition
            when decoded_reps.quarantine_reason is not null then 'quarantined'
            when decoded_reps.is_removed then 'removed'
            else 'kept'
        end as rep_disposition
    from decoded_reps
    inner join set_bounds
    on decoded_reps.document_id = set_bounds.document_id

),

usability as (

    select
        rep_id,
        document_id,
        set_id,
        lifter_id,
        rep_index,
        rep_disposition,
        quarantine_reason,
        device_version,
        try_cast(rep_number_value as integer) as rep_number,
        mean_velocity_m_s_value as mean_velocity_m_s,
        rom_mm_value as rom_mm,
        peak_velocity_m_s_value as peak_velocity_m_s,
        peak_velocity_location_pct_value as peak_velocity_location_pct,
        peak_acceleration_m_s2_value as peak_acceleration_m_s2,
        duration_us_value / 1e6 as duration_s,
        rest_before_rep_min_value as rest_before_rep_min,
        device_timestamp_us_value as device_timestamp_us,
        within_rep_wait_us_value as within_rep_wait_us,
        slowest_allowed_tick_us_value as slowest_allowed_tick_us,
        backlight_time_s_value as backlight_time_s,
        minimum_rep_length_um_value as minimum_rep_length_um,
        data_compression_flag_value = 1 as is_data_compression_on,
        filtering_flag_value = 1 as is_filtering_on,
        firmware_version_value as firmware_version,
        try_cast(device_unit_number_value as integer) as device_unit_number,
        led_colour_code_value as led_colour_code,
        brightness_pct_value as brightness_pct,
        low_power_brightness_pct_value as low_power_brightness_pct,
        ticks_precision_value as ticks_precision,
        tick_difference_precision_value as tick_difference_precision,
        bulk_tick_intervals_us,
        len(bulk_tick_intervals_us) as bulk_tick_count,
        battery_pct,
        rep_completed_at,
        is_app_valid,
        is_removed,
        phone_platform,
        app_version,
        device_id,
        max_plausible_mean_velocity_m_s,
        max_plausible_peak_velocity_m_s,
        min_plausible_rom_mm,
        max_plausible_rom_mm,
        max_plausible_duration_s,
        measurement_precision,
        -- the app's usable-rep rule, written once: a kept rep is usable when it has no
        -- unusable_reason (is_usable below)
        case
            when rep_disposition != 'kept' then null
            when is_app_valid is not true then 'app_marked_invalid'
            when mean_velocity_m_s_value is null or peak_velocity_m_s_value is null
                then 'missing_velocity'
            when not isfinite(mean_velocity_m_s_value) or not isfinite(peak_velocity_m_s_value)
                then 'non_finite_velocity'
            when mean_velocity_m_s_value < 0
                or mean_velocity_m_s_value >= {{ var('app_usable_velocity_limit_m_s') }}
                or peak_velocity_m_s_value < 0
                or peak_velocity_m_s_value >= {{ var('app_usable_velocity_limit_m_s') }}
                then 'velocity_out_of_range'
        end as unusable_reason
    from dispositioned

),

usable as (

    select
        * exclude (unusable_reason),
        rep_disposition = 'kept' and unusable_reason is null as is_usable,
        unusable_reason
    from usability

),

plausibility as (

    -- A usable rep (the app's rule looks at velocity only) can still carry a measurement
    -- no barbell can produce for its lift (a 9 m/s squat, an Infinity or 9001 mm range of
    -- motion, a location outside 0-100 %, a mean above the peak): such a rep stays usable
    -- but not plausible, and is left out of set aggregates and of the classifier. The
    -- bounds are the typed lift's in the lifts seed (the loosest of any lift when the set
    -- names none).
    select
        *,
        case
            when not is_usable then null
            when
                mean_velocity_m_s > max_plausible_mean_velocity_m_s
                or peak_velocity_m_s > max_plausible_peak_velocity_m_s
                then 'velocity_implausible'
            when mean_velocity_m_s > peak_velocity_m_s then 'mean_above_peak_velocity'
            when
                not coalesce(isfinite(rom_mm), false)
                or rom_mm < min_plausible_rom_mm
                or rom_mm > max_plausible_rom_mm
                then 'rom_implausible'
            when
                not coalesce(isfinite(peak_velocity_location_pct), false)
                or peak_velocity_location_pct < 0
                or peak_velocity_location_pct > 100
                then 'peak_location_implausible'
            when
                duration_s is not null
                and (
                    not isfinite(duration_s)
                    or duration_s <= 0
                    or duration_s > max_plausible_duration_s
                )
                then 'duration_implausible'
            when
                peak_acceleration_m_s2 is not null
                and (
                    not isfinite(peak_acceleration_m_s2)
                    or abs(peak_acceleration_m_s2)
                    > {{ var('max_plausible_peak_acceleration_m_s2') }}
                )
                then 'acceleration_implausible'
        end as implausible_measurement
    from usable

),

final as (

    select
        * exclude (
            max_plausible_mean_velocity_m_s,
            max_plausible_peak_velocity_m_s,
            min_plausible_rom_mm,
            max_plausible_rom_mm,
            max_plausible_duration_s
        ),
        coalesce(is_usable and implausible_measurement is null, false) as is_plausible
    from plausibility

)

select * from final
