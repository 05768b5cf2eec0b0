-- The operator console's user list: a search key, sort indexes and the web login counter.
--
-- `search_key` holds, one per line, the username, the e-mail, the mobile's digits (no `+`),
-- "given surname" and "surname given", lowercase; a search looks for its text inside it.
-- MariaDB has no trigram index: the search reads the column of every row (the same results
-- as SQLite and PostgreSQL, slower on a large base).
ALTER TABLE owums_users ADD COLUMN web_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE owums_users ADD COLUMN search_key VARCHAR(800) AS (
    LOWER(CONCAT_WS('\n', username, COALESCE(email, ''), REPLACE(COALESCE(mobile, ''), '+', ''),
        CONCAT(given_name, ' ', surname), CONCAT(surname, ' ', given_name)))
) STORED;

-- Sorting the list: one index per sort key, the id as the tie-break.
CREATE INDEX owums_users_created ON owums_users (created_at, id);
CREATE INDEX owums_users_given_name ON owums_users (given_name, id);
CREATE INDEX owums_users_surname ON owums_users (surname, id);
CREATE INDEX owums_users_city ON owums_users (city, id);
CREATE INDEX owums_users_country ON owums_users (country, id);
CREATE INDEX owums_users_verified ON owums_users (verified, created_at, id);
CREATE INDEX owums_users_active ON owums_users (active, created_at, id);
CREATE INDEX owums_users_method ON owums_users (verification_method, created_at, id);
