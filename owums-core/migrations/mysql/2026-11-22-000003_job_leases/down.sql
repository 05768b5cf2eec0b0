DROP TABLE owums_job_leases;
