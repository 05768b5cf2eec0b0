-- Scheduled jobs hold a lease here, so that several `owums serve` processes never run the
-- same job at once, and remember when each job last ran.
CREATE TABLE owums_job_leases (
    job VARCHAR(64) NOT NULL PRIMARY KEY,
    holder VARCHAR(64) NOT NULL DEFAULT '',
    generation BIGINT NOT NULL DEFAULT 0,
    expires_at TIMESTAMP NOT NULL,
    last_run_at TIMESTAMP NULL
);
