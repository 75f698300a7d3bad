select * from rpt_lifter_pca
