{#
    Three principal components of each group's scaled features (PCA fitted on the
    training rows, in the fit), with its cluster and the explained variance ratios.
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
        cluster_id,
        membership,
        pc1,
        pc2,
        pc3,
        pc1_explained_variance,
        pc2_explained_variance,
        pc3_explained_variance,
        experiment,
        config_hash
    from fitted

)

select * from final
