DROP TABLE owums_operator_verifications;
DROP INDEX owums_plugin_state_lookup ON owums_plugin_state;
ALTER TABLE owums_plugin_state DROP COLUMN lookup_key;
