-- Cross-validation confusion counts per model, level and scope: the confusion_json of each
-- ml_classifier_metrics row, one row per true x predicted lift.

with

metrics as (
    select * from {{ ref('ml_classifier_metrics') }}
    where confusion_json is not null
),

cells as (
    select
        model,
        level,
        lifts,
        model_version,
        unnest(
            from_json(
                confusion_json,
                '[{"true_lift": "VARCHAR", "predicted_lift": "VARCHAR", "n": "BIGINT"}]'
            )
        ) as cell
    from metrics
),

final as (
    select
        model || '|' || level || '|' || lifts || '|' || cell.true_lift || '|'
        || cell.predicted_lift as confusion_id,
        model,
        level,
        lifts,
        cell.true_lift,
        cell.predicted_lift,
        cell.n,
        model_version
    from cells
)

select * from final
