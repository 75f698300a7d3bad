-- The number line is drawable: the cluster's percentiles are ordered, the lifter lies in
-- the lift's range and in their cluster's range, and percentiles are within 0..100
-- (up to floating-point rounding of the interpolated percentiles). Returns offending rows.

{% set eps = 1e-6 %}

select
    comparison_id,
    lifter_value,
    cluster_p5,
    cluster_median,
    cluster_p95
from {{ ref('lifter_peer_comparison') }}
where
    lifter_value < lift_min - {{ eps }}
    or lifter_value > lift_max + {{ eps }}
    or percentile_in_lift not between 0 and 100
    or (
        cluster_id is not null
        and (
            cluster_p5 < cluster_min - {{ eps }}
            or cluster_p25 < cluster_p5 - {{ eps }}
            or cluster_median < cluster_p25 - {{ eps }}
            or cluster_p75 < cluster_median - {{ eps }}
            or cluster_p95 < cluster_p75 - {{ eps }}
            or cluster_max < cluster_p95 - {{ eps }}
            or lifter_value < cluster_min - {{ eps }}
            or lifter_value > cluster_max + {{ eps }}
            or percentile_in_cluster not between 0 and 100
            or cluster_size < 1
        )
    )
