{#
    One row per landed set document, parsed once: typed set fields, the personal ids
    replaced by salted hashes, and `quarantine_reason` for a document that cannot be used.
#}

with

source as (

    select * from {{ source('openbarbell', 'set_documents') }}

),

parsed as (

    select
        *,
        case
            when landing_error is null and json_valid(raw_text) then raw_text::json
        end as document_json
    from source

),

typed as (

    select
        *,
        json_type(document_json) as document_json_type,
        json_type(document_json, '$.setID') as set_id_json_type,
        json_type(document_json, '$.userID') as user_id_json_type,
        json_type(document_json, '$.reps') as reps_json_type,
        json_type(document_json, '$.weight') as weight_json_type,
        json_type(document_json, '$.rpe') as rpe_json_type,
        json_type(document_json, '$.tags') as tags_json_type,
        json_type(document_json, '$.exercise') as exercise_json_type,
        nullif(trim(document_json ->> '$.setID'), '') as set_id_text,
        nullif(trim(document_json ->> '$.userID'), '') as user_id_text
    from parsed

),

renamed as (

    select
        source_file || ':' || ordinal as document_id,
        load_sequence,
        source_file,
        source_file_name,
        ordinal as source_ordinal,
        source_line,
        source_shape,
        document_key,
        case
            when landing_error is not null then split_part(landing_error, ':', 1)
            when document_json is null then 'malformed_json'
            when document_json_type != 'OBJECT' then 'document_not_an_object'
            when set_id_json_type is null or set_id_json_type = 'NULL' then 'missing_set_id'
            when set_id_json_type != 'VARCHAR' then 'set_id_wrong_type'
            when set_id_text is null then 'missing_set_id'
            when user_id_json_type in ('OBJECT', 'ARRAY', 'BOOLEAN') then 'user_id_wrong_type'
            when reps_json_type not in ('ARRAY', 'NULL') then 'reps_not_an_array'
        end as quarantine_reason,
        landing_error as quarantine_detail,
        set_id_text as set_id,
        {{ pseudonymize("coalesce(user_id_text, 'file:' || source_file_name)") }} as lifter_id,
        user_id_text is not null as has_user_id,
        nullif(trim(document_json ->> '$.workoutID'), '') as workout_id,
        try_cast(document_json ->> '$.setNumber' as integer) as set_number,
        case
            when exercise_json_type in ('VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE')
                then document_json ->> '$.exercise'
            when exercise_json_type in ('OBJECT', 'ARRAY', 'BOOLEAN')
                then json_extract(document_json, '$.exercise')::varchar
        end as exercise_raw,
        weight_json_type,
        case
            when weight_json_type in ('VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE')
                then document_json ->> '$.weight'
            when weight_json_type in ('OBJECT', 'ARRAY', 'BOOLEAN')
                then json_extract(document_json, '$.weight')::varchar
        end as weight_raw,
        document_json ->> '$.metric' as weight_unit_raw,
        rpe_json_type,
        case
            when rpe_json_type in ('VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE')
                then document_json ->> '$.rpe'
            when rpe_json_type in ('OBJECT', 'ARRAY', 'BOOLEAN')
                then json_extract(document_json, '$.rpe')::varchar
        end as rpe_raw,
        case
            when tags_json_type = 'ARRAY'
                then from_json(json_extract(document_json, '$.tags'), '["VARCHAR"]')
            else []::varchar[]
        end as tags,
        coalesce(
            try_cast(document_json ->> '$.initialStartTime' as timestamptz),
            try_cast(document_json ->> '$.startTime' as timestamptz)
        ) at time zone 'UTC' as started_at,
        try_cast(document_json ->> '$.endTime' as timestamptz) at time zone 'UTC' as ended_at,
        coalesce(try_cast(document_json ->> '$.deleted' as boolean), false)
        or coalesce(try_cast(document_json ->> '$.removed' as boolean), false) as is_deleted,
        document_json ->> '$.videoFileURL' is not null as has_video,
        case when reps_json_type = 'ARRAY' then json_extract(document_json, '$.reps') end
            as reps_json,
        coalesce(
            case when reps_json_type = 'ARRAY' then json_array_length(document_json, '$.reps') end,
            0
        ) as rep_count_in_document
    from typed

),

final as (

    select * from renamed

)

select * from final
