DROP INDEX radpostauth_authdate ON radpostauth;
