{#
    Values of a column match a regular expression (DuckDB's regexp_full_match), on the rows
    meeting row_condition (dbt-expectations' expect_column_values_to_match_regex, without
    the package). Nulls are not judged. Fails with each value that does not match.
#}
{% test expect_column_values_to_match_regex(model, column_name, regex, row_condition=none) %}

select {{ column_name }} as value
from {{ model }}
where {{ column_name }} is not null
    and not regexp_full_match({{ column_name }}, '{{ regex }}')
    {% if row_condition %} and ({{ row_condition }}){% endif %}

{% endtest %}
