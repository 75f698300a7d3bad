select * from rpt_overview
