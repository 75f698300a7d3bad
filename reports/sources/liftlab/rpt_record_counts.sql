select * from rpt_record_counts
