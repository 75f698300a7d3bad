{#
    Values of a column lie within [min_value, max_value] (either bound optional), on the rows
    meeting row_condition, for at least the share `mostly` of them (dbt-expectations'
    expect_column_values_to_be_between, without the package). Nulls are not counted. Fails
    with the rows outside when fewer than `mostly` are inside.
#}
{% test expect_column_values_to_be_between(
    model, column_name, min_value=none, max_value=none, row_condition=none, mostly=1.0
) %}

with

judged as (
    select
        {{ column_name }} as value,
        (
            {% if min_value is not none %}{{ column_name }} >= {{ min_value }}{% else %}true{% endif %}
            and {% if max_value is not none %}{{ column_name }} <= {{ max_value }}{% else %}true{% endif %}
        ) as is_within
    from {{ model }}
    where {{ column_name }} is not null
    {% if row_condition %} and ({{ row_condition }}){% endif %}
),

share as (
    select avg(case when is_within then 1.0 else 0.0 end) as share_within
    from judged
)

select judged.value
from judged
cross join share
where not judged.is_within
    and share.share_within < {{ mostly }}

{% endtest %}
