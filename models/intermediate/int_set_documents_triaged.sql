{#
    Every landed document gets exactly one disposition:
      quarantined  it cannot be used (reason in quarantine_reason)
      superseded   a later revision of the same set id was landed (later file, or later
                   position in the same file, wins)
      deleted      the winning revision is marked deleted / removed by the user
      kept         the winning, live revision
    The documents are the JSON set documents and the sets assembled from the app's CSV
    export (whose set ids derive from the file name, so the same file landed twice is one
    set revised).
#}

with

json_documents as (

    select
        *,
        workout_id is null as is_workout_id_derived
    from {{ ref('stg_openbarbell__set_documents') }}

),

csv_sets as (

    select * from {{ ref('int_csv_sets_assembled') }}

),

set_documents as (

    select * from json_documents
    union all by name
    select * from csv_sets

),

ranked as (

    select
        *,
        case
            when quarantine_reason is null
                then row_number() over (
                        partition by set_id, quarantine_reason is null
                        order by load_sequence desc, source_ordinal desc
                    )
        end as revision_rank,
        case
            when quarantine_reason is null
                then count(*) over (partition by set_id, quarantine_reason is null)
        end as revision_count
    from set_documents

),

final as (

    select
        *,
        case
            when quarantine_reason is not null then 'quarantined'
            when revision_rank > 1 then 'superseded'
            when is_deleted then 'deleted'
            else 'kept'
        end as document_disposition
    from ranked

)

select * from final
