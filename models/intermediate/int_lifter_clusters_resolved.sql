{#
    One row per lifter and lift they trained: the lifter's cluster for that lift when
    lifts are clustered separately, else their cluster of the pooled all-lifts clustering
    (lift 'all'); when the lifter was clustered per workout, the most frequent cluster.
    The one place the lifter-to-cluster rule lives (lifter_peer_comparison, the cluster
    MVT of fct_load_velocity_profiles).
#}

with

lifter_lifts as (

    select distinct
        lifter_id,
        lift
    from {{ ref('fct_sets') }}
    where lift is not null

),

cluster_votes as (

    select
        lifter_id,
        lift as cluster_lift,
        cluster_id,
        count(*) as n_rows
    from {{ ref('lifter_clusters') }}
    where cluster_id is not null
    group by lifter_id, lift, cluster_id

),

lifter_cluster as (

    select
        lifter_id,
        cluster_lift,
        arg_max(cluster_id, n_rows * 1000000 - cluster_id) as cluster_id
    from cluster_votes
    group by lifter_id, cluster_lift

),

final as (

    select
        lifter_lifts.lifter_id,
        lifter_lifts.lift,
        coalesce(by_lift.cluster_id, pooled.cluster_id) as cluster_id,
        case
            when by_lift.cluster_id is not null then lifter_lifts.lift
            when pooled.cluster_id is not null then 'all'
        end as cluster_lift
    from lifter_lifts
    left join lifter_cluster as by_lift
    on
        lifter_lifts.lifter_id = by_lift.lifter_id
        and lifter_lifts.lift = by_lift.cluster_lift
    left join lifter_cluster as pooled
    on
        lifter_lifts.lifter_id = pooled.lifter_id
        and pooled.cluster_lift = 'all'

)

select * from final
