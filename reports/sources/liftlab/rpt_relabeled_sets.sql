select * from rpt_relabeled_sets
