select * from rpt_sets_by_week
