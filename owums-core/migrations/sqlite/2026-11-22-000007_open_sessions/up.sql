-- Open sessions of a user (Simultaneous-Use, closing a device's older sessions on a Start):
-- a small index that holds only the open ones.
CREATE INDEX radacct_open_user ON radacct(username) WHERE acctstoptime IS NULL;
