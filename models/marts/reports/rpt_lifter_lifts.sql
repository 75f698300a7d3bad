-- The lifter page's selectors: every pseudonymous lifter x lift with a peer comparison.

select
    lifter_id || '|' || lift as lifter_lift_id,
    lifter_id,
    lift,
    any_value(cluster_lift) as cluster_lift,
    any_value(cluster_id) as cluster_id,
    any_value(n_sets) as n_sets
from {{ ref('lifter_peer_comparison') }}
group by lifter_id, lift
