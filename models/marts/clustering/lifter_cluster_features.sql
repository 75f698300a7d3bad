{#
    The feature table the clustering in force was fitted on, long form, original units:
    the fit's rows as they are (one per group x feature column).
#}

with

fitted as (

    select * from {{ ref('int_lifter_clusters_fitted') }}
    where is_in_force

),

final as (

    select
        lift,
        group_key,
        lifter_id,
        cast(workout_id as varchar) as workout_id,
        n_sets,
        feature,
        aggregator,
        feature_column,
        value,
        unit,
        experiment,
        config_hash
    from fitted

)

select * from final
