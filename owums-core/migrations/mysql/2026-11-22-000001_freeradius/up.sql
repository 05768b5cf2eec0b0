-- The tables FreeRADIUS 3.2 writes (rlm_sql, mysql dialect): stock names, columns and indexes.
CREATE TABLE radacct (
    radacctid bigint(21) NOT NULL AUTO_INCREMENT,
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
    acctsessiontime int(12) unsigned DEFAULT NULL,
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
    class varchar(64) DEFAULT NULL,
    PRIMARY KEY (radacctid),
    UNIQUE KEY acctuniqueid (acctuniqueid),
    KEY username (username),
    KEY framedipaddress (framedipaddress),
    KEY framedipv6address (framedipv6address),
    KEY framedipv6prefix (framedipv6prefix),
    KEY framedinterfaceid (framedinterfaceid),
    KEY delegatedipv6prefix (delegatedipv6prefix),
    KEY acctsessionid (acctsessionid),
    KEY acctsessiontime (acctsessiontime),
    KEY acctstarttime (acctstarttime),
    KEY acctinterval (acctinterval),
    KEY acctstoptime (acctstoptime),
    KEY nasipaddress (nasipaddress),
    KEY class (class)
) ENGINE = INNODB;

CREATE TABLE radpostauth (
    id int(11) NOT NULL AUTO_INCREMENT,
    username varchar(64) NOT NULL DEFAULT '',
    pass varchar(64) NOT NULL DEFAULT '',
    reply varchar(32) NOT NULL DEFAULT '',
    authdate timestamp(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    class varchar(64) DEFAULT NULL,
    PRIMARY KEY (id),
    KEY username (username),
    KEY class (class)
) ENGINE = INNODB;
-- An accepted password is never kept, whatever the post-auth query writes.
CREATE TRIGGER radpostauth_no_accepted_password BEFORE INSERT ON radpostauth
    FOR EACH ROW SET NEW.pass = IF(NEW.reply = 'Access-Accept', '', NEW.pass);

CREATE TABLE nas (
    id int(10) NOT NULL AUTO_INCREMENT,
    nasname varchar(128) NOT NULL,
    shortname varchar(32),
    type varchar(30) DEFAULT 'other',
    ports int(5),
    secret varchar(60) DEFAULT 'secret' NOT NULL,
    server varchar(64),
    community varchar(50),
    description varchar(200) DEFAULT 'RADIUS Client',
    PRIMARY KEY (id),
    KEY nasname (nasname)
) ENGINE = INNODB;

CREATE TABLE nasreload (
    nasipaddress varchar(15) NOT NULL,
    reloadtime datetime NOT NULL,
    PRIMARY KEY (nasipaddress)
) ENGINE = INNODB;
