select * from rpt_cluster_runs
