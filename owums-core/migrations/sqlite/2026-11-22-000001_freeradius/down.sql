DROP TABLE nasreload;
DROP TABLE nas;
DROP TRIGGER radpostauth_no_accepted_password;
DROP TABLE radpostauth;
DROP TABLE radacct;
