-- Back to the views of 000012_vouchers.
DROP VIEW radcheck;
DROP VIEW radreply;
DROP VIEW radusergroup;
DROP VIEW owums_radius_users;
CREATE VIEW radcheck AS
    SELECT c.id AS id, u.username AS username, c.attribute AS attribute, c.op AS op, c.value AS value
      FROM owums_radius_checks c JOIN owums_users u ON u.id = c.user_id
     WHERE u.verified AND u.active AND u.eula_accepted
       AND NOT EXISTS (SELECT 1 FROM owums_vouchers v JOIN owums_voucher_batches b ON b.id = v.batch_id
                        WHERE v.user_id = u.id
                          AND (b.valid_until <= CURRENT_TIMESTAMP
                               OR (SELECT MIN(CASE WHEN typeof(ra.acctstarttime) IN ('integer', 'real') THEN CAST(ra.acctstarttime AS INTEGER) ELSE CAST(strftime('%s', ra.acctstarttime) AS INTEGER) END) FROM radacct ra WHERE ra.username = u.username) + b.valid_days * 86400 <= CAST(strftime('%s', 'now') AS INTEGER)));

CREATE VIEW radreply AS
    SELECT r.id AS id, u.username AS username, r.attribute AS attribute, r.op AS op, r.value AS value
      FROM owums_radius_replies r JOIN owums_users u ON u.id = r.user_id
     WHERE u.verified AND u.active AND u.eula_accepted
       AND NOT EXISTS (SELECT 1 FROM owums_vouchers v JOIN owums_voucher_batches b ON b.id = v.batch_id
                        WHERE v.user_id = u.id
                          AND (b.valid_until <= CURRENT_TIMESTAMP
                               OR (SELECT MIN(CASE WHEN typeof(ra.acctstarttime) IN ('integer', 'real') THEN CAST(ra.acctstarttime AS INTEGER) ELSE CAST(strftime('%s', ra.acctstarttime) AS INTEGER) END) FROM radacct ra WHERE ra.username = u.username) + b.valid_days * 86400 <= CAST(strftime('%s', 'now') AS INTEGER)));

CREATE VIEW radusergroup AS
    SELECT ug.id AS id, u.username AS username, ug.group_name AS groupname, ug.priority AS priority
      FROM owums_user_groups ug JOIN owums_users u ON u.id = ug.user_id
     WHERE u.verified AND u.active AND u.eula_accepted
       AND NOT EXISTS (SELECT 1 FROM owums_vouchers v JOIN owums_voucher_batches b ON b.id = v.batch_id
                        WHERE v.user_id = u.id
                          AND (b.valid_until <= CURRENT_TIMESTAMP
                               OR (SELECT MIN(CASE WHEN typeof(ra.acctstarttime) IN ('integer', 'real') THEN CAST(ra.acctstarttime AS INTEGER) ELSE CAST(strftime('%s', ra.acctstarttime) AS INTEGER) END) FROM radacct ra WHERE ra.username = u.username) + b.valid_days * 86400 <= CAST(strftime('%s', 'now') AS INTEGER)));
DROP TABLE owums_device_auth;
DROP TABLE owums_devices;
