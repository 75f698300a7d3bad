{#
    One row per kept set. `lift` is the lift analysts should use; `lift_source` says where
    it came from: the exercise classifier (python_models/classifier) labels every kept set
    and resolves the lift in fct_set_exercise_predictions (typed, typed_confirmed,
    predicted_unlabeled, predicted_unknown_alias, predicted_relabel); null when unresolved.
#}

with

sets as (

    select * from {{ ref('int_sets_aggregated') }}

),

predictions as (

    select
        set_id,
        lift,
        lift_source
    from {{ ref('fct_set_exercise_predictions') }}

),

final as (

    select
        sets.*,
        predictions.lift,
        case when predictions.lift is not null then predictions.lift_source end as lift_source
    from sets
    left join predictions on sets.set_id = predictions.set_id

)

select * from final
