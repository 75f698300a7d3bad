select * from rpt_confusion_matrix
