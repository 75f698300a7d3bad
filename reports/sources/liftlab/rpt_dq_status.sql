select * from rpt_dq_status
