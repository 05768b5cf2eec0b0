DROP TABLE nasreload;
DROP TABLE nas;
DROP TABLE radpostauth;
DROP FUNCTION radpostauth_no_accepted_password();
DROP TABLE radacct;
