-- Indexes for what owums asks of the FreeRADIUS tables: FreeRADIUS' PostgreSQL schema has no
-- index on radacct.username (every authorize counts a user's usage and open sessions by it),
-- none on radacct.acctstoptime (deleting old sessions) nor on radpostauth.authdate.
CREATE INDEX radacct_username_idx ON radacct (UserName);
CREATE INDEX radacct_stoptime_idx ON radacct (AcctStopTime);
CREATE INDEX radpostauth_authdate_idx ON radpostauth (AuthDate);
