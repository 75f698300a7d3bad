-- Nearest better peers: for each lifter and lift, the (up to) three lifters of the same
-- cluster whose best load on the lift is higher, nearest first (the next steps up).

with

wide as (
    select
        lifter_id,
        lift,
        any_value(cluster_lift) as cluster_lift,
        any_value(cluster_id) as cluster_id,
        any_value(n_sets) as n_sets,
        max(case when metric = 'best_load_kg' then lifter_value end) as best_load_kg,
        max(case when metric = 'implied_1rm_kg' then lifter_value end) as implied_1rm_kg,
        max(case when metric = 'mean_velocity_m_s' then lifter_value end) as mean_velocity_m_s,
        max(case when metric = 'velocity_loss_pct' then lifter_value end) as velocity_loss_pct
    from {{ ref('lifter_peer_comparison') }}
    group by lifter_id, lift
),

ranked as (
    -- each lifter's place on the lift's load ladder of their cluster; `at_or_below` counts
    -- the lifters whose best load is at most theirs (ties included), so the next better
    -- peers are at the positions right after it: linear, not a self-join of every pair
    select
        *,
        row_number() over (
            partition by lift, cluster_id
            order by best_load_kg, lifter_id
        ) as ladder_position,
        count(*) over (
            partition by lift, cluster_id
            order by best_load_kg
            range between unbounded preceding and current row
        ) as at_or_below
    from wide
    where
        best_load_kg is not null
        and cluster_id is not null
),

pairs as (
    select
        lifter.lifter_id,
        lifter.lift,
        lifter.cluster_lift,
        lifter.cluster_id,
        lifter.best_load_kg,
        peer.lifter_id as peer_lifter_id,
        peer.n_sets as peer_n_sets,
        peer.best_load_kg as peer_best_load_kg,
        peer.implied_1rm_kg as peer_implied_1rm_kg,
        peer.mean_velocity_m_s as peer_mean_velocity_m_s,
        peer.velocity_loss_pct as peer_velocity_loss_pct,
        peer.best_load_kg - lifter.best_load_kg as load_gap_kg,
        peer.ladder_position - lifter.at_or_below as peer_rank
    from ranked as lifter
    inner join ranked as peer
    on
        lifter.lift = peer.lift
        and lifter.cluster_id = peer.cluster_id
        and peer.ladder_position between lifter.at_or_below + 1 and lifter.at_or_below + 3
)

select
    lifter_id || '|' || lift || '|' || peer_rank as better_peer_id,
    lifter_id,
    lift,
    cluster_lift,
    cluster_id,
    peer_rank,
    best_load_kg,
    peer_lifter_id,
    peer_n_sets,
    peer_best_load_kg,
    load_gap_kg,
    peer_implied_1rm_kg,
    peer_mean_velocity_m_s,
    peer_velocity_loss_pct
from pairs
