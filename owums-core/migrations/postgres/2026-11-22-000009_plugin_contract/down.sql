DROP TABLE owums_operator_verifications;
DROP INDEX owums_plugin_state_lookup;
ALTER TABLE owums_plugin_state DROP COLUMN lookup_key;
