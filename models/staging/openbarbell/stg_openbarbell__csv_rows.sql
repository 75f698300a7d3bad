{#
    One row per landed line of the app's CSV export (one rep each): the fields split and
    typed, the workout start time parsed from the phone's locale form, the quarantine
    reason of a line that cannot be used, and the derived ids. The CSV has no ids: one file
    is one lifter, a workout is the file and its start time, a set is a run of lines of one
    workout, exercise and set number whose rep numbers rise. Every rule is per file, and the
    model is incremental by landed file (macros/incremental_files.sql).
#}

{%- set tag_shift = "case when source_shape = 'app_csv_tags' then 1 else 0 end" %}
{%- set forced_date_order = var('app_csv_date_order') %}

with

source as (

    select * from {{ source('openbarbell', 'set_documents') }}
    where source_shape in {{ app_csv_shapes() }}
        and {{ is_file_not_staged_yet() }}

),

split_lines as (

    select
        *,
        {{ app_csv_fields('raw_text') }} as csv_fields,
        {{ tag_shift }} as tag_shift,
        13 + {{ tag_shift }} as expected_field_count
    from source

),

fielded as (

    -- the fields of each column by position (the later header adds Tags after Set RPE)
    select
        *,
        {{ app_csv_fields_cover('csv_fields', 'raw_text') }} as is_well_quoted,
        len(csv_fields) as field_count,
        csv_fields[1] as exercise_field,
        csv_fields[2] as set_field,
        csv_fields[3] as rep_field,
        csv_fields[4] as weight_field,
        csv_fields[5] as metric_field,
        csv_fields[6] as rpe_field,
        case when tag_shift = 1 then csv_fields[7] end as tags_field,
        csv_fields[7 + tag_shift] as workout_start_field,
        csv_fields[8 + tag_shift] as rest_field,
        csv_fields[9 + tag_shift] as mean_velocity_field,
        csv_fields[10 + tag_shift] as rom_field,
        csv_fields[11 + tag_shift] as peak_velocity_field,
        csv_fields[12 + tag_shift] as peak_location_field,
        csv_fields[13 + tag_shift] as duration_field
    from split_lines

),

typed as (

    select
        *,
        {{ app_csv_text('exercise_field') }} as exercise_raw,
        try_cast({{ app_csv_text('set_field') }} as integer) as set_number,
        try_cast({{ app_csv_text('rep_field') }} as integer) as rep_number,
        {{ app_csv_value_type('weight_field') }} as weight_json_type,
        {{ app_csv_text('weight_field') }} as weight_raw,
        {{ app_csv_text('metric_field') }} as weight_unit_raw,
        {{ app_csv_value_type('rpe_field') }} as rpe_json_type,
        {{ app_csv_text('rpe_field') }} as rpe_raw,
        coalesce(
            list_filter(
                list_transform(
                    string_split({{ app_csv_text('tags_field') }}, ','), lambda t: trim(t)
                ),
                lambda t: t != ''
            ),
            []::varchar[]
        ) as tags,
        {{ app_csv_text('workout_start_field') }} as workout_start_time_raw,
        {{ app_csv_text('rest_field') }} as rest_time_raw,
        {{ app_csv_number('mean_velocity_field') }} as mean_velocity_m_s,
        {{ app_csv_number('rom_field') }} as rom_mm,
        {{ app_csv_number('peak_velocity_field') }} as peak_velocity_m_s,
        {{ app_csv_number('peak_location_field') }} as peak_velocity_location_pct,
        -- the app prints 0 for a device that does not time the rep (V1)
        nullif({{ app_csv_number('duration_field') }}, 0) as duration_s,
        list_filter(
            [
                case
                    when {{ app_csv_is_bad_number('mean_velocity_field') }}
                        then 'Avg Velocity (m/s)'
                end,
                case
                    when {{ app_csv_is_bad_number('rom_field') }}
                        then 'Range of Motion (mm)'
                end,
                case
                    when {{ app_csv_is_bad_number('peak_velocity_field') }}
                        then 'Peak Velocity (m/s)'
                end,
                case
                    when {{ app_csv_is_bad_number('peak_location_field') }}
                        then 'Peak Velocity Location (%)'
                end,
                case
                    when {{ app_csv_is_bad_number('duration_field') }}
                        then 'Duration of rep (sec)'
                end
            ],
            lambda c: c is not null
        ) as bad_number_columns
    from fielded

),

time_parts as (

    select
        *,
        {{ app_csv_locale_time_parts('workout_start_time_raw') }} as parts,
        regexp_extract(workout_start_time_raw, '^\s*\d{1,4}\s*([./-])', 1) as date_separator,
        coalesce(
            try_cast(workout_start_time_raw as timestamptz) at time zone 'UTC',
            try_cast(workout_start_time_raw as timestamp)
        ) as iso_started_at
    from typed

),

date_numbers as (

    select
        *,
        try_cast(nullif(parts['first'], '') as integer) as date_first,
        try_cast(nullif(parts['second'], '') as integer) as date_second,
        try_cast(nullif(parts['third'], '') as integer) as date_third,
        len(parts['first']) = 4 as is_year_first,
        coalesce(nullif(parts['marker_before'], ''), nullif(parts['marker_after'], ''))
            as day_half_marker,
        try_cast(nullif(parts['hour'], '') as integer) as time_hour,
        nullif(parts['minute'], '') as time_minute,
        coalesce(nullif(parts['second_of_minute'], ''), '00') as time_second
    from time_parts

),

file_date_order as (

    -- which of the first two date numbers is the day, decided per file from the values: a
    -- first number above 12 means day-month, a second above 12 month-day; when no value
    -- settles it, the locale form does (en-US writes month first, with upper-case AM/PM; a
    -- `.` or `-` separator, a 24-hour clock or a lower-case am/pm as en-AU / en-IN write
    -- it is day first), unless var app_csv_date_order says; both numbers above 12 in one
    -- file is a conflict. ISO and year-first dates need no order.
    select
        *,
        bool_or(not is_year_first and date_first > 12)
            over (partition by source_file) as file_has_first_above_12,
        bool_or(not is_year_first and date_second > 12)
            over (partition by source_file) as file_has_second_above_12,
        bool_or(not is_year_first and day_half_marker in ('AM', 'PM', 'A.M.', 'P.M.'))
            over (partition by source_file) as file_has_upper_case_am_pm,
        bool_or(not is_year_first and date_separator in ('.', '-'))
            over (partition by source_file) as file_has_dotted_dates
    from date_numbers

),

ordered as (

    select
        *,
        {%- if forced_date_order %}
            'var' as date_order_decided_by,
            '{{ forced_date_order }}' as date_order
        {%- else %}
            case
                when iso_started_at is not null or is_year_first then 'not_needed'
                when file_has_first_above_12 or file_has_second_above_12 then 'values'
                else 'locale_form'
            end as date_order_decided_by,
            case
                when file_has_first_above_12 and file_has_second_above_12 then 'conflicting'
                when file_has_first_above_12 then 'dmy'
                when file_has_second_above_12 then 'mdy'
                when file_has_dotted_dates then 'dmy'
                when file_has_upper_case_am_pm then 'mdy'
                else 'dmy'
            end as date_order
        {%- endif %}
    from file_date_order

),

dated as (

    select
        *,
        case
            when iso_started_at is not null then iso_started_at
            when date_first is null or date_order = 'conflicting' then null
            else try_cast(
                    printf(
                        '%04d-%02d-%02d %02d:%s:%s',
                        case
                            when is_year_first then date_first
                            when date_third < 100 then 2000 + date_third
                            else date_third
                        end,
                        case
                            when is_year_first then date_second
                            when date_order = 'dmy' then date_second
                            else date_first
                        end,
                        case
                            when is_year_first then date_third
                            when date_order = 'dmy' then date_first
                            else date_second
                        end,
                        case
                            when day_half_marker is null then time_hour
                            when
                                day_half_marker in ('下午', '오후')
                                or lower(day_half_marker[1]) = 'p'
                                then time_hour % 12 + 12
                            else time_hour % 12
                        end,
                        time_minute,
                        time_second
                    ) as timestamp
                )
        end as workout_started_at,
        case
            when regexp_full_match(rest_time_raw, '\d+:\d{2}:\d{2}(\.\d+)?')
                then split_part(rest_time_raw, ':', 1)::integer * 3600
                    + split_part(rest_time_raw, ':', 2)::integer * 60
                    + split_part(rest_time_raw, ':', 3)::double
            -- the earlier app wrote the rest in milliseconds
            when regexp_full_match(rest_time_raw, '\d+') then rest_time_raw::double / 1000
        end as rest_before_set_s
    from ordered

),

checked as (

    select
        *,
        case
            when landing_error is not null then split_part(landing_error, ':', 1)
            when not is_well_quoted then 'csv_malformed_quoting'
            when field_count != expected_field_count then 'csv_wrong_column_count'
            when set_number is null or set_number < 1 or rep_number is null or rep_number < 1
                then 'csv_bad_set_or_rep_number'
            when len(bad_number_columns) > 0 then 'csv_bad_number'
            when coalesce(trim(workout_start_time_raw), '') = '' then 'csv_missing_start_time'
            when date_order = 'conflicting' and iso_started_at is null and not is_year_first
                then 'csv_conflicting_date_order'
            when workout_started_at is null then 'csv_unparseable_start_time'
        end as quarantine_reason,
        case
            when landing_error is not null then landing_error
            when not is_well_quoted then 'a quote inside an unquoted field, or an unclosed quote'
            when field_count != expected_field_count
                then 'expected ' || expected_field_count || ' fields, found ' || field_count
            when set_number is null or set_number < 1 or rep_number is null or rep_number < 1
                then 'Set ' || coalesce(set_field, '(none)') || ', Rep '
                    || coalesce(rep_field, '(none)')
            when len(bad_number_columns) > 0
                then 'not a number: ' || array_to_string(bad_number_columns, ', ')
            when coalesce(trim(workout_start_time_raw), '') = '' then 'Workout Start Time is empty'
            when workout_started_at is null or date_order = 'conflicting'
                then 'Workout Start Time ' || workout_start_time_raw
        end as quarantine_detail
    from dated

),

set_starts as (

    -- a set is a run of accepted lines with one workout start, exercise and set number
    -- whose rep numbers rise; quarantined lines neither start nor break a set
    select
        *,
        quarantine_reason is null as is_accepted,
        coalesce(
            lag(workout_start_time_raw) over lines is distinct from workout_start_time_raw
            or lag(exercise_field) over lines is distinct from exercise_field
            or lag(set_number) over lines is distinct from set_number
            or rep_number <= lag(rep_number) over lines,
            true
        ) as is_set_start
    from checked
    window lines as (partition by source_file, quarantine_reason is null order by ordinal)

),

numbered as (

    select
        *,
        sum(is_set_start::integer) over (
            partition by source_file, is_accepted, workout_start_time_raw
            order by ordinal
            rows between unbounded preceding and current row
        ) as set_ordinal_in_workout
    from set_starts

),

renamed as (

    select
        {{ document_id() }} as csv_row_id,
        load_sequence,
        source_file,
        source_file_name,
        ordinal as source_ordinal,
        source_line,
        source_shape,
        case source_shape when 'app_csv_tags' then 'with_tags' else 'without_tags' end
            as csv_header_version,
        quarantine_reason,
        quarantine_detail,
        {{ pseudonymize(file_lifter_key('source_file_name')) }} as lifter_id,
        case
            when is_accepted
                then 'csv:' || {{ pseudonymize(
                    file_lifter_key('source_file_name') ~ " || '|' || workout_start_time_raw"
                ) }}
        end as workout_id,
        set_ordinal_in_workout,
        exercise_raw,
        set_number,
        rep_number,
        weight_json_type,
        weight_raw,
        weight_unit_raw,
        rpe_json_type,
        rpe_raw,
        tags,
        workout_start_time_raw,
        workout_started_at,
        date_order,
        date_order_decided_by,
        rest_time_raw,
        rest_before_set_s,
        mean_velocity_m_s,
        rom_mm,
        peak_velocity_m_s,
        peak_velocity_location_pct,
        duration_s
    from numbered

),

final as (

    select
        *,
        case when quarantine_reason is null then workout_id || '/' || set_ordinal_in_workout end
            as set_id,
        case
            when quarantine_reason is null
                then first_value(csv_row_id) over (
                        partition by source_file, workout_id, set_ordinal_in_workout
                        order by source_ordinal
                    )
        end as set_document_id,
        case
            when quarantine_reason is null
                then row_number() over (
                        partition by source_file, workout_id, set_ordinal_in_workout
                        order by source_ordinal
                    )::integer
        end as rep_index
    from renamed

)

select * from final
