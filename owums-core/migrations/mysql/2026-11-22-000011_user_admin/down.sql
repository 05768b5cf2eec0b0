DROP INDEX owums_users_method ON owums_users;
DROP INDEX owums_users_active ON owums_users;
DROP INDEX owums_users_country ON owums_users;
DROP INDEX owums_users_city ON owums_users;
DROP INDEX owums_users_surname ON owums_users;
DROP INDEX owums_users_given_name ON owums_users;
DROP INDEX owums_users_created ON owums_users;
ALTER TABLE owums_users DROP COLUMN search_key;
ALTER TABLE owums_users DROP COLUMN web_logins;
