-- The clustering tables' keys are unique (no dbt_utils here: one query per key).
select 'lifter_clusters' as model, lift, group_key as key, count(*) as n
from {{ ref('lifter_clusters') }} group by all having count(*) > 1
union all
select 'lifter_pca', lift, group_key, count(*)
from {{ ref('lifter_pca') }} group by all having count(*) > 1
union all
select 'lifter_cluster_features', lift, group_key || '/' || feature_column, count(*)
from {{ ref('lifter_cluster_features') }} group by all having count(*) > 1
union all
select 'cluster_profiles', lift, cluster_id || '/' || feature_column, count(*)
from {{ ref('cluster_profiles') }} group by all having count(*) > 1
union all
select 'cluster_linkage', lift, cast(merge_index as varchar), count(*)
from {{ ref('cluster_linkage') }} group by all having count(*) > 1
union all
select 'cluster_dendrogram', lift, element || '/' || element_index, count(*)
from {{ ref('cluster_dendrogram') }} group by all having count(*) > 1
union all
select 'cluster_runs', lift, run_id, count(*)
from {{ ref('cluster_runs') }} group by all having count(*) > 1
