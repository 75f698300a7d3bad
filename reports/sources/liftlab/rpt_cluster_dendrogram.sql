select * from rpt_cluster_dendrogram
