-- The operator console's user list: a search key, a trigram index over it, sort indexes
-- and the web login counter.
--
-- `search_key` holds, one per line, the username, the e-mail, the mobile's digits (no `+`),
-- "given surname" and "surname given"; a search looks for its text inside it. It is a
-- generated column, so every write of the user keeps it right without the code's help.
-- Lines cannot be typed into a search (control characters are refused), so a match never
-- spans two fields.
ALTER TABLE owums_users ADD COLUMN web_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE owums_users ADD COLUMN search_key TEXT GENERATED ALWAYS AS (
    lower(username || char(10) || coalesce(email, '') || char(10)
        || replace(coalesce(mobile, ''), '+', '') || char(10)
        || given_name || ' ' || surname || char(10) || surname || ' ' || given_name)
) VIRTUAL;

-- FTS5 rowids must be integers that stay put, and owums_users' rowid may change on VACUUM
-- (its key is text): each user gets a stable number here, and the trigram index is keyed
-- by it. The index keeps no copy of the text (contentless), only the trigrams.
CREATE TABLE owums_users_search_ids (
    id INTEGER PRIMARY KEY,
    user_id VARCHAR(36) NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE owums_users_search USING fts5(
    search_key, content = '', contentless_delete = 1, tokenize = 'trigram'
);
INSERT INTO owums_users_search_ids (user_id) SELECT id FROM owums_users;
INSERT INTO owums_users_search (rowid, search_key)
    SELECT s.id, u.search_key FROM owums_users u JOIN owums_users_search_ids s ON s.user_id = u.id;

CREATE TRIGGER owums_users_search_insert AFTER INSERT ON owums_users BEGIN
    INSERT INTO owums_users_search_ids (user_id) VALUES (new.id);
    INSERT INTO owums_users_search (rowid, search_key) VALUES (last_insert_rowid(), new.search_key);
END;
CREATE TRIGGER owums_users_search_delete AFTER DELETE ON owums_users BEGIN
    DELETE FROM owums_users_search
        WHERE rowid = (SELECT id FROM owums_users_search_ids WHERE user_id = old.id);
    DELETE FROM owums_users_search_ids WHERE user_id = old.id;
END;
CREATE TRIGGER owums_users_search_update
    AFTER UPDATE OF username, email, mobile, given_name, surname ON owums_users BEGIN
    DELETE FROM owums_users_search
        WHERE rowid = (SELECT id FROM owums_users_search_ids WHERE user_id = old.id);
    INSERT INTO owums_users_search (rowid, search_key)
        VALUES ((SELECT id FROM owums_users_search_ids WHERE user_id = new.id), new.search_key);
END;

-- Sorting the list: one index per sort key, the id as the tie-break.
CREATE INDEX owums_users_created ON owums_users (created_at, id);
CREATE INDEX owums_users_given_name ON owums_users (given_name, id);
CREATE INDEX owums_users_surname ON owums_users (surname, id);
CREATE INDEX owums_users_city ON owums_users (city, id);
CREATE INDEX owums_users_country ON owums_users (country, id);
CREATE INDEX owums_users_verified ON owums_users (verified, created_at, id);
CREATE INDEX owums_users_active ON owums_users (active, created_at, id);
CREATE INDEX owums_users_method ON owums_users (verification_method, created_at, id);
