-- The operator console's user list: a search key, a trigram index over it, sort indexes
-- and the web login counter.
--
-- `search_key` holds, one per line, the username, the e-mail, the mobile's digits (no `+`),
-- "given surname" and "surname given", lowercase; a search looks for its text inside it
-- (`LIKE '%text%'`, answered by the pg_trgm GIN index). It is a generated column, so every
-- write of the user keeps it right. Lines cannot be typed into a search (control
-- characters are refused), so a match never spans two fields.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
ALTER TABLE owums_users ADD COLUMN web_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE owums_users ADD COLUMN search_key TEXT GENERATED ALWAYS AS (
    lower(username || chr(10) || coalesce(email, '') || chr(10)
        || replace(coalesce(mobile, ''), '+', '') || chr(10)
        || given_name || ' ' || surname || chr(10) || surname || ' ' || given_name)
) STORED;
CREATE INDEX owums_users_search ON owums_users USING gin (search_key gin_trgm_ops);

-- Sorting the list: one index per sort key, the id as the tie-break.
CREATE INDEX owums_users_created ON owums_users (created_at, id);
CREATE INDEX owums_users_given_name ON owums_users (given_name, id);
CREATE INDEX owums_users_surname ON owums_users (surname, id);
CREATE INDEX owums_users_city ON owums_users (city, id);
CREATE INDEX owums_users_country ON owums_users (country, id);
CREATE INDEX owums_users_verified ON owums_users (verified, created_at, id);
CREATE INDEX owums_users_active ON owums_users (active, created_at, id);
CREATE INDEX owums_users_method ON owums_users (verification_method, created_at, id);
