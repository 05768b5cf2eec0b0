DROP INDEX IF EXISTS radacct_open_user;
