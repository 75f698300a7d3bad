{#
    Values of a column are pseudonyms: lower-case hex of the length pseudonymize gives
    (macro pseudonym_hex_chars), on the rows meeting row_condition. Nulls are not judged.
    Fails with each value that is not one (a raw user id or MAC where a pseudonym belongs).
#}
{% test expect_column_values_to_be_pseudonyms(model, column_name, row_condition=none) %}

select {{ column_name }} as value
from {{ model }}
where {{ column_name }} is not null
    and not regexp_full_match({{ column_name }}, '[0-9a-f]{' || {{ pseudonym_hex_chars() }} || '}')
    {% if row_condition %} and ({{ row_condition }}){% endif %}

{% endtest %}
