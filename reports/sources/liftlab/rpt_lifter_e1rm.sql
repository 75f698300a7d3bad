select * from rpt_lifter_e1rm
