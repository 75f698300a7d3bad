{#
    One row per landed JSON set document, parsed once: typed set fields, the personal ids
    replaced by salted hashes, and `quarantine_reason` for a document that cannot be used.
    MongoDB extended JSON wrappers are read as their values (mongo_extended_json_as_values);
    a document with a repeated top-level key is quarantined (`duplicate_key`). Incremental
    by landed file (macros/incremental_files.sql): an --append stages only the new files.
#}

{%- set set_document_fields = [
    'setID', 'userID', 'workoutID', 'exercise', 'setNumber', 'weight', 'metric', 'rpe',
    'tags', 'initialStartTime', 'startTime', 'endTime', 'deleted', 'removed',
    'videoFileURL', 'reps',
] %}

with

source as (

    -- the app's CSV lines are rows, not documents: stg_openbarbell__csv_rows reads them
    select * from {{ source('openbarbell', 'set_documents') }}
    where source_shape not in {{ app_csv_shapes() }}
        and {{ is_file_not_staged_yet() }}

),

read_as_values as (

    select
        *,
        {{ mongo_extended_json_as_values('raw_text') }} as json_text
    from source

),

validated as (

    select
        *,
        landing_error is null and json_valid(json_text) as is_valid_json
    from read_as_values

),

parsed as (

    -- each document is parsed once, into a struct of its set fields (each still JSON, as
    -- their types vary between app versions); a document that is not an object has none.
    -- Landing strips the text, so an object starts with a brace.
    select
        *,
        case
            when is_valid_json
                then from_json(json_text, {{ json_fields_struct(set_document_fields) }})
        end as document_fields,
        case
            when is_valid_json then {{ duplicate_json_keys('json_text') }}
        end as duplicate_keys
    from validated

),

typed as (

    select
        *,
        case
            when is_valid_json and starts_with(json_text, '{') then 'OBJECT'
            when is_valid_json then 'OTHER'
        end as document_json_type,
        json_type(document_fields['setID']) as set_id_json_type,
        json_type(document_fields['userID']) as user_id_json_type,
        json_type(document_fields['reps']) as reps_json_type,
        json_type(document_fields['weight']) as weight_json_type,
        json_type(document_fields['rpe']) as rpe_json_type,
        json_type(document_fields['tags']) as tags_json_type,
        json_type(document_fields['exercise']) as exercise_json_type,
        json_type(document_fields['setNumber']) as set_number_json_type,
        nullif(trim(document_fields['setID'] ->> '$'), '') as set_id_text,
        nullif(trim(document_fields['userID'] ->> '$'), '') as user_id_text
    from parsed

),

renamed as (

    select
        {{ document_id() }} as document_id,
        load_sequence,
        source_file,
        source_file_name,
        ordinal as source_ordinal,
        source_line,
        source_shape,
        document_key,
        case
            when landing_error is not null then split_part(landing_error, ':', 1)
            when not is_valid_json then 'malformed_json'
            when document_json_type != 'OBJECT' then 'document_not_an_object'
            when len(duplicate_keys) > 0 then 'duplicate_key'
            when set_id_json_type is null or set_id_json_type = 'NULL' then 'missing_set_id'
            when set_id_json_type != 'VARCHAR' then 'set_id_wrong_type'
            when set_id_text is null then 'missing_set_id'
            when user_id_json_type in ('OBJECT', 'ARRAY', 'BOOLEAN') then 'user_id_wrong_type'
            when reps_json_type not in ('ARRAY', 'NULL') then 'reps_not_an_array'
        end as quarantine_reason,
        coalesce(
            landing_error,
            case
                when len(duplicate_keys) > 0
                    then 'repeated key(s): ' || array_to_string(duplicate_keys, ', ')
            end
        ) as quarantine_detail,
        set_id_text as set_id,
        {{ pseudonymize('coalesce(user_id_text, ' ~ file_lifter_key('source_file_name') ~ ')') }}
            as lifter_id,
        user_id_text is not null as has_user_id,
        nullif(trim(document_fields['workoutID'] ->> '$'), '') as workout_id,
        try_cast(document_fields['setNumber'] ->> '$' as integer) as set_number,
        {{ json_value_as_text("document_fields['setNumber']", 'set_number_json_type') }}
            as set_number_raw,
        {{ json_value_as_text("document_fields['exercise']", 'exercise_json_type') }}
            as exercise_raw,
        weight_json_type,
        {{ json_value_as_text("document_fields['weight']", 'weight_json_type') }} as weight_raw,
        document_fields['metric'] ->> '$' as weight_unit_raw,
        rpe_json_type,
        {{ json_value_as_text("document_fields['rpe']", 'rpe_json_type') }} as rpe_raw,
        case
            when tags_json_type = 'ARRAY'
                then from_json(document_fields['tags'], '["VARCHAR"]')
            else []::varchar[]
        end as tags,
        coalesce(
            {{ json_timestamp("document_fields['initialStartTime']") }},
            {{ json_timestamp("document_fields['startTime']") }}
        ) as started_at,
        {{ json_timestamp("document_fields['endTime']") }} as ended_at,
        coalesce(try_cast(document_fields['deleted'] ->> '$' as boolean), false)
        or coalesce(try_cast(document_fields['removed'] ->> '$' as boolean), false) as is_deleted,
        document_fields['videoFileURL'] ->> '$' is not null as has_video,
        coalesce(
            case when reps_json_type = 'ARRAY' then json_array_length(document_fields['reps']) end,
            0
        ) as rep_count_in_document
    from typed

),

final as (

    select * from renamed

)

select * from final
