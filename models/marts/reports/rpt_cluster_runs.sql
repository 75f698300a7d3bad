-- The logged clustering runs side by side, one row per run and lift (clusters page): each
-- build's own (cluster_runs) and those liftlab tune logged (its own table, a source).

with

build_runs as (
    select * from {{ ref('cluster_runs') }}
),

tuning_runs as (
    select * from {{ source('liftlab', 'cluster_tuning_runs') }}
),

runs as (
    select * from build_runs
    union all by name
    select * from tuning_runs
),

final as (
    select
        run_id || '|' || lift as run_lift_id,
        run_id,
        run_at,
        strftime(run_at, '%Y-%m-%d %H:%M') as run_at_text,
        source,
        experiment,
        config_hash,
        lift,
        method,
        n_rows,
        n_training,
        n_assigned,
        n_clusters,
        cluster_sizes,
        cut_height,
        silhouette,
        cophenetic_correlation,
        calinski_harabasz,
        davies_bouldin,
        stability,
        ari,
        fit_seconds
    from runs
)

select * from final
