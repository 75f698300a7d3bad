-- The dendrogram's drawing coordinates with the cut-off height (clusters page).

select
    lift || '|' || element || '|' || element_index as dendrogram_element_id,
    lift,
    element,
    element_index,
    x1,
    x2,
    x3,
    x4,
    y1,
    y2,
    y3,
    y4,
    leaf_label,
    cut_height
from {{ ref('cluster_dendrogram') }}
