-- Records read and where they went, long form: one row per level x disposition
-- (data-quality page).

select
    counts.level || '|' || d.disposition as record_count_id,
    counts.level,
    d.disposition,
    d.disposition_order,
    d.records,
    counts.records_read,
    100.0 * d.records / nullif(counts.records_read, 0) as pct_of_read
from {{ ref('fct_record_counts') }} as counts
cross join lateral (
    values
    ('kept', 1, counts.records_kept),
    ('quarantined', 2, counts.records_quarantined),
    ('superseded', 3, counts.records_superseded),
    ('deleted', 4, counts.records_deleted),
    ('removed', 5, counts.records_removed)
) as d (disposition, disposition_order, records)
