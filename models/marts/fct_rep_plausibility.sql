{#
    One row per export file that holds kept reps: how many of its usable reps are not
    plausible for their lift, by reason, and whether that share stays within the
    warehouse's threshold (var max_implausible_rep_share). A few glitched reps are device
    noise (kept, flagged, left out of aggregates); a file above the threshold means the
    decoding, or the file, is wrong, and the quality checkpoint fails on it.
#}

{%- set implausible_reasons = [
    'velocity_implausible',
    'mean_above_peak_velocity',
    'rom_implausible',
    'peak_location_implausible',
    'duration_implausible',
    'acceleration_implausible',
] %}

with

reps as (

    select
        document_id,
        is_usable,
        is_plausible,
        implausible_measurement
    from {{ ref('int_reps_decoded') }}
    where rep_disposition = 'kept'

),

documents as (

    select
        document_id,
        source_file,
        source_file_name
    from {{ ref('int_set_documents_triaged') }}

),

per_file as (

    select
        documents.source_file,
        any_value(documents.source_file_name) as source_file_name,
        count(*) as rep_count_kept,
        count(*) filter (where reps.is_usable) as rep_count_usable,
        count(*) filter (where reps.is_plausible) as rep_count_plausible,
        {% for reason in implausible_reasons -%}
            count(*) filter (where reps.implausible_measurement = '{{ reason }}')
                as rep_count_{{ reason }},
        {% endfor -%}
        count(*) filter (where reps.is_usable and not reps.is_plausible)
            as rep_count_implausible
    from reps
    inner join documents
    on reps.document_id = documents.document_id
    group by documents.source_file

),

final as (

    select
        md5(source_file) as source_file_key,
        source_file_name,
        rep_count_kept,
        rep_count_usable,
        rep_count_plausible,
        rep_count_implausible,
        {% for reason in implausible_reasons -%}
            rep_count_{{ reason }},
        {% endfor -%}
        coalesce(rep_count_implausible / nullif(rep_count_usable, 0), 0.0)
            as implausible_rep_share,
        {{ var('max_implausible_rep_share') }}::double as max_implausible_rep_share,
        coalesce(rep_count_implausible / nullif(rep_count_usable, 0), 0.0)
        <= {{ var('max_implausible_rep_share') }}::double as is_within_threshold
    from per_file

)

select * from final
