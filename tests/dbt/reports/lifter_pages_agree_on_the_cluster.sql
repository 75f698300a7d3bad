-- The lifter page shows one cluster: the profile (rpt_lifter_cluster_profile) and the
-- peers (lifter_peer_comparison) of a lifter and clustering name the same cluster (both
-- read int_lifter_primary_cluster). Returns the lifters where they differ.

with

profile as (
    select distinct
        lifter_id,
        cluster_lift,
        cluster_id
    from {{ ref('rpt_lifter_cluster_profile') }}
),

peers as (
    select distinct
        lifter_id,
        cluster_lift,
        cluster_id
    from {{ ref('lifter_peer_comparison') }}
    where cluster_id is not null
)

select
    profile.lifter_id,
    profile.cluster_lift,
    profile.cluster_id as profile_cluster_id,
    peers.cluster_id as peers_cluster_id
from profile
inner join peers
on
    profile.lifter_id = peers.lifter_id
    and profile.cluster_lift = peers.cluster_lift
where profile.cluster_id is distinct from peers.cluster_id
