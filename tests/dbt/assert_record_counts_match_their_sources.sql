-- fct_record_counts against the tables it summarizes, each recounted from its own layer:
-- documents read = JSON rows landed + CSV sets, kept = fct_sets, quarantined = document
-- rejections; reps read = rows of stg_openbarbell__reps + accepted CSV lines, kept =
-- fct_reps, quarantined = rep rejections; CSV lines read = CSV rows landed, kept = reps
-- that came from a CSV line, quarantined = CSV line rejections.
-- Returns each figure that differs.
with

counts as (

    select * from {{ ref('fct_record_counts') }}

),

recounted as (

    select
        'document' as level,
        (
            select count(*) from {{ source('openbarbell', 'set_documents') }}
            where source_shape not in {{ app_csv_shapes() }}
        )
        + (
            select count(distinct set_id) from {{ ref('stg_openbarbell__csv_rows') }}
            where set_id is not null
        ) as records_read,
        (select count(*) from {{ ref('fct_sets') }}) as records_kept,
        (
            select count(*) from {{ ref('rejected_records') }}
            where level = 'document'
        ) as records_quarantined
    union all
    select
        'rep' as level,
        (select count(*) from {{ ref('stg_openbarbell__reps') }})
        + (
            select count(*) from {{ ref('stg_openbarbell__csv_rows') }}
            where quarantine_reason is null
        ) as records_read,
        (select count(*) from {{ ref('fct_reps') }}) as records_kept,
        (
            select count(*) from {{ ref('rejected_records') }}
            where level = 'rep'
        ) as records_quarantined
    union all
    select
        'csv_row' as level,
        (
            select count(*) from {{ source('openbarbell', 'set_documents') }}
            where source_shape in {{ app_csv_shapes() }}
        ) as records_read,
        (
            select count(*) from {{ ref('int_reps_decoded') }}
            where measurement_precision = 'csv_two_decimals'
        ) as records_kept,
        (
            select count(*) from {{ ref('rejected_records') }}
            where level = 'csv_row'
        ) as records_quarantined

)

select
    counts.level,
    counts.records_read,
    recounted.records_read as recounted_read,
    counts.records_kept,
    recounted.records_kept as recounted_kept,
    counts.records_quarantined,
    recounted.records_quarantined as recounted_quarantined
from counts
full outer join recounted
on counts.level = recounted.level
where
    counts.level is null
    or recounted.level is null
    or counts.records_read != recounted.records_read
    or counts.records_kept != recounted.records_kept
    or counts.records_quarantined != recounted.records_quarantined
