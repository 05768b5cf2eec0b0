DROP TABLE owums_attachments;
