-- The generation of RADIUS profiles: every change an operator makes to a group, a group's
-- check or reply items, or a subscriber's own items bumps it in the same transaction. The
-- REST authorize cache of every `owums serve` process compares it with the generation its
-- entries were read at, so such a change is seen on the next Access-Request whichever
-- process (console, command line) made it. One row.
CREATE TABLE owums_radius_generation (
    id INTEGER NOT NULL PRIMARY KEY,
    generation BIGINT NOT NULL
);
INSERT INTO owums_radius_generation (id, generation) VALUES (1, 0);
