{#
    The sets of every load-velocity window: for each training day of a lifter and lift
    (the window end) and each window length of var lv_window_days, the sets of that lift
    on the window_days days up to and including the end. A range join (equality on
    lifter and lift, a date band), so memory grows with sets x windows per set, never with
    a per-lifter loop. window_id numbers the windows (lifter, lift, end, length) so that
    the fits group and join on one integer rather than on four columns.
#}
{% macro lv_window_sets(points) %}
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
        window_ends.window_end_date,
        points.* exclude (lifter_id, lift)
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
    inner join {{ points }} as points
    on
        window_ends.lifter_id = points.lifter_id
        and window_ends.lift = points.lift
        and points.training_date <= window_ends.window_end_date
        and points.training_date > window_ends.window_end_date - window_lengths.window_days
{% endmacro %}

{# JavaScript's Math.round (halves towards +infinity) at `digits` decimals, as the
   OpenBarbell app's regression library rounds: DuckDB's round() sends halves away from
   zero, which differs on negative slopes. #}
{% macro js_round(expression, digits) %}
    (floor(({{ expression }}) * {{ 10 ** digits }} + 0.5) / {{ 10 ** digits }})
{% endmacro %}
