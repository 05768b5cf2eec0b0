-- owums' own tables, and the views FreeRADIUS reads for authorization (radcheck, radreply,
-- radusergroup, radgroupcheck, radgroupreply). A user appears in radcheck, radreply and
-- radusergroup iff verified AND active AND eula_accepted, so any change takes effect on the
-- very next Access-Request and nothing can drift. The user's RADIUS password is one of their
-- check rows (as in FreeRADIUS' own model) and memberships name their group, so each view is
-- one join: FreeRADIUS prepares every query anew, and simple views keep that cheap. Group
-- attributes do not depend on any user's state, so they are kept in FreeRADIUS' own
-- radgroupcheck and radgroupreply tables (stock columns and indexes; a foreign key to the
-- group makes renames and deletes cascade).
CREATE TABLE owums_users (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    username VARCHAR(64) NOT NULL,
    email VARCHAR(254),
    mobile VARCHAR(16),
    given_name VARCHAR(100) NOT NULL DEFAULT '',
    surname VARCHAR(100) NOT NULL DEFAULT '',
    birth_date DATE,
    address VARCHAR(200) NOT NULL DEFAULT '',
    city VARCHAR(100) NOT NULL DEFAULT '',
    zip VARCHAR(20) NOT NULL DEFAULT '',
    country VARCHAR(100) NOT NULL DEFAULT '',
    verification_method VARCHAR(32) NOT NULL,
    verified BOOLEAN NOT NULL DEFAULT FALSE,
    verified_at TIMESTAMP NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    eula_accepted BOOLEAN NOT NULL DEFAULT FALSE,
    privacy_accepted BOOLEAN NOT NULL DEFAULT FALSE,
    locale VARCHAR(8) NOT NULL DEFAULT 'en',
    notes TEXT,
    password_hash VARCHAR(255) NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX owums_users_username ON owums_users (username);
CREATE UNIQUE INDEX owums_users_email ON owums_users (email);
CREATE UNIQUE INDEX owums_users_mobile ON owums_users (mobile);
CREATE INDEX owums_users_state ON owums_users (verified, active, created_at);

CREATE TABLE owums_radius_groups (
    id SERIAL PRIMARY KEY,
    name VARCHAR(64) NOT NULL,
    priority INTEGER NOT NULL DEFAULT 1,
    notes TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX owums_radius_groups_name ON owums_radius_groups (name);

CREATE TABLE owums_radius_checks (
    id SERIAL PRIMARY KEY,
    user_id VARCHAR(36) NOT NULL REFERENCES owums_users (id) ON DELETE CASCADE,
    attribute VARCHAR(64) NOT NULL,
    op VARCHAR(2) NOT NULL DEFAULT '==',
    value VARCHAR(253) NOT NULL DEFAULT ''
);
CREATE INDEX owums_radius_checks_user ON owums_radius_checks (user_id);

CREATE TABLE owums_radius_replies (
    id SERIAL PRIMARY KEY,
    user_id VARCHAR(36) NOT NULL REFERENCES owums_users (id) ON DELETE CASCADE,
    attribute VARCHAR(64) NOT NULL,
    op VARCHAR(2) NOT NULL DEFAULT '=',
    value VARCHAR(253) NOT NULL DEFAULT ''
);
CREATE INDEX owums_radius_replies_user ON owums_radius_replies (user_id);

CREATE TABLE radgroupcheck (
    id serial PRIMARY KEY,
    GroupName text NOT NULL DEFAULT '' REFERENCES owums_radius_groups (name) ON UPDATE CASCADE ON DELETE CASCADE,
    Attribute text NOT NULL DEFAULT '',
    op VARCHAR(2) NOT NULL DEFAULT '==',
    Value text NOT NULL DEFAULT ''
);
CREATE INDEX radgroupcheck_GroupName ON radgroupcheck (GroupName, Attribute);

CREATE TABLE radgroupreply (
    id serial PRIMARY KEY,
    GroupName text NOT NULL DEFAULT '' REFERENCES owums_radius_groups (name) ON UPDATE CASCADE ON DELETE CASCADE,
    Attribute text NOT NULL DEFAULT '',
    op VARCHAR(2) NOT NULL DEFAULT '=',
    Value text NOT NULL DEFAULT ''
);
CREATE INDEX radgroupreply_GroupName ON radgroupreply (GroupName, Attribute);

CREATE TABLE owums_user_groups (
    id SERIAL PRIMARY KEY,
    user_id VARCHAR(36) NOT NULL REFERENCES owums_users (id) ON DELETE CASCADE,
    group_name VARCHAR(64) NOT NULL REFERENCES owums_radius_groups (name) ON UPDATE CASCADE ON DELETE CASCADE,
    priority INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX owums_user_groups_member ON owums_user_groups (user_id, group_name);
CREATE INDEX owums_user_groups_group ON owums_user_groups (group_name);

CREATE TABLE owums_settings (
    name VARCHAR(100) NOT NULL PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE owums_plugin_state (
    plugin_id VARCHAR(64) NOT NULL,
    user_id VARCHAR(36) NOT NULL REFERENCES owums_users (id) ON DELETE CASCADE,
    data TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (plugin_id, user_id)
);

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

-- OWUMS' seeded groups: `Users` is the default group of new subscribers.
INSERT INTO owums_radius_groups (name, priority, notes, created_at, updated_at)
    VALUES ('Disabled', 1, 'Rejects its members', (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC'));
INSERT INTO owums_radius_groups (name, priority, notes, created_at, updated_at)
    VALUES ('Users', 1, 'Default group of new subscribers', (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC'));
INSERT INTO radgroupcheck (groupname, attribute, op, value) VALUES ('Disabled', 'Auth-Type', ':=', 'Reject');
INSERT INTO radgroupreply (groupname, attribute, op, value) VALUES ('Disabled', 'Reply-Message', '=', 'Account disabled');
INSERT INTO radgroupreply (groupname, attribute, op, value) VALUES ('Users', 'Session-Timeout', '=', '3600');
INSERT INTO radgroupreply (groupname, attribute, op, value) VALUES ('Users', 'Idle-Timeout', '=', '600');
