-- Rejected records counted by level and reason (data-quality page). Only counts leave the
-- warehouse: no raw text, no file paths.

select
    level || '|' || reason as rejection_reason_id,
    level,
    reason,
    count(*) as records,
    count(distinct source_file) as files,
    count(distinct set_id) as set_count
from {{ ref('rejected_records') }}
group by level, reason
