{#
    Drops the `<model>__dbt_tmp...` tables an incremental Python model leaves behind.
    dbt-duckdb's incremental materialization builds the new rows of a Python model into a
    "temporary" relation, but its Python writer (`py_write_table`) ignores `temporary` and
    creates an ordinary table, which the materialization then never drops (it only drops
    non-temporary ones). Used as the model's post-hook (inside the model's transaction,
    after the rows are appended); it also removes the leftovers of earlier builds. Renders
    no SQL of its own: the drops run while the hook is rendered.
#}
{% macro drop_leftover_temp_tables(relation) -%}
    {%- if execute -%}
        {%- set found = run_query(
            "select table_name from information_schema.tables"
            ~ " where table_catalog = '" ~ relation.database ~ "'"
            ~ " and table_schema = '" ~ relation.schema ~ "'"
            ~ " and starts_with(table_name, '" ~ relation.identifier ~ "__dbt_tmp')"
        ) -%}
        {%- for row in found.rows -%}
            {%- do adapter.drop_relation(relation.incorporate(path={"identifier": row[0]}, type="table")) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
