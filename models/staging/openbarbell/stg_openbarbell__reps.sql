{#
    One row per element of the `reps` array of every set document that was not quarantined,
    typed; the device array stays a list of strings here and is decoded in
    int_reps_decoded. The device MAC address is replaced by a salted hash. MongoDB
    extended JSON wrappers are read as their values, as for the set documents. Incremental
    by landed file, as stg_openbarbell__set_documents (macros/incremental_files.sql): each
    rep carries its file's load_sequence and source_file.
#}

{%- set rep_fields = [
    'isValid', 'removed', 'time', 'hardware', 'appVersion', 'deviceIdentifier', 'data',
] %}

with

set_documents as (

    select
        document_id,
        set_id,
        lifter_id,
        load_sequence,
        source_file
    from {{ ref('stg_openbarbell__set_documents') }}
    where quarantine_reason is null
        and rep_count_in_document > 0
        and {{ is_file_not_staged_yet() }}

),

raw_documents as (

    -- the reps are read from the landed text here, so that no staging table keeps the raw
    -- rep JSON (it holds the device MAC address)
    select
        {{ document_id() }} as document_id,
        raw_text
    from {{ source('openbarbell', 'set_documents') }}
    where {{ is_file_not_staged_yet() }}

),

rep_lists as (

    select
        set_documents.document_id,
        set_documents.set_id,
        set_documents.lifter_id,
        set_documents.load_sequence,
        set_documents.source_file,
        from_json(
            {{ mongo_extended_json_as_values('raw_documents.raw_text') }}, '{"reps": ["JSON"]}'
        ).reps as rep_list
    from set_documents
    inner join raw_documents
    on set_documents.document_id = raw_documents.document_id

),

unnested as (

    select
        document_id,
        set_id,
        lifter_id,
        load_sequence,
        source_file,
        unnest(rep_list) as rep,
        generate_subscripts(rep_list, 1) as rep_index
    from rep_lists

),

parsed as (

    -- each rep parsed once into its fields (still JSON: their types vary); a rep that is
    -- not an object has no fields
    select
        *,
        json_type(rep) as rep_json_type,
        {{ duplicate_json_keys('rep') }} as rep_duplicate_keys,
        from_json(rep, {{ json_fields_struct(rep_fields) }}) as rep_fields
    from unnested

),

renamed as (

    select
        set_id || '#' || rep_index as rep_id,
        document_id,
        load_sequence,
        source_file,
        set_id,
        lifter_id,
        rep_index::integer as rep_index,
        rep_json_type,
        rep_duplicate_keys,
        json_type(rep_fields['data']) as data_json_type,
        try_cast(rep_fields['isValid'] ->> '$' as boolean) as is_app_valid,
        coalesce(try_cast(rep_fields['removed'] ->> '$' as boolean), false) as is_removed,
        {{ json_timestamp("rep_fields['time']") }} as rep_completed_at,
        rep_fields['hardware'] ->> '$' as phone_platform,
        rep_fields['appVersion'] ->> '$' as app_version,
        {{ pseudonymize("nullif(trim(rep_fields['deviceIdentifier'] ->> '$'), '')") }}
            as device_id,
        case
            when json_type(rep_fields['data']) = 'ARRAY'
                then from_json(rep_fields['data'], '["VARCHAR"]')
        end as data_values_raw
    from parsed

),

final as (

    select * from renamed

)

select * from final
