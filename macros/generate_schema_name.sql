{#
    Seeds land in a schema of their own name (`reference`), models in the target schema,
    without dbt's default `<target>_<custom>` prefixing.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
