-- A lookup key for plugin state: a plugin finds its record by a key it chooses (a payment's
-- transaction id, the SHA-256 of a link's token), unique within the plugin. NULL for state
-- kept by user only (unique indexes allow any number of NULLs on every backend).
ALTER TABLE owums_plugin_state ADD COLUMN lookup_key VARCHAR(128) NULL;
CREATE UNIQUE INDEX owums_plugin_state_lookup ON owums_plugin_state (plugin_id, lookup_key);
