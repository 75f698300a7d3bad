{#
    One row per lifter (pseudonymous: `lifter_id` is a salted hash of the user id, or of
    the source file name for exports without a user id, such as the app's history).
#}

with

sets as (

    select * from {{ ref('fct_sets') }}

),

reps as (

    select
        lifter_id,
        count(*) as rep_count_total,
        count(*) filter (where is_usable) as rep_count_usable,
        count(distinct device_id) as device_count
    from {{ ref('fct_reps') }}
    group by lifter_id

),

set_summary as (

    select
        lifter_id,
        min(started_at) as first_seen_at,
        max(started_at) as last_seen_at,
        count(distinct workout_id) as workout_count,
        count(*) as set_count,
        list_sort(list_distinct(list(lift) filter (where lift is not null))) as lifts_done,
        mode(weight_unit) as preferred_weight_unit,
        bool_and(has_user_id) as has_user_id,
        max(load_kg) filter (where not is_load_outlier) as heaviest_load_kg
    from sets
    group by lifter_id

),

final as (

    select
        set_summary.lifter_id,
        set_summary.first_seen_at,
        set_summary.last_seen_at,
        set_summary.workout_count,
        set_summary.set_count,
        coalesce(reps.rep_count_total, 0) as rep_count_total,
        coalesce(reps.rep_count_usable, 0) as rep_count_usable,
        set_summary.lifts_done,
        set_summary.preferred_weight_unit,
        set_summary.heaviest_load_kg,
        coalesce(reps.device_count, 0) as device_count,
        case when set_summary.has_user_id then 'user_id' else 'source_file' end
            as lifter_identified_by
    from set_summary
    left join reps
    on set_summary.lifter_id = reps.lifter_id

)

select * from final
