-- Key figures of the warehouse, one row: the overview page's headline numbers.

with

sets as (
    select
        count(*) as set_count,
        count(distinct lifter_id) as lifter_count,
        count(distinct workout_id) as workout_count,
        count(distinct lift) as lift_count,
        count(*) filter (where lift is null) as unresolved_set_count,
        sum(rep_count_total) as rep_count,
        sum(rep_count_usable) as usable_rep_count,
        min(started_at) as first_set_at,
        max(started_at) as last_set_at,
        avg(mean_velocity_m_s) as mean_velocity_m_s
    from {{ ref('fct_sets') }}
),

documents as (
    select
        records_read as documents_read,
        records_quarantined as documents_quarantined
    from {{ ref('fct_record_counts') }}
    where level = 'document'
),

clusters as (
    select count(distinct lift || '|' || cluster_id) as cluster_count
    from {{ ref('lifter_clusters') }}
    where cluster_id is not null
)

select
    sets.set_count,
    sets.rep_count,
    sets.usable_rep_count,
    sets.lifter_count,
    sets.workout_count,
    sets.lift_count,
    sets.unresolved_set_count,
    sets.first_set_at,
    sets.last_set_at,
    sets.mean_velocity_m_s,
    documents.documents_read,
    documents.documents_quarantined,
    clusters.cluster_count,
    strftime(sets.first_set_at, '%Y-%m-%d') as first_set_day,
    strftime(sets.last_set_at, '%Y-%m-%d') as last_set_day,
    current_timestamp::timestamp as built_at,
    strftime(current_timestamp::timestamp, '%Y-%m-%d %H:%M UTC') as built_at_text
from sets
cross join documents
cross join clusters
