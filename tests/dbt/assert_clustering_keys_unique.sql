-- The clustering tables' keys are unique (no dbt_utils here: one query per table).
select
    'lifter_clusters' as model_name,
    lift,
    group_key as row_key,
    count(*) as n_rows
from {{ ref('lifter_clusters') }}
group by 1, 2, 3
having count(*) > 1
union all
select
    'lifter_pca' as model_name,
    lift,
    group_key as row_key,
    count(*) as n_rows
from {{ ref('lifter_pca') }}
group by 1, 2, 3
having count(*) > 1
union all
select
    'lifter_cluster_features' as model_name,
    lift,
    group_key || '/' || feature_column as row_key,
    count(*) as n_rows
from {{ ref('lifter_cluster_features') }}
group by 1, 2, 3
having count(*) > 1
union all
select
    'cluster_profiles' as model_name,
    lift,
    cluster_id || '/' || feature_column as row_key,
    count(*) as n_rows
from {{ ref('cluster_profiles') }}
group by 1, 2, 3
having count(*) > 1
union all
select
    'cluster_linkage' as model_name,
    lift,
    cast(merge_index as varchar) as row_key,
    count(*) as n_rows
from {{ ref('cluster_linkage') }}
group by 1, 2, 3
having count(*) > 1
union all
select
    'cluster_dendrogram' as model_name,
    lift,
    element || '/' || element_index as row_key,
    count(*) as n_rows
from {{ ref('cluster_dendrogram') }}
group by 1, 2, 3
having count(*) > 1
union all
select
    'cluster_runs' as model_name,
    lift,
    run_id as row_key,
    count(*) as n_rows
from {{ ref('cluster_runs') }}
group by 1, 2, 3
having count(*) > 1
