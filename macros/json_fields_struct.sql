{#
    A from_json structure that reads the named top-level fields of an object as JSON
    values (parsed once, typed later): '{"a":"JSON","b":"JSON"}'.
#}
{% macro json_fields_struct(names) -%}
    '{ {%- for name in names -%} "{{ name }}":"JSON"{{ "," if not loop.last }} {%- endfor -%} }'
{%- endmacro %}
