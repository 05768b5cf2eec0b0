-- The tables FreeRADIUS 3.2 writes (rlm_sql, sqlite dialect): stock names, columns and indexes.
-- Times in radacct/nasreload are Unix epoch integers, as the stock sqlite queries write them.
CREATE TABLE radacct (
    radacctid INTEGER PRIMARY KEY AUTOINCREMENT,
    acctsessionid varchar(64) NOT NULL DEFAULT '',
    acctuniqueid varchar(32) NOT NULL DEFAULT '',
    username varchar(64) NOT NULL DEFAULT '',
    realm varchar(64) DEFAULT '',
    nasipaddress varchar(15) NOT NULL DEFAULT '',
    nasportid varchar(32) DEFAULT NULL,
    nasporttype varchar(32) DEFAULT NULL,
    acctstarttime datetime NULL DEFAULT NULL,
    acctupdatetime datetime NULL DEFAULT NULL,
    acctstoptime datetime NULL DEFAULT NULL,
    acctinterval int(12) DEFAULT NULL,
    acctsessiontime int(12) DEFAULT NULL,
    acctauthentic varchar(32) DEFAULT NULL,
    connectinfo_start varchar(128) DEFAULT NULL,
    connectinfo_stop varchar(128) DEFAULT NULL,
    acctinputoctets bigint(20) DEFAULT NULL,
    acctoutputoctets bigint(20) DEFAULT NULL,
    calledstationid varchar(50) NOT NULL DEFAULT '',
    callingstationid varchar(50) NOT NULL DEFAULT '',
    acctterminatecause varchar(32) NOT NULL DEFAULT '',
    servicetype varchar(32) DEFAULT NULL,
    framedprotocol varchar(32) DEFAULT NULL,
    framedipaddress varchar(15) NOT NULL DEFAULT '',
    framedipv6address varchar(45) NOT NULL DEFAULT '',
    framedipv6prefix varchar(45) NOT NULL DEFAULT '',
    framedinterfaceid varchar(44) NOT NULL DEFAULT '',
    delegatedipv6prefix varchar(45) NOT NULL DEFAULT '',
    class varchar(64) DEFAULT NULL
);
CREATE UNIQUE INDEX acctuniqueid ON radacct(acctuniqueid);
CREATE INDEX username ON radacct(username);
CREATE INDEX framedipaddress ON radacct(framedipaddress);
CREATE INDEX framedipv6address ON radacct(framedipv6address);
CREATE INDEX framedipv6prefix ON radacct(framedipv6prefix);
CREATE INDEX framedinterfaceid ON radacct(framedinterfaceid);
CREATE INDEX delegatedipv6prefix ON radacct(delegatedipv6prefix);
CREATE INDEX acctsessionid ON radacct(acctsessionid);
CREATE INDEX acctsessiontime ON radacct(acctsessiontime);
CREATE INDEX acctstarttime ON radacct(acctstarttime);
CREATE INDEX acctinterval ON radacct(acctinterval);
CREATE INDEX acctstoptime ON radacct(acctstoptime);
CREATE INDEX nasipaddress ON radacct(nasipaddress);
CREATE INDEX class ON radacct(class);

CREATE TABLE radpostauth (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username varchar(64) NOT NULL DEFAULT '',
    pass varchar(64) NOT NULL DEFAULT '',
    reply varchar(32) NOT NULL DEFAULT '',
    authdate timestamp NOT NULL,
    class varchar(64) DEFAULT NULL
);
CREATE INDEX radpostauth_username ON radpostauth(username);
CREATE INDEX radpostauth_class ON radpostauth(class);
-- An accepted password is never kept, whatever the post-auth query writes.
CREATE TRIGGER radpostauth_no_accepted_password AFTER INSERT ON radpostauth
WHEN NEW.reply = 'Access-Accept' AND NEW.pass <> ''
BEGIN
    UPDATE radpostauth SET pass = '' WHERE id = NEW.id;
END;

CREATE TABLE nas (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    nasname varchar(128) NOT NULL,
    shortname varchar(32),
    type varchar(30) DEFAULT 'other',
    ports int(5),
    secret varchar(60) DEFAULT 'secret' NOT NULL,
    server varchar(64),
    community varchar(50),
    description varchar(200) DEFAULT 'RADIUS Client'
);
CREATE INDEX nasname ON nas(nasname);

CREATE TABLE nasreload (
    nasipaddress varchar(15) PRIMARY KEY,
    reloadtime datetime NOT NULL
);
