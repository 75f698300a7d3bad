{#
    Each distinct exercise text typed by a lifter, normalized (lower case, punctuation and
    emoji to spaces, whitespace collapsed) and matched to a canonical lift through the
    exercise_aliases seed: exactly, or else to the nearest alias within a small edit
    distance (one edit where the longer of name and alias has 5+ characters, two for 9+),
    when the nearest aliases all name one lift.
#}

with

typed_names as (

    select distinct exercise_raw
    from {{ ref('stg_openbarbell__set_documents') }}
    where exercise_raw is not null

),

aliases as (

    select
        alias,
        lift
    from {{ ref('exercise_aliases') }}

),

normalized as (

    select
        exercise_raw,
        trim(regexp_replace(lower(exercise_raw), '[^a-z0-9]+', ' ', 'g')) as exercise_normalized
    from typed_names

),

exact_matches as (

    select
        normalized.exercise_raw,
        aliases.lift
    from normalized
    inner join aliases
    on normalized.exercise_normalized = aliases.alias

),

fuzzy_candidates as (

    select
        normalized.exercise_raw,
        aliases.lift,
        damerau_levenshtein(normalized.exercise_normalized, aliases.alias) as edit_distance,
        case
            when greatest(length(normalized.exercise_normalized), length(aliases.alias)) >= 9
                then 2
            when greatest(length(normalized.exercise_normalized), length(aliases.alias)) >= 5
                then 1
            else 0
        end as allowed_distance
    from normalized
    cross join aliases
    where
        normalized.exercise_raw not in (select exact_matches.exercise_raw from exact_matches)
        and abs(length(normalized.exercise_normalized) - length(aliases.alias)) <= 2

),

nearest_candidates as (

    select
        *,
        min(edit_distance) over (partition by exercise_raw) as nearest_distance
    from fuzzy_candidates

),

fuzzy_matches as (

    -- the nearest aliases must be close enough and must all name one lift
    select
        exercise_raw,
        any_value(lift) as lift
    from nearest_candidates
    where
        edit_distance = nearest_distance
        and edit_distance <= allowed_distance
    group by exercise_raw
    having count(distinct lift) = 1

),

final as (

    select
        normalized.exercise_raw,
        normalized.exercise_normalized,
        coalesce(exact_matches.lift, fuzzy_matches.lift) as typed_lift,
        case
            when exact_matches.lift is not null then 'matched'
            when fuzzy_matches.lift is not null then 'matched'
            else 'unknown_alias'
        end as typed_lift_status,
        case
            when exact_matches.lift is not null then 'exact'
            when fuzzy_matches.lift is not null then 'fuzzy'
        end as typed_lift_match
    from normalized
    left join exact_matches
    on normalized.exercise_raw = exact_matches.exercise_raw
    left join fuzzy_matches
    on normalized.exercise_raw = fuzzy_matches.exercise_raw

)

select * from final
