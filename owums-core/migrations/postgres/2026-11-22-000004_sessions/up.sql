-- Server-side sessions, shared by every `owums serve` process: the browser (kind `web`) or
-- an API client (kind `api`) holds a random token; only its SHA-256 is stored, so a copy of
-- the database does not let anyone take over a session. Anonymous sessions (no user yet)
-- carry the CSRF token and the language chosen before logging in.
CREATE TABLE owums_sessions (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    user_id VARCHAR(36) NULL REFERENCES owums_users (id) ON DELETE CASCADE,
    csrf_token VARCHAR(64) NOT NULL,
    locale VARCHAR(8) NULL,
    kind VARCHAR(8) NOT NULL,
    data TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX owums_sessions_user ON owums_sessions (user_id);
CREATE INDEX owums_sessions_expires ON owums_sessions (expires_at);
