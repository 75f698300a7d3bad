-- Three principal components per clustered lifter, coloured by cluster (clusters page).

select
    lift || '|' || group_key as pca_point_id,
    lift,
    lifter_id,
    'cluster ' || coalesce(cluster_id::varchar, 'none') as cluster_label,
    cluster_id,
    membership,
    pc1,
    pc2,
    pc3,
    pc1_explained_variance,
    pc2_explained_variance,
    pc3_explained_variance
from {{ ref('lifter_pca') }}
