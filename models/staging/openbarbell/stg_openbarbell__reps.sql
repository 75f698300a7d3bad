{#
    One row per element of the `reps` array of every set document that was not quarantined,
    typed; the device array stays a list of strings here and is decoded in
    int_reps_decoded. The device MAC address is replaced by a salted hash.
#}

with

set_documents as (

    select
        document_id,
        set_id,
        lifter_id,
        reps_json
    from {{ ref('stg_openbarbell__set_documents') }}
    where quarantine_reason is null
        and rep_count_in_document > 0

),

unnested as (

    select
        document_id,
        set_id,
        lifter_id,
        unnest(from_json(reps_json, '["JSON"]')) as rep,
        generate_subscripts(from_json(reps_json, '["JSON"]'), 1) as rep_index
    from set_documents

),

renamed as (

    select
        set_id || '#' || rep_index as rep_id,
        document_id,
        set_id,
        lifter_id,
        rep_index::integer as rep_index,
        json_type(rep) as rep_json_type,
        json_type(rep, '$.data') as data_json_type,
        try_cast(rep ->> '$.isValid' as boolean) as is_app_valid,
        coalesce(try_cast(rep ->> '$.removed' as boolean), false) as is_removed,
        try_cast(rep ->> '$.time' as timestamptz) at time zone 'UTC' as rep_completed_at,
        rep ->> '$.hardware' as phone_platform,
        rep ->> '$.appVersion' as app_version,
        {{ pseudonymize("nullif(trim(rep ->> '$.deviceIdentifier'), '')") }} as device_id,
        case
            when json_type(rep, '$.data') = 'ARRAY'
                then from_json(json_extract(rep, '$.data'), '["VARCHAR"]')
        end as data_values_raw
    from unnested

),

final as (

    select * from renamed

)

select * from final
