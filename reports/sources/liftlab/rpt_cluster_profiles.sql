select * from rpt_cluster_profiles
