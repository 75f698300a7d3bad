{#
    The reconciliation of what was read against where it went, per level. For set
    documents `records_read` counts the landed JSON rows and the sets assembled from the
    app's CSV export; for reps the elements of the `reps` arrays of every document that was
    not quarantined and the accepted CSV lines; for CSV lines (`csv_row`) the landed lines
    of CSV files, each accepted (kept: it is a rep of its set) or quarantined. Each is
    recounted from its own source, so a row lost or duplicated by a join shows up as a
    difference.
#}

with

landed as (

    select
        count(*) filter (where source_shape not in {{ app_csv_shapes() }})
            as record_count,
        count(*) filter (where source_shape in {{ app_csv_shapes() }}) as csv_row_count
    from {{ source('openbarbell', 'set_documents') }}

),

csv_rows as (

    select * from {{ ref('stg_openbarbell__csv_rows') }}

),

csv_sets as (

    select count(*) as record_count from {{ ref('int_csv_sets_assembled') }}

),

documents as (

    select * from {{ ref('int_set_documents_triaged') }}

),

reps_read as (

    select
        coalesce(sum(rep_count_in_document), 0)
        + (
            select count(*) from csv_rows
            where csv_rows.quarantine_reason is null
        ) as record_count
    from {{ ref('stg_openbarbell__set_documents') }}
    where quarantine_reason is null

),

reps as (

    select * from {{ ref('int_reps_decoded') }}

),

document_counts as (

    select
        'document' as level,
        (select landed.record_count from landed)
        + (select csv_sets.record_count from csv_sets) as records_read,
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

csv_row_counts as (

    select
        'csv_row' as level,
        (select landed.csv_row_count from landed) as records_read,
        count(*) filter (where quarantine_reason is null) as records_kept,
        count(*) filter (where quarantine_reason is not null) as records_quarantined,
        0::bigint as records_superseded,
        0::bigint as records_deleted,
        0::bigint as records_removed
    from csv_rows

),

unioned as (

    select * from document_counts
    union all
    select * from rep_counts
    union all
    select * from csv_row_counts

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
