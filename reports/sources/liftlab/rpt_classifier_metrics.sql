select * from rpt_classifier_metrics
