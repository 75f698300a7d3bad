{#- The classifier's rep features that SQL computes (everything but the trace shape), the
    one home of these rules: int_rep_features renders it over int_reps_decoded and
    int_sets_aggregated, and liftlab.ml.features renders the same text (plain Jinja: no
    ref, var or adapter here) for the paths outside dbt (`liftlab classify`, the tests).

    One row per rep the classifier reads (int_reps_decoded.is_plausible: kept, usable by
    the app's rule, plausible for the lift) whose set is in `sets`, ordered by set and rep:
    - the study's six, non-finite values null; duration falls back to ROM / mean velocity
      (V1 devices do not time reps); the set's load, null when it is an outlier or not > 0;
    - set context: the set's plausible reps, its velocity loss, the rep's position (1..n)
      and position as a share of the set (0 for a one-rep set);
    - lifter context without the label: the lifter's medians of mean velocity and ROM over
      all their reps here, of load over their sets, and the rep's ratios to them; the rep's
      ROM over the lifter's 90th percentile of ROM (their longest lifts: a size-free scale).
    Medians are pandas' (the middle value, or the mean of the two middle ones), so the
    numbers are those the Python path gave. -#}
{% macro rep_features_sql(reps, sets) %}
with

reps as (
    select
        rep_id,
        set_id,
        lifter_id,
        rep_index,
        {{ finite_double('mean_velocity_m_s') }} as mean_velocity_m_s,
        {{ finite_double('rom_mm') }} as rom_mm,
        {{ finite_double('peak_velocity_m_s') }} as peak_velocity_m_s,
        {{ finite_double('peak_velocity_location_pct') }} as peak_velocity_location_pct,
        {{ finite_double('duration_s') }} as measured_duration_s
    from {{ reps }}
    where coalesce(is_plausible, false)
),

sets as (
    select
        set_id,
        workout_id,
        typed_lift,
        typed_lift_status,
        case
            when not coalesce(is_load_outlier, false) then {{ finite_double('load_kg') }}
        end as set_load_kg,
        {{ finite_double('velocity_loss_pct') }} as set_velocity_loss_pct
    from {{ sets }}
),

joined as (
    select
        reps.rep_id,
        reps.set_id,
        reps.lifter_id,
        sets.typed_lift,
        sets.typed_lift_status,
        sets.workout_id,
        reps.rep_index,
        coalesce(reps.lifter_id, '__unknown__') as lifter_key,
        reps.mean_velocity_m_s,
        reps.rom_mm,
        reps.peak_velocity_m_s,
        reps.peak_velocity_location_pct,
        {{ finite_double(
            'coalesce(reps.measured_duration_s, (reps.rom_mm / 1000.0::double)'
            ' / case when reps.mean_velocity_m_s > 0 then reps.mean_velocity_m_s end)'
        ) }} as duration_s,
        case when sets.set_load_kg > 0 then sets.set_load_kg end as load_kg,
        sets.set_velocity_loss_pct,
        count(*) over (partition by reps.set_id)::double as set_rep_count,
        row_number() over (
            partition by reps.set_id
            order by reps.rep_index
        )::double as rep_position
    from reps
    inner join sets on reps.set_id = sets.set_id
),

lifter_rep_values as (
    select
        lifter_key,
        list_sort(list(mean_velocity_m_s) filter (where mean_velocity_m_s is not null))
            as mean_velocities,
        list_sort(list(rom_mm) filter (where rom_mm is not null)) as roms,
        quantile_cont(rom_mm, 0.9) as lifter_rom_p90_mm
    from joined
    group by lifter_key
),

set_loads as (
    select
        set_id,
        any_value(lifter_key) as lifter_key,
        any_value(load_kg) as load_kg
    from joined
    group by set_id
),

lifter_load_values as (
    select
        lifter_key,
        list_sort(list(load_kg) filter (where load_kg is not null)) as loads
    from set_loads
    group by lifter_key
),

lifter_medians as (
    select
        lifter_rep_values.lifter_key,
        {{ sorted_list_median('lifter_rep_values.mean_velocities') }}
            as lifter_mean_velocity_m_s,
        {{ sorted_list_median('lifter_rep_values.roms') }} as lifter_rom_mm,
        {{ sorted_list_median('lifter_load_values.loads') }} as lifter_load_kg,
        lifter_rep_values.lifter_rom_p90_mm
    from lifter_rep_values
    left join lifter_load_values on lifter_rep_values.lifter_key = lifter_load_values.lifter_key
),

final as (
    select
        joined.rep_id,
        joined.set_id,
        joined.lifter_id,
        joined.typed_lift,
        joined.typed_lift_status,
        joined.workout_id,
        joined.rep_index,
        joined.mean_velocity_m_s,
        joined.rom_mm,
        joined.peak_velocity_m_s,
        joined.peak_velocity_location_pct,
        joined.duration_s,
        joined.load_kg,
        joined.set_rep_count,
        joined.set_velocity_loss_pct,
        joined.rep_position,
        case
            when joined.set_rep_count > 1
                then 100.0::double * (joined.rep_position - 1) / (joined.set_rep_count - 1)
            else 0.0::double
        end as rep_position_pct,
        lifter_medians.lifter_mean_velocity_m_s,
        lifter_medians.lifter_rom_mm,
        lifter_medians.lifter_load_kg,
        {{ finite_double('joined.mean_velocity_m_s / lifter_medians.lifter_mean_velocity_m_s') }}
            as rel_mean_velocity,
        {{ finite_double('joined.rom_mm / lifter_medians.lifter_rom_mm') }} as rel_rom,
        {{ finite_double('joined.load_kg / lifter_medians.lifter_load_kg') }} as rel_load,
        {{ finite_double('joined.rom_mm / lifter_medians.lifter_rom_p90_mm') }} as rel_rom_p90
    from joined
    left join lifter_medians on joined.lifter_key = lifter_medians.lifter_key
)

select * from final
order by set_id, rep_index
{% endmacro %}


{#- A number as a double, null unless finite (text that is no number, inf, nan). -#}
{% macro finite_double(expression) -%}
    case
        when isfinite(try_cast({{ expression }} as double))
            then try_cast({{ expression }} as double)
    end
{%- endmacro %}


{#- The median of a sorted list of doubles without nulls, as pandas computes it: the middle
    value, or the mean of the two middle ones; null for an empty list. -#}
{% macro sorted_list_median(values) -%}
    case
        when len({{ values }}) = 0 then null
        when len({{ values }}) % 2 = 1 then {{ values }}[len({{ values }}) // 2 + 1]
        else ({{ values }}[len({{ values }}) // 2] + {{ values }}[len({{ values }}) // 2 + 1]) / 2
    end
{%- endmacro %}
