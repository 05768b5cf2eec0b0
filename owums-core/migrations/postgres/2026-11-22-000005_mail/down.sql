DROP TABLE owums_password_resets;
DROP TABLE owums_mail_outbox;
