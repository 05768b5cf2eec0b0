-- Operator API tokens: each belongs to one operator and carries a subset of their permissions
-- (names separated by spaces; at use, only those the operator still holds count). Only the
-- SHA-256 of the token is kept; a revoked or expired token stays listed until its operator
-- is deleted.
CREATE TABLE owums_operator_tokens (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    operator_id VARCHAR(36) NOT NULL,
    name VARCHAR(64) NOT NULL,
    token_hash VARCHAR(64) NOT NULL,
    permissions TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    expires_at DATETIME NULL,
    last_used_at DATETIME NULL,
    last_used_ip VARCHAR(45) NULL,
    revoked_at DATETIME NULL,
    CONSTRAINT owums_operator_tokens_fk FOREIGN KEY (operator_id) REFERENCES owums_operators (id) ON DELETE CASCADE
) ENGINE = INNODB;
CREATE UNIQUE INDEX owums_operator_tokens_hash ON owums_operator_tokens (token_hash);
CREATE INDEX owums_operator_tokens_operator ON owums_operator_tokens (operator_id);
