select * from rpt_lifter_lifts
