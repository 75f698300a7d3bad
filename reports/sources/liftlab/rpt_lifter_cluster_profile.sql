select * from rpt_lifter_cluster_profile
