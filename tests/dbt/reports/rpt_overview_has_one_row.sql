-- The overview's key figures are one row.

select count(*) as n_rows
from {{ ref('rpt_overview') }}
having count(*) != 1
