-- A lookup key for plugin state: a plugin finds its record by a key it chooses (a payment's
-- transaction id, the SHA-256 of a link's token), unique within the plugin. NULL for state
-- kept by user only (unique indexes allow any number of NULLs on every backend).
ALTER TABLE owums_plugin_state ADD COLUMN lookup_key VARCHAR(128) NULL;
CREATE UNIQUE INDEX owums_plugin_state_lookup ON owums_plugin_state (plugin_id, lookup_key);

-- Verifications done by an operator (an identity document checked at a desk): who verified
-- whom, when, with which method and what evidence (JSON the method decides). Written in the
-- transaction that verifies the subscriber. No foreign key: the record is kept for the legal
-- record when the account goes (it names the username it had).
CREATE TABLE owums_operator_verifications (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    user_id VARCHAR(36) NOT NULL,
    username VARCHAR(64) NOT NULL,
    operator VARCHAR(64) NOT NULL,
    method VARCHAR(64) NOT NULL,
    evidence TEXT NOT NULL,
    verified_at TIMESTAMP NOT NULL
);
CREATE INDEX owums_operator_verifications_user ON owums_operator_verifications (user_id);
