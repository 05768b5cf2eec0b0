DROP TABLE owums_operator_tokens;
