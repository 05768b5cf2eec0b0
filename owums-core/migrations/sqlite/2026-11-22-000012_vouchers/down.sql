DROP VIEW radcheck;
DROP VIEW radreply;
DROP VIEW radusergroup;
CREATE VIEW radcheck AS
    SELECT c.id AS id, u.username AS username, c.attribute AS attribute, c.op AS op, c.value AS value
      FROM owums_radius_checks c JOIN owums_users u ON u.id = c.user_id
     WHERE u.verified AND u.active AND u.eula_accepted;

CREATE VIEW radreply AS
    SELECT r.id AS id, u.username AS username, r.attribute AS attribute, r.op AS op, r.value AS value
      FROM owums_radius_replies r JOIN owums_users u ON u.id = r.user_id
     WHERE u.verified AND u.active AND u.eula_accepted;

CREATE VIEW radusergroup AS
    SELECT ug.id AS id, u.username AS username, ug.group_name AS groupname, ug.priority AS priority
      FROM owums_user_groups ug JOIN owums_users u ON u.id = ug.user_id
     WHERE u.verified AND u.active AND u.eula_accepted;
DROP TABLE owums_vouchers;
DROP TABLE owums_voucher_batches;
DROP TABLE owums_radius_generation;
