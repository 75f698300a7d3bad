-- Sets whose lift came from the model rather than from what the lifter typed, with the
-- model's confidence (classifier page). Raw exercise text is not shown.

select
    predictions.set_id,
    predictions.lifter_id,
    kept_sets.started_at,
    strftime(kept_sets.started_at, '%Y-%m-%d') as started_day,
    predictions.typed_lift,
    predictions.typed_lift_status,
    predictions.predicted_lift,
    kept_sets.lift,
    kept_sets.lift_source,
    predictions.probability,
    predictions.margin,
    predictions.runner_up_lift,
    predictions.typed_lift_probability,
    predictions.model_name
from {{ ref('fct_set_exercise_predictions') }} as predictions
left join {{ ref('fct_sets') }} as kept_sets on predictions.set_id = kept_sets.set_id
where kept_sets.lift_source like 'predicted%'
