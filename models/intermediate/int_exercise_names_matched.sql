{#
    Each distinct exercise text typed by a lifter, normalized (lower case; parenthesised
    text such as a tempo code `(2/2/1)`, number codes such as `3x5` or `3-1-1` and bare
    numbers dropped; punctuation and emoji to spaces, whitespace collapsed) and matched
    through the exercise_aliases seed: exactly, or else to the nearest alias within a small
    edit distance (one edit where the longer of name and alias has 5+ characters, two for
    9+), when the nearest aliases all name one lift. An alias names one of the six lifts
    and a variant (`ssb squat` -> squat / safety_bar), or an exercise outside them
    (lift `other` in the seed: `hip thrust` -> other / hip_thrust), which is recognised
    (`other_exercise`) but has no typed_lift.
#}

with

typed_names as (

    select distinct exercise_raw
    from {{ ref('int_set_documents_triaged') }}
    where exercise_raw is not null

),

aliases as (

    select
        alias,
        lift,
        lift_variant
    from {{ ref('exercise_aliases') }}

),

tokens as (

    -- lower case, parenthesised text dropped, characters outside [a-z0-9./:-] to spaces,
    -- and every token wrapped in its own pair of spaces (so that adjacent number tokens can
    -- each be matched below)
    select
        exercise_raw,
        ' ' || replace(
            trim(
                regexp_replace(
                    regexp_replace(lower(exercise_raw), '\([^)]*\)', ' ', 'g'),
                    '[^a-z0-9./:-]+',
                    ' ',
                    'g'
                )
            ),
            ' ',
            '  '
        ) || ' ' as exercise_tokens
    from typed_names

),

normalized as (

    -- number tokens (`225`, `3x5`, `3-1-1`, `5/3/1`, `100kg`) and bare units dropped, then
    -- runs of non [a-z0-9] characters to single spaces
    select
        exercise_raw,
        trim(
            regexp_replace(
                regexp_replace(
                    exercise_tokens,
                    ' ([0-9]+([./x:-][0-9]+)*(kg|kgs|lb|lbs)?|kg|kgs|lb|lbs) ',
                    ' ',
                    'g'
                ),
                '[^a-z0-9]+',
                ' ',
                'g'
            )
        ) as exercise_normalized
    from tokens

),

exact_matches as (

    select
        normalized.exercise_raw,
        aliases.lift,
        aliases.lift_variant
    from normalized
    inner join aliases
    on normalized.exercise_normalized = aliases.alias

),

fuzzy_candidates as (

    select
        normalized.exercise_raw,
        aliases.lift,
        aliases.lift_variant,
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

    -- the nearest aliases must be close enough and must all name one lift; the variant is
    -- kept when they agree on it too
    select
        exercise_raw,
        any_value(lift) as lift,
        case
            when count(distinct lift_variant) = 1 then any_value(lift_variant)
        end as lift_variant
    from nearest_candidates
    where
        edit_distance = nearest_distance
        and edit_distance <= allowed_distance
    group by exercise_raw
    having count(distinct lift) = 1

),

matches as (

    select
        normalized.exercise_raw,
        normalized.exercise_normalized,
        coalesce(exact_matches.lift, fuzzy_matches.lift) as matched_lift,
        case
            when exact_matches.lift is not null then exact_matches.lift_variant
            else fuzzy_matches.lift_variant
        end as matched_variant,
        case
            when exact_matches.lift is not null then 'exact'
            when fuzzy_matches.lift is not null then 'fuzzy'
        end as typed_lift_match
    from normalized
    left join exact_matches
    on normalized.exercise_raw = exact_matches.exercise_raw
    left join fuzzy_matches
    on normalized.exercise_raw = fuzzy_matches.exercise_raw

),

final as (

    select
        exercise_raw,
        exercise_normalized,
        case when matched_lift != 'other' then matched_lift end as typed_lift,
        case
            when matched_lift = 'other' then 'other_exercise'
            when matched_lift is not null then 'matched'
            else 'unknown_alias'
        end as typed_lift_status,
        typed_lift_match,
        matched_variant as typed_lift_variant
    from matches

)

select * from final
