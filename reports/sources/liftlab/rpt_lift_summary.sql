select * from rpt_lift_summary
