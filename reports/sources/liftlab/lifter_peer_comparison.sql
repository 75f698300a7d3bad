select * from lifter_peer_comparison
