-- Cross-validated confusion counts with each true lift's share (classifier page heat map).

select
    confusion_id,
    model,
    level,
    lifts,
    true_lift,
    predicted_lift,
    n,
    100.0 * n / nullif(sum(n) over (partition by model, level, lifts, true_lift), 0)
        as pct_of_true_lift,
    model_version
from {{ ref('ml_confusion_matrix') }}
