{#
    The reconciliation of what was read against where it went, per level. For set
    documents `documents_read` counts the landed rows; for reps it counts the elements of
    the `reps` arrays of every document that was not quarantined. Each is recounted from its
    own source, so a row lost or duplicated by a join shows up as a difference.
#}

with

landed as (

    select count(*) as record_count from {{ source('openbarbell', 'set_documents') }}

),

documents as (

    select * from {{ ref('int_set_documents_triaged') }}

),

reps_read as (

    select sum(rep_count_in_document) as record_count
    from {{ ref('stg_openbarbell__set_documents') }}
    where quarantine_reason is null

),

reps as (

    select * from {{ ref('int_reps_decoded') }}

),

document_counts as (

    select
        'document' as level,
        (select landed.record_count from landed) as records_read,
        (select count(*) from {{ ref('fct_sets') }}) as records_kept,
        count(*) filter (where document_disposition = 'quarantined') as records_quarantined,
        count(*) filter (where document_disposition = 'superseded') as records_superseded,
        count(*) filter (where document_disposition = 'deleted') as records_deleted,
        0::bigint as records_removed
    from documents

),

rep_counts as (

    select
        'rep' as level,
        coalesce((select reps_read.record_count from reps_read), 0) as records_read,
        (select count(*) from {{ ref('fct_reps') }}) as records_kept,
        count(*) filter (where rep_disposition = 'quarantined') as records_quarantined,
        count(*) filter (where rep_disposition = 'superseded') as records_superseded,
        count(*) filter (where rep_disposition = 'deleted') as records_deleted,
        count(*) filter (where rep_disposition = 'removed') as records_removed
    from reps

),

unioned as (

    select * from document_counts
    union all
    select * from rep_counts

),

final as (

    select
        level,
        records_read::bigint as records_read,
        records_kept::bigint as records_kept,
        records_quarantined::bigint as records_quarantined,
        records_superseded::bigint as records_superseded,
        records_deleted::bigint as records_deleted,
        records_removed::bigint as records_removed,
        (
            records_kept + records_quarantined + records_superseded
            + records_deleted + records_removed
        )::bigint as records_accounted
    from unioned

)

select * from final
