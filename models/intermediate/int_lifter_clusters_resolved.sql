{#
    One row per lifter and lift they trained: the lifter's cluster for that lift when
    lifts are clustered separately, else their cluster of the pooled all-lifts clustering
    (lift 'all'). The lifter's cluster of a clustering is int_lifter_primary_cluster's
    (the rule lives there); read by lifter_peer_comparison and the cluster MVT of
    fct_load_velocity_profiles.
#}

with

lifter_lifts as (

    select distinct
        lifter_id,
        lift
    from {{ ref('fct_sets') }}
    where lift is not null

),

lifter_cluster as (

    select * from {{ ref('int_lifter_primary_cluster') }}

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
