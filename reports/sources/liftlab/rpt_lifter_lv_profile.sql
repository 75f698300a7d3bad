select * from rpt_lifter_lv_profile
