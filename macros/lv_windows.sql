{#
    The load-velocity windows: for each training day of a lifter and lift in `points`
    (the window end) and each window length of var lv_window_days, one row. window_id
    numbers the windows (lifter, lift, end, length) so that the fits group and join on one
    integer rather than on four columns.
#}
{% macro lv_windows(points) %}
    select
        dense_rank() over (
            order by
                window_ends.lifter_id,
                window_ends.lift,
                window_ends.window_end_date,
                window_lengths.window_days
        ) as window_id,
        window_ends.lifter_id,
        window_ends.lift,
        window_lengths.window_days,
        window_ends.window_end_date
    from (
        select distinct
            lifter_id,
            lift,
            training_date as window_end_date
        from {{ points }}
    ) as window_ends
    cross join (
        select unnest({{ var('lv_window_days') }}::integer []) as window_days
    ) as window_lengths
{% endmacro %}

{#
    The members of every window: each row of `members` (with lifter_id, lift and
    training_date) once per window of `windows` (lv_windows) that holds its day: the
    window's lifter and lift, on the window_days days up to and including the end. A range
    join (equality on lifter and lift, a date band), so memory grows with members x windows
    per member, never with a per-lifter loop; `columns` are the only member columns carried
    (each is copied once per window, so the fits pass narrow, per-set precomputed ones).
#}
{% macro lv_window_members(windows, members, columns) %}
    select
        windows.window_id,
        members.{{ columns | join(',\n        members.') }}
    from {{ windows }} as windows
    inner join {{ members }} as members
    on
        windows.lifter_id = members.lifter_id
        and windows.lift = members.lift
        and members.training_date <= windows.window_end_date
        and members.training_date > windows.window_end_date - windows.window_days
{% endmacro %}

{# JavaScript's Math.round (halves towards +infinity) at `digits` decimals, as the
   OpenBarbell app's regression library rounds: DuckDB's round() sends halves away from
   zero, which differs on negative slopes. #}
{% macro js_round(expression, digits) %}
    (floor(({{ expression }}) * {{ 10 ** digits }} + 0.5) / {{ 10 ** digits }})
{% endmacro %}

{# The weighted sum of squares of `x` about its weighted mean, exactly 0 when `x` takes a
   single value: the two sums' difference would be rounding noise there, and a slope
   divided by it a random number. #}
{% macro lv_weighted_sxx(weight, x) %}
    case
        when count(distinct {{ x }}) > 1
            then sum({{ weight }} * {{ x }} * {{ x }})
            - pow(sum({{ weight }} * {{ x }}), 2) / sum({{ weight }})
        else 0
    end
{% endmacro %}
