{#
    One row per export file that holds kept reps: how many of its usable reps are not
    plausible for their lift, by reason, and whether that share stays within the
    warehouse's threshold (var max_implausible_rep_share). A few glitched reps are device
    noise (kept, flagged, left out of aggregates); a file above the threshold means the
    decoding, or the file, is wrong, and the quality checkpoint fails on it. "Above" is
    beyond chance: the Wilson score lower bound of the share (one-sided, z = var
    implausible_share_confidence_z) is above the threshold, so that a small daily file
    with the few glitches a device makes (6 of 81 usable reps in the last 5 % of the real
    2017-2018 export) does not fail the build, while a wrong decoding, which flags most
    reps, does at any size.
#}

{%- set z = var('implausible_share_confidence_z') ~ '::double' %}

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

shares as (

    select
        *,
        coalesce(rep_count_implausible / nullif(rep_count_usable, 0), 0.0)
            as implausible_rep_share
    from per_file

),

bounds as (

    select
        *,
        -- Wilson score interval's lower end (0 without usable reps)
        case
            when rep_count_usable = 0 then 0.0
            else greatest(
                    (
                        implausible_rep_share
                        + {{ z }} * {{ z }} / (2 * rep_count_usable)
                        - {{ z }} * sqrt(
                            implausible_rep_share * (1 - implausible_rep_share)
                            / rep_count_usable
                            + {{ z }} * {{ z }} / (4 * rep_count_usable * rep_count_usable)
                        )
                    ) / (1 + {{ z }} * {{ z }} / rep_count_usable),
                    0.0
                )
        end as implausible_rep_share_lower_bound
    from shares

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
        implausible_rep_share,
        implausible_rep_share_lower_bound,
        {{ var('max_implausible_rep_share') }}::double as max_implausible_rep_share,
        implausible_rep_share_lower_bound
        <= {{ var('max_implausible_rep_share') }}::double as is_within_threshold
    from bounds

)

select * from final
