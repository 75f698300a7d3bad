select * from rpt_lifter_better_peers
