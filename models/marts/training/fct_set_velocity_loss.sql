{#
    One row per kept set with at least one plausible rep: how much velocity the set lost
    (the research definition, the app's percent loss, set loss, peak-end), the velocity
    zone of the set (seed velocity_zones) and the reps in reserve estimated from the
    set's own velocity decline. Rep aggregates come from fct_sets (plausible reps only,
    as int_sets_aggregated defines them): nothing is re-aggregated here.
#}

with

sets as (

    select * from {{ ref('fct_sets') }}
    where rep_count_plausible > 0

),

lifts as (

    select
        lift,
        minimum_velocity_threshold_m_s
    from {{ ref('lifts') }}

),

zones as (

    select * from {{ ref('velocity_zones') }}

),

measured as (

    select
        sets.set_id,
        sets.lifter_id,
        sets.workout_id,
        sets.lift,
        sets.started_at,
        sets.load_kg,
        sets.rpe,
        sets.rep_count_plausible,
        sets.best_mean_velocity_m_s as fastest_rep_mean_velocity_m_s,
        sets.slowest_mean_velocity_m_s as slowest_rep_mean_velocity_m_s,
        sets.first_rep_mean_velocity_m_s,
        sets.last_rep_mean_velocity_m_s,
        sets.mean_velocity_m_s,
        case
            when sets.best_mean_velocity_m_s > 0
                then 100.0 * (sets.best_mean_velocity_m_s - sets.last_rep_mean_velocity_m_s)
                    / sets.best_mean_velocity_m_s
        end as velocity_loss_pct,
        sets.velocity_loss_pct as app_percent_loss_pct,
        sets.last_rep_mean_velocity_m_s - sets.first_rep_mean_velocity_m_s as set_loss_m_s,
        (sets.slowest_mean_velocity_m_s + sets.last_rep_mean_velocity_m_s) / 2.0
            as peak_end_velocity_m_s,
        case
            when sets.rep_count_plausible > 1
                then (sets.first_rep_mean_velocity_m_s - sets.last_rep_mean_velocity_m_s)
                    / (sets.rep_count_plausible - 1)
        end as velocity_drop_per_rep_m_s,
        lifts.minimum_velocity_threshold_m_s
    from sets
    left join lifts
    on sets.lift = lifts.lift

),

estimated as (

    select
        *,
        -- Reps in reserve: the set's velocity taken to keep falling at its own rate
        -- (first to last plausible rep, per rep) until the lift's MVT, the velocity of
        -- the last possible rep. Only with enough reps and a real decline; an estimate
        -- beyond the var maximum is an extrapolation the set cannot support.
        case
            when
                rep_count_plausible >= {{ var('velocity_loss_rir_min_reps') }}
                and velocity_drop_per_rep_m_s >= {{ var('velocity_loss_rir_min_drop_m_s') }}
                and minimum_velocity_threshold_m_s is not null
                then greatest(
                        0.0,
                        (last_rep_mean_velocity_m_s - minimum_velocity_threshold_m_s)
                        / velocity_drop_per_rep_m_s
                    )
        end as reps_in_reserve_raw
    from measured

),

final as (

    select
        estimated.set_id,
        estimated.lifter_id,
        estimated.workout_id,
        estimated.lift,
        estimated.started_at,
        estimated.load_kg,
        estimated.rpe,
        estimated.rep_count_plausible,
        estimated.fastest_rep_mean_velocity_m_s,
        estimated.slowest_rep_mean_velocity_m_s,
        estimated.first_rep_mean_velocity_m_s,
        estimated.last_rep_mean_velocity_m_s,
        estimated.mean_velocity_m_s,
        estimated.velocity_loss_pct,
        estimated.app_percent_loss_pct,
        estimated.set_loss_m_s,
        estimated.peak_end_velocity_m_s,
        estimated.velocity_drop_per_rep_m_s,
        case
            when estimated.reps_in_reserve_raw <= {{ var('velocity_loss_rir_max') }}
                then round(estimated.reps_in_reserve_raw, 1)
        end as estimated_reps_in_reserve,
        zones.velocity_zone,
        zones.zone_order as velocity_zone_order
    from estimated
    left join zones
    on
        estimated.mean_velocity_m_s >= zones.lower_m_s
        and estimated.mean_velocity_m_s < zones.upper_m_s

)

select * from final
