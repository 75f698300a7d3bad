{#
    One row per kept set. `lift` is the lift analysts should use; `lift_source` says where
    it came from. The exercise classifier (python_models/classifier) gives every kept set
    its probabilities (fct_set_exercise_predictions); the resolution rule is the `case`
    below, with the vars classifier_relabel_min_probability,
    classifier_relabel_max_typed_probability and classifier_label_min_probability (typed,
    typed_confirmed, predicted_unlabeled, predicted_unknown_alias, predicted_relabel; null
    lift for other_exercise, uncertain and unresolved). `lift_variant` is the typed variant
    (int_exercise_names_matched) where the lift is the typed one, the exercise where it is
    an other_exercise, null otherwise.
#}

{%- for name in [
    'classifier_relabel_min_probability',
    'classifier_relabel_max_typed_probability',
    'classifier_label_min_probability',
] %}
    {%- if not (0 <= var(name) | float <= 1) %}
        {{ exceptions.raise_compiler_error(name ~ ' must be within 0..1, not ' ~ var(name)) }}
    {%- endif %}
{%- endfor %}

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
        predicted_lift,
        probability,
        typed_lift_probability
    from {{ ref('fct_set_exercise_predictions') }}

),

resolved as (

    -- The lift-resolution rule. A typed (matched) lift stays unless the model predicts
    -- another lift with probability >= classifier_relabel_min_probability while giving the
    -- typed one <= classifier_relabel_max_typed_probability; an exercise outside the six
    -- lifts is never forced into one; a set without a typed lift takes the prediction from
    -- classifier_label_min_probability on, below it the model abstains.
    select
        sets.set_id,
        predictions.predicted_lift,
        case
            when
                sets.typed_lift_status = 'matched'
                and sets.typed_lift is not null
                and predictions.predicted_lift = sets.typed_lift
                then 'typed_confirmed'
            when
                sets.typed_lift_status = 'matched'
                and sets.typed_lift is not null
                and predictions.predicted_lift is not null
                and predictions.probability >= {{ var('classifier_relabel_min_probability') }}
                and (
                    predictions.typed_lift_probability is null
                    or isnan(predictions.typed_lift_probability)
                    or predictions.typed_lift_probability
                    <= {{ var('classifier_relabel_max_typed_probability') }}
                )
                then 'predicted_relabel'
            when sets.typed_lift_status = 'matched' and sets.typed_lift is not null then 'typed'
            when sets.typed_lift_status = 'other_exercise' then 'other_exercise'
            when
                predictions.predicted_lift is not null
                and predictions.probability >= {{ var('classifier_label_min_probability') }}
                and sets.typed_lift_status = 'unknown_alias'
                then 'predicted_unknown_alias'
            when
                predictions.predicted_lift is not null
                and predictions.probability >= {{ var('classifier_label_min_probability') }}
                then 'predicted_unlabeled'
            when predictions.predicted_lift is not null then 'uncertain'
            else 'unresolved'
        end as lift_source
    from sets
    left join predictions on sets.set_id = predictions.set_id

),

final as (

    select
        sets.*,
        case
            when resolved.lift_source in ('typed', 'typed_confirmed') then sets.typed_lift
            when
                resolved.lift_source in (
                    'predicted_relabel', 'predicted_unknown_alias', 'predicted_unlabeled'
                )
                then resolved.predicted_lift
        end as lift,
        resolved.lift_source,
        case
            when
                resolved.lift_source in ('typed', 'typed_confirmed', 'other_exercise')
                then exercise_names.typed_lift_variant
        end as lift_variant
    from sets
    inner join resolved on sets.set_id = resolved.set_id
    left join exercise_names on sets.exercise_raw = exercise_names.exercise_raw

)

select * from final
