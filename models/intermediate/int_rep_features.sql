-- The classifier's rep features that SQL computes; the rules are macros/rep_features.sql.

{{ rep_features_sql(ref('int_reps_decoded'), ref('int_sets_aggregated')) }}
