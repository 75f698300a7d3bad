{#
    One row per workout (the app's workoutID; a set without one is grouped per lifter and
    day under a derived id).
#}

with

sets as (

    select * from {{ ref('fct_sets') }}

),

final as (

    select
        workout_id,
        any_value(lifter_id) as lifter_id,
        bool_or(is_workout_id_derived) as is_workout_id_derived,
        min(started_at) as started_at,
        max(started_at) as last_set_started_at,
        date_diff('second', min(started_at), max(started_at)) / 60.0 as duration_min,
        count(*) as set_count,
        sum(rep_count_total) as rep_count_total,
        sum(rep_count_usable) as rep_count_usable,
        list_sort(list_distinct(list(lift) filter (where lift is not null))) as lifts,
        count(distinct lift) as lift_count,
        sum(load_kg * rep_count_usable) filter (
            where not is_load_outlier
        ) as volume_load_kg,
        max(load_kg) filter (where not is_load_outlier) as heaviest_load_kg,
        avg(mean_velocity_m_s) as mean_velocity_m_s,
        avg(rpe) as mean_rpe
    from sets
    group by workout_id

)

select * from final
