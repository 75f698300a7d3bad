select * from rpt_lifter_velocity_loss
