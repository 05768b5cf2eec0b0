-- Deleting old post-auth rows (`owums postauth delete-older-than`) goes by authdate.
CREATE INDEX radpostauth_authdate ON radpostauth (authdate);
