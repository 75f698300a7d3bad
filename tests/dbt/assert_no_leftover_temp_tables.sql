-- No cluster_runs__dbt_tmp* table is left beside cluster_runs: dbt-duckdb's incremental
-- materialization leaves one behind on every run of this Python model unless its
-- post-hook (macros/drop_leftover_temp_tables.sql) drops it.
{% set runs = ref('cluster_runs') %}
select
    table_schema,
    table_name
from information_schema.tables
where
    table_catalog = '{{ runs.database }}'
    and table_schema = '{{ runs.schema }}'
    and starts_with(table_name, '{{ runs.identifier }}__dbt_tmp')
