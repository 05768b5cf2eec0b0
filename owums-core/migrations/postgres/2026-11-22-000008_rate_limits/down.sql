DROP TABLE owums_rate_limits;
