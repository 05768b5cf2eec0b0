-- Nothing on MySQL/MariaDB: it has no partial indexes, and its planner uses the `username`
-- key of FreeRADIUS' schema for a user's open sessions. (The folder exists on every backend.)
DO 0;
