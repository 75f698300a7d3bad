{#
    One row per set of the app's CSV export, assembled from its accepted lines, with the
    columns a set document has in stg_openbarbell__set_documents: the set fields from the
    set's first line, the workout's start time as the set's start (the CSV has no set
    times), no user id (one file is one lifter), and the number of lines as its reps.
#}

with

csv_rows as (

    select * from {{ ref('stg_openbarbell__csv_rows') }}
    where quarantine_reason is null

),

final as (

    select
        set_document_id as document_id,
        any_value(load_sequence) as load_sequence,
        any_value(source_file) as source_file,
        any_value(source_file_name) as source_file_name,
        min(source_ordinal) as source_ordinal,
        min(source_line) as source_line,
        any_value(source_shape) as source_shape,
        null::varchar as document_key,
        null::varchar as quarantine_reason,
        null::varchar as quarantine_detail,
        set_id,
        any_value(lifter_id) as lifter_id,
        false as has_user_id,
        any_value(workout_id) as workout_id,
        true as is_workout_id_derived,
        arg_min(set_number, source_ordinal) as set_number,
        arg_min(exercise_raw, source_ordinal) as exercise_raw,
        arg_min(weight_json_type, source_ordinal) as weight_json_type,
        arg_min(weight_raw, source_ordinal) as weight_raw,
        arg_min(weight_unit_raw, source_ordinal) as weight_unit_raw,
        arg_min(rpe_json_type, source_ordinal) as rpe_json_type,
        arg_min(rpe_raw, source_ordinal) as rpe_raw,
        arg_min(tags, source_ordinal) as tags,
        arg_min(workout_started_at, source_ordinal) as started_at,
        null::timestamp as ended_at,
        false as is_deleted,
        false as has_video,
        count(*)::integer as rep_count_in_document
    from csv_rows
    group by set_document_id, set_id

)

select * from final
