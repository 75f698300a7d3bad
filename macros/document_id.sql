{#
    Key of a landed document (a set document, or a line of the app's CSV export): its source
    file and its ordinal in the file, `source_file:ordinal`. The one place the key is built.
#}
{% macro document_id(source_file='source_file', ordinal='ordinal') -%}
    {{ source_file }} || ':' || {{ ordinal }}
{%- endmacro %}
