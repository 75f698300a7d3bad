-- The study's cluster profile table: per cluster, each feature's mean and median
-- (clusters and lifter pages).

select
    lift || '|' || cluster_id || '|' || feature_column as cluster_feature_id,
    lift,
    cluster_id,
    'cluster ' || cluster_id as cluster_label,
    n_members,
    n_training,
    feature,
    aggregator,
    feature_column,
    unit,
    mean,
    median
from {{ ref('cluster_profiles') }}
