select * from rpt_coach_lifters
