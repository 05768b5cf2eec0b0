-- owums' own tables, and the views FreeRADIUS reads for authorization (radcheck, radreply,
-- radusergroup, radgroupcheck, radgroupreply). A user appears in radcheck, radreply and
-- radusergroup iff verified AND active AND eula_accepted, so any change takes effect on the
-- very next Access-Request and nothing can drift.
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
    radius_attribute VARCHAR(32) NOT NULL,
    radius_password VARCHAR(253) NOT NULL,
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
    group_id INTEGER NULL REFERENCES owums_radius_groups (id) ON DELETE CASCADE,
    user_id VARCHAR(36) NULL REFERENCES owums_users (id) ON DELETE CASCADE,
    attribute VARCHAR(64) NOT NULL,
    op VARCHAR(2) NOT NULL DEFAULT '==',
    value VARCHAR(253) NOT NULL DEFAULT '',
    CHECK ((group_id IS NULL AND user_id IS NOT NULL) OR (group_id IS NOT NULL AND user_id IS NULL))
);
CREATE INDEX owums_radius_checks_group ON owums_radius_checks (group_id);
CREATE INDEX owums_radius_checks_user ON owums_radius_checks (user_id);

CREATE TABLE owums_radius_replies (
    id SERIAL PRIMARY KEY,
    group_id INTEGER NULL REFERENCES owums_radius_groups (id) ON DELETE CASCADE,
    user_id VARCHAR(36) NULL REFERENCES owums_users (id) ON DELETE CASCADE,
    attribute VARCHAR(64) NOT NULL,
    op VARCHAR(2) NOT NULL DEFAULT '=',
    value VARCHAR(253) NOT NULL DEFAULT '',
    CHECK ((group_id IS NULL AND user_id IS NOT NULL) OR (group_id IS NOT NULL AND user_id IS NULL))
);
CREATE INDEX owums_radius_replies_group ON owums_radius_replies (group_id);
CREATE INDEX owums_radius_replies_user ON owums_radius_replies (user_id);

CREATE TABLE owums_user_groups (
    user_id VARCHAR(36) NOT NULL REFERENCES owums_users (id) ON DELETE CASCADE,
    group_id INTEGER NOT NULL REFERENCES owums_radius_groups (id) ON DELETE CASCADE,
    priority INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (user_id, group_id)
);
CREATE INDEX owums_user_groups_group ON owums_user_groups (group_id);

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
    SELECT 0 AS id, u.username AS username, u.radius_attribute AS attribute, ':=' AS op,
           u.radius_password AS value
      FROM owums_users u
     WHERE u.verified AND u.active AND u.eula_accepted
    UNION ALL
    SELECT c.id, u.username, c.attribute, c.op, c.value
      FROM owums_radius_checks c JOIN owums_users u ON u.id = c.user_id
     WHERE u.verified AND u.active AND u.eula_accepted;

CREATE VIEW radreply AS
    SELECT r.id AS id, u.username AS username, r.attribute AS attribute, r.op AS op, r.value AS value
      FROM owums_radius_replies r JOIN owums_users u ON u.id = r.user_id
     WHERE u.verified AND u.active AND u.eula_accepted;

CREATE VIEW radusergroup AS
    SELECT g.id AS id, u.username AS username, g.name AS groupname, ug.priority AS priority
      FROM owums_user_groups ug
      JOIN owums_users u ON u.id = ug.user_id
      JOIN owums_radius_groups g ON g.id = ug.group_id
     WHERE u.verified AND u.active AND u.eula_accepted;

CREATE VIEW radgroupcheck AS
    SELECT c.id AS id, g.name AS groupname, c.attribute AS attribute, c.op AS op, c.value AS value
      FROM owums_radius_checks c JOIN owums_radius_groups g ON g.id = c.group_id;

CREATE VIEW radgroupreply AS
    SELECT r.id AS id, g.name AS groupname, r.attribute AS attribute, r.op AS op, r.value AS value
      FROM owums_radius_replies r JOIN owums_radius_groups g ON g.id = r.group_id;

-- OWUMS' seeded groups: `Users` is the default group of new subscribers.
INSERT INTO owums_radius_groups (name, priority, notes, created_at, updated_at)
    VALUES ('Disabled', 1, 'Rejects its members', (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC'));
INSERT INTO owums_radius_groups (name, priority, notes, created_at, updated_at)
    VALUES ('Users', 1, 'Default group of new subscribers', (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC'));
INSERT INTO owums_radius_checks (group_id, attribute, op, value)
    SELECT id, 'Auth-Type', ':=', 'Reject' FROM owums_radius_groups WHERE name = 'Disabled';
INSERT INTO owums_radius_replies (group_id, attribute, op, value)
    SELECT id, 'Reply-Message', '=', 'Account disabled' FROM owums_radius_groups WHERE name = 'Disabled';
INSERT INTO owums_radius_replies (group_id, attribute, op, value)
    SELECT id, 'Session-Timeout', '=', '3600' FROM owums_radius_groups WHERE name = 'Users';
INSERT INTO owums_radius_replies (group_id, attribute, op, value)
    SELECT id, 'Idle-Timeout', '=', '600' FROM owums_radius_groups WHERE name = 'Users';
