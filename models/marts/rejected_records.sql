{#
    Every record that could not be accepted, with its reason and lineage: whole files
    (empty, unreadable, an unknown CSV header), set documents (malformed JSON, missing set
    id, ...), lines of the app's CSV export (wrong column count, a bad number, an
    unparseable start time, ...) and reps (unknown version flag, misplaced settings flag). Personal data in the raw text is
    masked and long texts are cut.
#}

with

file_errors as (

    select * from {{ source('openbarbell', 'landing_file_errors') }}

),

raw_documents as (

    select
        {{ document_id() }} as document_id,
        raw_text
    from {{ source('openbarbell', 'set_documents') }}

),

documents as (

    select * from {{ ref('int_set_documents_triaged') }}

),

reps as (

    select * from {{ ref('int_reps_decoded') }}
    where rep_disposition = 'quarantined'

),

csv_rows as (

    select * from {{ ref('stg_openbarbell__csv_rows') }}
    where quarantine_reason is not null

),

file_level as (

    select
        'file' as level,
        reason,
        detail as reason_detail,
        source_file,
        source_file_name,
        null::integer as ordinal,
        source_line,
        null::integer as rep_index,
        null::varchar as set_id,
        null::varchar as raw_text
    from file_errors

),

document_level as (

    select
        'document' as level,
        documents.quarantine_reason as reason,
        documents.quarantine_detail as reason_detail,
        documents.source_file,
        documents.source_file_name,
        documents.source_ordinal as ordinal,
        documents.source_line,
        null::integer as rep_index,
        documents.set_id,
        {{ redact_personal_data('raw_documents.raw_text') }} as raw_text
    from documents
    inner join raw_documents
    on documents.document_id = raw_documents.document_id
    where documents.document_disposition = 'quarantined'

),

csv_row_level as (

    select
        'csv_row' as level,
        csv_rows.quarantine_reason as reason,
        csv_rows.quarantine_detail as reason_detail,
        csv_rows.source_file,
        csv_rows.source_file_name,
        csv_rows.source_ordinal as ordinal,
        csv_rows.source_line,
        null::integer as rep_index,
        null::varchar as set_id,
        {{ redact_personal_data('raw_documents.raw_text') }} as raw_text
    from csv_rows
    inner join raw_documents
    on csv_rows.csv_row_id = raw_documents.document_id

),

rep_level as (

    select
        'rep' as level,
        reps.quarantine_reason as reason,
        null::varchar as reason_detail,
        documents.source_file,
        documents.source_file_name,
        documents.source_ordinal as ordinal,
        documents.source_line,
        reps.rep_index,
        reps.set_id,
        {{ redact_personal_data(
            "json_extract(raw_documents.raw_text, '$.reps[' || (reps.rep_index - 1) || ']')"
            ~ "::varchar"
        ) }} as raw_text
    from reps
    inner join documents
    on reps.document_id = documents.document_id
    inner join raw_documents
    on reps.document_id = raw_documents.document_id

),

unioned as (

    select * from file_level
    union all
    select * from document_level
    union all
    select * from csv_row_level
    union all
    select * from rep_level

),

final as (

    select
        level
        || ':' || source_file
        || ':' || coalesce(ordinal::varchar, source_line::varchar, '-')
        || ':' || coalesce(rep_index::varchar, '-')
        || ':' || reason as rejected_record_id,
        *
    from unioned

)

select * from final
