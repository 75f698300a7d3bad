select * from rpt_rejections_by_reason
