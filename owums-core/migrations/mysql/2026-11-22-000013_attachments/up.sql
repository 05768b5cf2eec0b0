-- Files an operator-verified method keeps with a verification (a document's photo and its
-- thumbnail), written in the transaction that records the verification
-- (owums_operator_verifications). Personal data: they go with the account (ON DELETE
-- CASCADE), while the verification record itself outlives it. Served only to operators who
-- may browse users.
CREATE TABLE owums_attachments (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    user_id VARCHAR(36) NOT NULL,
    verification_id VARCHAR(36) NOT NULL,
    method VARCHAR(64) NOT NULL,
    kind VARCHAR(32) NOT NULL,
    content_type VARCHAR(100) NOT NULL,
    content LONGBLOB NOT NULL,
    created_at DATETIME NOT NULL,
    CONSTRAINT owums_attachments_user_fk FOREIGN KEY (user_id) REFERENCES owums_users (id) ON DELETE CASCADE
) ENGINE = INNODB;
CREATE INDEX owums_attachments_user ON owums_attachments (user_id, kind);
