-- Open sessions of a user: the Simultaneous-Use check of every authorize and the closing of a
-- device's older sessions on every accounting Start. Without it PostgreSQL may combine the
-- username index with radacct_bulk_close (every open session of the NAS, plus the entries of
-- closed ones until VACUUM), which costs more with each session the table holds.
-- CONCURRENTLY (outside a transaction, see metadata.toml): accounting keeps writing while a
-- large radacct is indexed.
CREATE INDEX CONCURRENTLY IF NOT EXISTS radacct_open_user_idx ON radacct (UserName) WHERE AcctStopTime IS NULL;
