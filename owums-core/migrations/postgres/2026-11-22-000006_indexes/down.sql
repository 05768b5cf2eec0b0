DROP INDEX radpostauth_authdate_idx;
DROP INDEX radacct_stoptime_idx;
DROP INDEX radacct_username_idx;
