-- The generation of RADIUS profiles: every change an operator makes to a group, a group's
-- check or reply items, or a subscriber's own items bumps it in the same transaction. The
-- REST authorize cache of every `owums serve` process compares it with the generation its
-- entries were read at, so such a change is seen on the next Access-Request whichever
-- process (console, command line) made it. One row.
CREATE TABLE owums_radius_generation (
    id INTEGER NOT NULL PRIMARY KEY,
    generation BIGINT NOT NULL
) ENGINE = INNODB;
INSERT INTO owums_radius_generation (id, generation) VALUES (1, 0);

-- Voucher batches: vouchers are subscribers (method `voucher`) generated together with a
-- prefix, a password length, a group and a validity: until `valid_until` (UTC, exclusive) or
-- `valid_days` days after first use. First use is the earliest acctstarttime of the
-- voucher's username in radacct (a Start, or an Interim-Update without one), read through
-- radacct's username index: in SQL mode FreeRADIUS writes radacct itself, so owums could
-- not record it anywhere else.
CREATE TABLE owums_voucher_batches (
    id INTEGER PRIMARY KEY AUTO_INCREMENT NOT NULL,
    name VARCHAR(64) NOT NULL,
    prefix VARCHAR(32) NOT NULL,
    group_name VARCHAR(64) NOT NULL,
    password_length INTEGER NOT NULL,
    valid_until DATETIME NULL,
    valid_days INTEGER NULL,
    created_at DATETIME NOT NULL,
    created_by VARCHAR(64) NULL
) ENGINE = INNODB;
CREATE UNIQUE INDEX owums_voucher_batches_name ON owums_voucher_batches (name);

CREATE TABLE owums_vouchers (
    user_id VARCHAR(36) NOT NULL PRIMARY KEY REFERENCES owums_users (id) ON DELETE CASCADE,
    batch_id INTEGER NOT NULL REFERENCES owums_voucher_batches (id) ON DELETE CASCADE
) ENGINE = INNODB;
CREATE INDEX owums_vouchers_batch ON owums_vouchers (batch_id);

-- The views FreeRADIUS reads leave out expired vouchers. MariaDB/MySQL: owums' times are UTC DATETIME (compared with UTC_TIMESTAMP()); radacct's
-- DATETIMEs are written by FreeRADIUS (FROM_UNIXTIME) or owums in the session time zone, so
-- they are compared with NOW() in that same zone.
DROP VIEW radcheck;
DROP VIEW radreply;
DROP VIEW radusergroup;
CREATE VIEW radcheck AS
    SELECT c.id AS id, u.username AS username, c.attribute AS attribute, c.op AS op, c.value AS value
      FROM owums_radius_checks c JOIN owums_users u ON u.id = c.user_id
     WHERE u.verified AND u.active AND u.eula_accepted
       AND NOT EXISTS (SELECT 1 FROM owums_vouchers v JOIN owums_voucher_batches b ON b.id = v.batch_id
                        WHERE v.user_id = u.id
                          AND (b.valid_until <= UTC_TIMESTAMP()
                               OR DATE_ADD((SELECT MIN(ra.acctstarttime) FROM radacct ra WHERE ra.username = u.username), INTERVAL b.valid_days DAY) <= NOW()));

CREATE VIEW radreply AS
    SELECT r.id AS id, u.username AS username, r.attribute AS attribute, r.op AS op, r.value AS value
      FROM owums_radius_replies r JOIN owums_users u ON u.id = r.user_id
     WHERE u.verified AND u.active AND u.eula_accepted
       AND NOT EXISTS (SELECT 1 FROM owums_vouchers v JOIN owums_voucher_batches b ON b.id = v.batch_id
                        WHERE v.user_id = u.id
                          AND (b.valid_until <= UTC_TIMESTAMP()
                               OR DATE_ADD((SELECT MIN(ra.acctstarttime) FROM radacct ra WHERE ra.username = u.username), INTERVAL b.valid_days DAY) <= NOW()));

CREATE VIEW radusergroup AS
    SELECT ug.id AS id, u.username AS username, ug.group_name AS groupname, ug.priority AS priority
      FROM owums_user_groups ug JOIN owums_users u ON u.id = ug.user_id
     WHERE u.verified AND u.active AND u.eula_accepted
       AND NOT EXISTS (SELECT 1 FROM owums_vouchers v JOIN owums_voucher_batches b ON b.id = v.batch_id
                        WHERE v.user_id = u.id
                          AND (b.valid_until <= UTC_TIMESTAMP()
                               OR DATE_ADD((SELECT MIN(ra.acctstarttime) FROM radacct ra WHERE ra.username = u.username), INTERVAL b.valid_days DAY) <= NOW()));
