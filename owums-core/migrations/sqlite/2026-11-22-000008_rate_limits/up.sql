-- Attempt counters of the rate limits, shared by every `owums serve` process on this
-- database. `key_hash` is the SHA-256 (hex) of what is counted (an action with a client
-- address or an account), so no address or account name is stored in clear; a window
-- closes at `window_ends` (Unix seconds) and its row is swept by housekeeping after that.
CREATE TABLE owums_rate_limits (
    key_hash VARCHAR(64) NOT NULL PRIMARY KEY,
    hits BIGINT NOT NULL,
    window_ends BIGINT NOT NULL
);
CREATE INDEX owums_rate_limits_window_ends ON owums_rate_limits (window_ends);
