-- The marts agree with each other: a set's rep counts are its rows in fct_reps, a
-- workout's and a lifter's set and rep counts are their rows in fct_sets / fct_reps, and
-- the per-file plausibility counts add up to fct_reps.
-- Returns each disagreeing row.
with

reps_per_set as (

    select
        set_id,
        count(*) as rep_count_total,
        count(*) filter (where is_usable) as rep_count_usable,
        count(*) filter (where is_plausible) as rep_count_plausible
    from {{ ref('fct_reps') }}
    group by set_id

),

sets_per_workout as (

    select
        workout_id,
        count(*) as set_count,
        sum(rep_count_total) as rep_count_total
    from {{ ref('fct_sets') }}
    group by workout_id

),

sets_per_lifter as (

    select
        lifter_id,
        count(*) as set_count
    from {{ ref('fct_sets') }}
    group by lifter_id

),

reps_per_lifter as (

    select
        lifter_id,
        count(*) as rep_count_total
    from {{ ref('fct_reps') }}
    group by lifter_id

),

set_mismatches as (

    select
        'fct_sets' as mart,
        kept_sets.set_id as row_key
    from {{ ref('fct_sets') }} as kept_sets
    left join reps_per_set
    on kept_sets.set_id = reps_per_set.set_id
    where
        kept_sets.rep_count_total != coalesce(reps_per_set.rep_count_total, 0)
        or kept_sets.rep_count_usable != coalesce(reps_per_set.rep_count_usable, 0)
        or kept_sets.rep_count_plausible != coalesce(reps_per_set.rep_count_plausible, 0)

),

workout_mismatches as (

    select
        'fct_workouts' as mart,
        workouts.workout_id as row_key
    from {{ ref('fct_workouts') }} as workouts
    full outer join sets_per_workout
    on workouts.workout_id = sets_per_workout.workout_id
    where
        workouts.workout_id is null
        or sets_per_workout.workout_id is null
        or workouts.set_count != sets_per_workout.set_count
        or workouts.rep_count_total != sets_per_workout.rep_count_total

),

lifter_mismatches as (

    select
        'dim_lifters' as mart,
        coalesce(lifters.lifter_id, sets_per_lifter.lifter_id) as row_key
    from {{ ref('dim_lifters') }} as lifters
    full outer join sets_per_lifter
    on lifters.lifter_id = sets_per_lifter.lifter_id
    left join reps_per_lifter
    on lifters.lifter_id = reps_per_lifter.lifter_id
    where
        lifters.lifter_id is null
        or sets_per_lifter.lifter_id is null
        or lifters.set_count != sets_per_lifter.set_count
        or lifters.rep_count_total != coalesce(reps_per_lifter.rep_count_total, 0)

),

plausibility_per_file as (

    select
        coalesce(sum(rep_count_kept), 0) as rep_count_kept,
        coalesce(sum(rep_count_usable), 0) as rep_count_usable,
        coalesce(sum(rep_count_plausible), 0) as rep_count_plausible,
        coalesce(sum(rep_count_implausible), 0) as rep_count_implausible
    from {{ ref('fct_rep_plausibility') }}

),

plausibility_of_reps as (

    select
        count(*) as rep_count_kept,
        count(*) filter (where is_usable) as rep_count_usable,
        count(*) filter (where is_plausible) as rep_count_plausible,
        count(*) filter (where is_usable and not is_plausible) as rep_count_implausible
    from {{ ref('fct_reps') }}

),

plausibility_mismatches as (

    select
        'fct_rep_plausibility' as mart,
        'all files' as row_key
    from plausibility_per_file
    cross join plausibility_of_reps
    where
        plausibility_per_file.rep_count_kept != plausibility_of_reps.rep_count_kept
        or plausibility_per_file.rep_count_usable != plausibility_of_reps.rep_count_usable
        or plausibility_per_file.rep_count_plausible != plausibility_of_reps.rep_count_plausible
        or plausibility_per_file.rep_count_implausible
        != plausibility_of_reps.rep_count_implausible

)

select * from set_mismatches
union all
select * from plausibility_mismatches
union all
select * from workout_mismatches
union all
select * from lifter_mismatches
