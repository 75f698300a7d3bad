{#
    The text of a JSON value whose type varies between app versions: a string or number as
    its text, an object, array or boolean as its JSON text, null (or JSON null) as null.
    `value_type` is json_type(value), computed once by the caller.
#}
{% macro json_value_as_text(value, value_type) -%}
    case
        when {{ value_type }} in ('VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE')
            then {{ value }} ->> '$'
        when {{ value_type }} in ('OBJECT', 'ARRAY', 'BOOLEAN')
            then {{ value }}::varchar
    end
{%- endmacro %}
