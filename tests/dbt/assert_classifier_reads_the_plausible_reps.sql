-- The classifier reads the reps int_reps_decoded flags is_plausible (kept, usable by the
-- app's rule, plausible for the lift), and only those: ml_rep_features has exactly those
-- reps, and its set_rep_count is the set's rep_count_plausible of int_sets_aggregated.
-- Returns the reps where either fails.

with

plausible as (
    select
        rep_id,
        set_id
    from {{ ref('int_reps_decoded') }}
    where is_plausible
),

features as (
    select
        rep_id,
        set_id,
        set_rep_count
    from {{ ref('ml_rep_features') }}
),

sets as (
    select
        set_id,
        rep_count_plausible
    from {{ ref('int_sets_aggregated') }}
)

select
    coalesce(plausible.rep_id, features.rep_id) as rep_id,
    plausible.rep_id is not null as is_plausible,
    features.rep_id is not null as in_features,
    features.set_rep_count,
    sets.rep_count_plausible
from plausible
full outer join features on plausible.rep_id = features.rep_id
left join sets on coalesce(plausible.set_id, features.set_id) = sets.set_id
where
    plausible.rep_id is null
    or features.rep_id is null
    or features.set_rep_count is distinct from sets.rep_count_plausible
