{#
    The rows of a model are unique on a combination of columns (dbt_utils'
    unique_combination_of_columns, without the package): fails with each duplicated key.
#}
{% test unique_combination_of_columns(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as n_rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
