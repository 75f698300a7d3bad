-- The classifiers compared at rep and set level (classifier page).

select
    metric_id,
    model,
    estimator,
    feature_set,
    level,
    lifts,
    accuracy,
    macro_f1,
    accuracy_fold_std,
    macro_f1_fold_std,
    n_folds,
    n,
    n_lifters,
    cv_grouping,
    metric_note,
    is_chosen,
    chosen_model,
    model_version,
    evaluated_at,
    labelled_change_share
from {{ ref('ml_classifier_metrics') }}
