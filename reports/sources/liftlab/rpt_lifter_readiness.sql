select * from rpt_lifter_readiness
