-- The mail outbox: every subscriber e-mail is one row, written in the transaction that
-- causes it and delivered later by `owums serve`, so a broken SMTP server neither loses
-- mail nor fails the request. A sender claims a due row with a conditional UPDATE that
-- moves next_attempt_at past its lease and names itself in claimed_by, so two processes
-- never send one mail twice.
CREATE TABLE owums_mail_outbox (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    recipient VARCHAR(254) NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at TIMESTAMP NULL,
    failed_at TIMESTAMP NULL,
    claimed_by VARCHAR(64) NULL
);
CREATE INDEX owums_mail_outbox_due ON owums_mail_outbox (sent_at, failed_at, next_attempt_at);

-- Password-reset links: only the SHA-256 of the token is stored, never the token.
CREATE TABLE owums_password_resets (
    token_hash VARCHAR(64) NOT NULL PRIMARY KEY,
    user_id VARCHAR(36) NOT NULL REFERENCES owums_users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP NULL
);
CREATE INDEX owums_password_resets_user ON owums_password_resets (user_id);
