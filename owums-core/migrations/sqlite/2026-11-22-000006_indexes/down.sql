DROP INDEX radpostauth_authdate;
