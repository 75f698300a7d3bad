-- No mart column may hold a device MAC address; pseudonymous ids are 16 hex characters.
select
    'fct_reps.device_id' as column_name,
    device_id as offending_value
from {{ ref('fct_reps') }}
where not regexp_full_match(device_id, '[0-9a-f]{16}')
union all
select
    'dim_lifters.lifter_id' as column_name,
    lifter_id as offending_value
from {{ ref('dim_lifters') }}
where not regexp_full_match(lifter_id, '[0-9a-f]{16}')
union all
select
    'rejected_records.raw_text' as column_name,
    raw_text as offending_value
from {{ ref('rejected_records') }}
where regexp_matches(raw_text, {{ mac_address_pattern() }})
