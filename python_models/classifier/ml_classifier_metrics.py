"""Lifter-grouped cross-validation of every configured model; fits the chosen one and saves
the versioned artifact (liftlab.ml.warehouse.train)."""

from liftlab.ml.warehouse import artifact_root, classifier_config, train


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
    artifact_dir = dbt.config.get("classifier_artifact_dir")
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
    )
    return train(dbt.ref("ml_rep_features"), config, artifact_root(session, artifact_dir))
