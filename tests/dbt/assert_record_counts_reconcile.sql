-- Every record read is accounted for exactly once: documents read = sets kept +
-- quarantined + superseded + deleted; reps read = kept + quarantined + removed +
-- superseded + deleted. Returns the levels that do not add up.
select
    level,
    records_read,
    records_accounted
from {{ ref('fct_record_counts') }}
where records_read != records_accounted
