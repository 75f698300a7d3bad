{#
    One row per kept set. `lift` is the lift analysts should use; `lift_source` says where
    it came from. Until the exercise classifier resolves lifts, it is the typed lift.
#}

with

sets as (

    select * from {{ ref('int_sets_aggregated') }}

),

final as (

    select
        *,
        typed_lift as lift,
        case when typed_lift is not null then 'typed' end as lift_source
    from sets

)

select * from final
