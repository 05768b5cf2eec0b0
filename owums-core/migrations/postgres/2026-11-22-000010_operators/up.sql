-- The operator console: the WISP's staff (operators, with OWUMS' permissions stored as
-- their names separated by spaces), their one-time recovery codes (SHA-256 only), the
-- audit log of what they did, and the single-use link that creates the first one.
-- Operator sessions live in owums_sessions (kind `operator`), which gains their id.
CREATE TABLE owums_operators (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    username VARCHAR(64) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    permissions TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    notes TEXT NULL,
    totp_secret VARCHAR(64) NULL,
    totp_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    -- the last 30-second step whose code was accepted: a code works once
    totp_last_step BIGINT NULL,
    login_count BIGINT NOT NULL DEFAULT 0,
    current_login_at TIMESTAMP NULL,
    current_login_ip VARCHAR(45) NULL,
    last_login_at TIMESTAMP NULL,
    last_login_ip VARCHAR(45) NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX owums_operators_username ON owums_operators (username);

CREATE TABLE owums_operator_recovery_codes (
    operator_id VARCHAR(36) NOT NULL REFERENCES owums_operators (id) ON DELETE CASCADE,
    code_hash VARCHAR(64) NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (operator_id, code_hash)
);

-- Who did what, on what, from where: `changes` is a JSON list of {field, before, after}
-- that never holds a password or a second-factor secret. The operator's username is
-- copied, so the row still says who it was after a rename.
CREATE TABLE owums_audit_log (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    operator_id VARCHAR(36) NULL,
    operator_username VARCHAR(64) NOT NULL,
    action VARCHAR(64) NOT NULL,
    target_kind VARCHAR(32) NULL,
    target_id VARCHAR(64) NULL,
    target_label VARCHAR(255) NULL,
    changes TEXT NOT NULL,
    client_ip VARCHAR(45) NULL
);
CREATE INDEX owums_audit_log_at ON owums_audit_log (at);
CREATE INDEX owums_audit_log_operator ON owums_audit_log (operator_id, at);
CREATE INDEX owums_audit_log_target ON owums_audit_log (target_kind, target_id, at);
CREATE INDEX owums_audit_log_action ON owums_audit_log (action, at);

-- The first-run link (`owums serve` with no operator): the SHA-256 of its token.
CREATE TABLE owums_operator_setup (
    token_hash VARCHAR(64) NOT NULL PRIMARY KEY,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

ALTER TABLE owums_sessions ADD COLUMN operator_id VARCHAR(36) NULL;
CREATE INDEX owums_sessions_operator ON owums_sessions (operator_id);
