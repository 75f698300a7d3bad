{#- The table `liftlab tune` (and its form) log their runs to: liftlab's own, declared as
    source liftlab.cluster_tuning_runs, never managed by dbt, so that no --full-refresh
    erases tuning history. Created empty when missing, before every dbt run (on-run-start),
    with the columns of the cluster_runs model. -#}
{% macro create_cluster_tuning_runs() %}
    create table if not exists main.cluster_tuning_runs (
        run_id varchar,
        run_at timestamp,
        source varchar,
        experiment varchar,
        config_json varchar,
        config_hash varchar,
        data_fingerprint varchar,
        lift varchar,
        method varchar,
        n_rows bigint,
        n_training bigint,
        n_assigned bigint,
        n_clusters bigint,
        cluster_sizes varchar,
        cut_height double,
        silhouette double,
        cophenetic_correlation double,
        calinski_harabasz double,
        davies_bouldin double,
        stability double,
        ari double,
        ari_n bigint,
        fit_seconds double
    )
{% endmacro %}
