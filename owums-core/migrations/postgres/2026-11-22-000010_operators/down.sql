DROP INDEX owums_sessions_operator;
ALTER TABLE owums_sessions DROP COLUMN operator_id;
DROP TABLE owums_operator_setup;
DROP TABLE owums_audit_log;
DROP TABLE owums_operator_recovery_codes;
DROP TABLE owums_operators;
