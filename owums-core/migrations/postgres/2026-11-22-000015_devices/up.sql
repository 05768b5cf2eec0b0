-- Devices subscribers (or operators for them) register for MAC authentication: an access
-- controller (CoovaChilli `macauth`) sends the device's MAC as User-Name. The MAC is stored
-- as owums shows it, `AA-BB-CC-DD-EE-FF` (upper case, `-`): CoovaChilli's own spelling, and
-- what freeradius/sql/policy.d/owums (`owums_mac`) rewrites the other spellings to before
-- `sql` runs. Unique across all subscribers; the rows go with their subscriber.
CREATE TABLE owums_devices (
    id SERIAL PRIMARY KEY,
    user_id VARCHAR(36) NOT NULL REFERENCES owums_users (id) ON DELETE CASCADE,
    mac VARCHAR(17) NOT NULL,
    label VARCHAR(64) NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR(64) NULL
);
CREATE UNIQUE INDEX owums_devices_mac ON owums_devices (mac);
CREATE INDEX owums_devices_user ON owums_devices (user_id);

-- Whether MAC authentication is on (the mac_address plugin is enabled) and the password the
-- controller sends with it (`macpasswd`; NULL: the MAC itself). owums serve writes it at
-- start from [plugins.mac_address]; off until then. One row.
CREATE TABLE owums_device_auth (
    id INTEGER NOT NULL PRIMARY KEY,
    enabled BOOLEAN NOT NULL DEFAULT FALSE,
    password VARCHAR(128) NULL
);
INSERT INTO owums_device_auth (id, enabled, password) VALUES (1, FALSE, NULL);

-- The subscribers FreeRADIUS may let in (verified, active, EULA accepted, not an expired
-- voucher), once, for the three views. A registered device of such a subscriber is one more
-- User-Name: its password row (the `macpasswd` or the MAC, as Cleartext-Password), the
-- owner's other check items, the owner's reply items and the owner's groups.
DROP VIEW radcheck;
DROP VIEW radreply;
DROP VIEW radusergroup;
CREATE VIEW owums_radius_users AS
    SELECT u.id AS id, u.username AS username
      FROM owums_users u
     WHERE u.verified AND u.active AND u.eula_accepted
       AND NOT EXISTS (SELECT 1 FROM owums_vouchers v JOIN owums_voucher_batches b ON b.id = v.batch_id
                        WHERE v.user_id = u.id
                          AND (b.valid_until <= (now() AT TIME ZONE 'UTC')
                               OR (SELECT MIN(ra.acctstarttime) FROM radacct ra WHERE ra.username = u.username) + b.valid_days * INTERVAL '1 day' <= now()));

CREATE VIEW radcheck AS
    SELECT c.id AS id, v.username AS username, c.attribute AS attribute, c.op AS op, c.value AS value
      FROM owums_radius_checks c JOIN owums_radius_users v ON v.id = c.user_id
    UNION ALL
    SELECT c.id, d.mac, c.attribute, c.op, c.value
      FROM owums_radius_checks c JOIN owums_devices d ON d.user_id = c.user_id
      JOIN owums_radius_users v ON v.id = d.user_id JOIN owums_device_auth a ON a.id = 1
     WHERE a.enabled AND c.attribute NOT IN ('Crypt-Password', 'NT-Password', 'Cleartext-Password', 'User-Password')
    UNION ALL
    SELECT d.id, d.mac, 'Cleartext-Password', ':=', COALESCE(a.password, d.mac)
      FROM owums_devices d JOIN owums_radius_users v ON v.id = d.user_id JOIN owums_device_auth a ON a.id = 1
     WHERE a.enabled;

CREATE VIEW radreply AS
    SELECT r.id AS id, v.username AS username, r.attribute AS attribute, r.op AS op, r.value AS value
      FROM owums_radius_replies r JOIN owums_radius_users v ON v.id = r.user_id
    UNION ALL
    SELECT r.id, d.mac, r.attribute, r.op, r.value
      FROM owums_radius_replies r JOIN owums_devices d ON d.user_id = r.user_id
      JOIN owums_radius_users v ON v.id = d.user_id JOIN owums_device_auth a ON a.id = 1
     WHERE a.enabled;

CREATE VIEW radusergroup AS
    SELECT ug.id AS id, v.username AS username, ug.group_name AS groupname, ug.priority AS priority
      FROM owums_user_groups ug JOIN owums_radius_users v ON v.id = ug.user_id
    UNION ALL
    SELECT ug.id, d.mac, ug.group_name, ug.priority
      FROM owums_user_groups ug JOIN owums_devices d ON d.user_id = ug.user_id
      JOIN owums_radius_users v ON v.id = d.user_id JOIN owums_device_auth a ON a.id = 1
     WHERE a.enabled;
