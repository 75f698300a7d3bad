{#
    The lifter's cluster: one row per lifter and clustering (lifter_clusters.lift, a lift or
    `all`). Clustered per lifter, a lifter has one row there and that is their cluster;
    clustered per workout, a lifter has one row per workout and their cluster is the one
    most of those rows fall in, the lowest cluster id (the larger cluster) on a tie. The one
    place this rule lives: every model that needs "the lifter's cluster" reads it
    (int_lifter_clusters_resolved, rpt_lifter_cluster_profile).
#}

with

cluster_votes as (

    select
        lifter_id,
        lift as cluster_lift,
        cluster_id,
        count(*) as cluster_row_count
    from {{ ref('lifter_clusters') }}
    where cluster_id is not null
    group by lifter_id, lift, cluster_id

),

final as (

    select
        lifter_id,
        cluster_lift,
        first(cluster_id order by cluster_row_count desc, cluster_id asc) as cluster_id,
        max(cluster_row_count) as cluster_row_count,
        sum(cluster_row_count) as clustered_row_count
    from cluster_votes
    group by lifter_id, cluster_lift

)

select * from final
