{#
    The study's profile table, long form: per lift x cluster, its size and each feature
    column's mean and median over the members (training and assigned), original units.
#}

with

members as (

    select * from {{ ref('int_lifter_clusters_fitted') }}
    where is_in_force and cluster_id is not null

),

sizes as (

    select
        lift,
        cluster_id,
        count(distinct group_key) as n_members,
        count(distinct group_key) filter (where membership = 'training') as n_training
    from members
    group by lift, cluster_id

),

feature_stats as (

    select
        lift,
        cluster_id,
        feature,
        aggregator,
        feature_column,
        unit,
        experiment,
        config_hash,
        avg(value) as mean,
        median(value) as median
    from members
    group by lift, cluster_id, feature, aggregator, feature_column, unit, experiment, config_hash

),

final as (

    select
        feature_stats.lift,
        feature_stats.cluster_id,
        sizes.n_members,
        sizes.n_training,
        feature_stats.feature,
        feature_stats.aggregator,
        feature_stats.feature_column,
        feature_stats.unit,
        feature_stats.mean,
        feature_stats.median,
        feature_stats.experiment,
        feature_stats.config_hash
    from feature_stats
    inner join sizes
    on
        feature_stats.lift = sizes.lift
        and feature_stats.cluster_id = sizes.cluster_id

)

select * from final
