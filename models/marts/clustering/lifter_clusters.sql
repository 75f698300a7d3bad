{#
    Cluster of every lifter (x lift, or x workout) under the configuration in force: one
    row per group of the fit (its rows repeat the group once per feature column).
#}

with

fitted as (

    select * from {{ ref('int_lifter_clusters_fitted') }}
    where is_in_force

),

final as (

    select distinct
        lift,
        group_key,
        lifter_id,
        cast(workout_id as varchar) as workout_id,
        n_sets,
        cluster_id,
        membership,
        micro_cluster_id,
        method,
        experiment,
        config_hash
    from fitted

)

select * from final
