"""Cross-validated scores of every configured model (grouped by lifter, or by workout with
fewer lifters than folds), the chosen model and its confusion counts
(liftlab.ml.warehouse.cross_validation); fct_set_exercise_predictions fits the chosen one.
Run again only when its settings or the training code change, or more than var
classifier_reevaluate_share of the labelled sets (liftlab.ml.reuse)."""

from liftlab.ml.reuse import own_table
from liftlab.ml.warehouse import classifier_config, cross_validation


def model(dbt, session):
    dbt.config(materialized="table")
    features = dbt.config.get("classifier_features")
    models = dbt.config.get("classifier_models")
    model_choice = dbt.config.get("classifier_model")
    cv_folds = dbt.config.get("classifier_cv_folds")
    cv_max_sets = dbt.config.get("classifier_cv_max_sets")
    train_max_sets = dbt.config.get("classifier_train_max_sets")
    cv_jobs = dbt.config.get("classifier_cv_jobs")
    seed = dbt.config.get("classifier_seed")
    cross_fit_folds = dbt.config.get("classifier_cross_fit_folds")
    reevaluate_share = dbt.config.get("classifier_reevaluate_share")
    config = classifier_config(
        features=features,
        models=models,
        model_choice=model_choice,
        cv_folds=cv_folds,
        cv_max_sets=cv_max_sets,
        train_max_sets=train_max_sets,
        cv_jobs=cv_jobs,
        seed=seed,
        cross_fit_folds=cross_fit_folds,
        reevaluate_share=reevaluate_share,
    )
    # the last build's table: returned as it is when its training digest is this build's,
    # kept with this build's model version when few labelled sets changed
    return cross_validation(dbt.ref("ml_rep_features"), config, own_table(session, dbt.this))
