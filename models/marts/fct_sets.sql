{#
    One row per kept set. `lift` is the lift analysts should use; `lift_source` says where
    it came from: the exercise classifier (python_models/classifier) labels every kept set
    and resolves the lift in fct_set_exercise_predictions (typed, typed_confirmed,
    predicted_unlabeled, predicted_unknown_alias, predicted_relabel; null lift for
    other_exercise, uncertain and unresolved). `lift_variant` is the typed variant
    (int_exercise_names_matched) where the lift is the typed one, the exercise where it is
    an other_exercise, null otherwise.
#}

with

sets as (

    select * from {{ ref('int_sets_aggregated') }}

),

exercise_names as (

    select
        exercise_raw,
        typed_lift_variant
    from {{ ref('int_exercise_names_matched') }}

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
        predictions.lift_source,
        case
            when
                predictions.lift_source in ('typed', 'typed_confirmed', 'other_exercise')
                then exercise_names.typed_lift_variant
        end as lift_variant
    from sets
    left join predictions on sets.set_id = predictions.set_id
    left join exercise_names on sets.exercise_raw = exercise_names.exercise_raw

)

select * from final
