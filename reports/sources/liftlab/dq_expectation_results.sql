select * from dq_expectation_results
