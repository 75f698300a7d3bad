-- The classifier's features: int_rep_features (SQL) beside the trace shape (Python).

with

rep_features as (
    select * from {{ ref('int_rep_features') }}
),

trace_features as (
    select * from {{ ref('ml_rep_trace_features') }}
),

final as (
    select
        rep_features.rep_id,
        rep_features.set_id,
        rep_features.lifter_id,
        rep_features.typed_lift,
        rep_features.typed_lift_status,
        rep_features.workout_id,
        rep_features.mean_velocity_m_s,
        rep_features.rom_mm,
        rep_features.peak_velocity_m_s,
        rep_features.peak_velocity_location_pct,
        rep_features.duration_s,
        rep_features.load_kg,
        trace_features.trace_n_ticks,
        trace_features.trace_time_to_peak_pct,
        trace_features.trace_dist_to_peak_pct,
        trace_features.trace_sticking_depth,
        trace_features.trace_sticking_length_pct,
        trace_features.trace_speed_skew,
        trace_features.trace_end_slope,
        trace_features.trace_start_speed,
        trace_features.trace_mean_to_peak,
        trace_features.trace_speed_cv,
        rep_features.set_rep_count,
        rep_features.set_velocity_loss_pct,
        rep_features.rep_position,
        rep_features.rep_position_pct,
        rep_features.lifter_mean_velocity_m_s,
        rep_features.lifter_rom_mm,
        rep_features.lifter_load_kg,
        rep_features.rel_mean_velocity,
        rep_features.rel_rom,
        rep_features.rel_load,
        rep_features.rel_rom_p90
    from rep_features
    left join trace_features on rep_features.rep_id = trace_features.rep_id
)

select * from final
order by set_id, rep_position
