DROP TABLE owums_sessions;
