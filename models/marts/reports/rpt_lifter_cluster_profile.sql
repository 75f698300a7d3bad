-- The lifter's clustering features beside their cluster's mean and median (lifter page).

with

features as (
    select
        lifter_id,
        lift,
        feature_column,
        feature,
        aggregator,
        unit,
        avg(value) as lifter_value
    from {{ ref('lifter_cluster_features') }}
    group by lifter_id, lift, feature_column, feature, aggregator, unit
),

clusters as (
    -- the lifter's cluster, as every report takes it
    select
        lifter_id,
        cluster_lift as lift,
        cluster_id
    from {{ ref('int_lifter_primary_cluster') }}
)

select
    features.lifter_id || '|' || features.lift || '|' || features.feature_column
        as lifter_feature_id,
    features.lifter_id,
    features.lift as cluster_lift,
    clusters.cluster_id,
    features.feature,
    features.aggregator,
    features.feature_column,
    features.unit,
    features.lifter_value,
    profiles.mean as cluster_mean,
    profiles.median as cluster_median,
    profiles.n_members as cluster_size
from features
inner join clusters
on
    features.lifter_id = clusters.lifter_id
    and features.lift = clusters.lift
left join {{ ref('cluster_profiles') }} as profiles
on
    features.lift = profiles.lift
    and clusters.cluster_id = profiles.cluster_id
    and features.feature_column = profiles.feature_column
