#!/usr/bin/env bash
# console-users.sh - the operator console's user list on a million subscribers: p50 and p99
# of the core queries behind the Users pages (browse pages, search by username, e-mail,
# mobile and name fragment, exact find), on SQLite and PostgreSQL.
#
# Usage:
#   bench/console-users.sh          (from the repository root; seeding takes a few minutes)
#
# What it does:
#   - for each backend, a fresh database (SQLite in a temporary directory; PostgreSQL
#     `owums_bench_users` at PG_URL, dropped and created again), migrated by owums;
#   - USERS subscribers inserted with one bulk `INSERT ... SELECT` (not the API: no
#     password hashes), then ANALYZE (owums-core/benches/console_users.rs, step `seed`);
#   - the plans of the page and search queries: SQLite's EXPLAIN QUERY PLAN and
#     PostgreSQL's EXPLAIN ANALYZE, so that one sees the indexes are used;
#   - ROUNDS timed calls of each query through owums_core::subscriber::UserAdmin (the
#     service the console pages call), on subscribers spread over the base, after 20
#     warm-up calls: p50 and p99 in ms, and how many users matched ("1000" means more).
#   Not a test: it never fails on a figure. PROFILE=dev builds without optimisation
#   (bundled SQLite included), so its figures are an upper bound.
#
# Environment:
#   USERS=1000000                 subscribers
#   ROUNDS=200                    timed calls per query
#   PG_URL=postgres://postgres@127.0.0.1:5432   PostgreSQL server (empty: SQLite only)
#   PROFILE=release               cargo profile of the bench binary (dev: no build wait)
#   KEEP=1                        keep the SQLite database
#
# Requires: cargo, psql for PostgreSQL.
set -euo pipefail

USERS=${USERS:-1000000}
ROUNDS=${ROUNDS:-200}
PG_URL=${PG_URL-postgres://postgres@127.0.0.1:5432}
PROFILE=${PROFILE:-release}
export ROUNDS

work=$(mktemp -d)
cleanup() { if [ -z "${KEEP:-}" ]; then rm -rf "$work"; else echo "kept $work"; fi; }
trap cleanup EXIT

bench() { cargo bench -q --profile "$PROFILE" -p owums-core --bench console_users -- "$@"; }

echo "== SQLite, $USERS subscribers"
sqlite_url="sqlite://$work/users.db"
bench seed "$sqlite_url" "$USERS"
bench explain "$sqlite_url" "$USERS"
bench measure "$sqlite_url" "$USERS"
ls -l "$work/users.db" | awk '{printf "database file: %.0f MB\n", $5 / 1048576}'

if [ -n "$PG_URL" ]; then
    echo "== PostgreSQL, $USERS subscribers"
    psql -q "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS owums_bench_users" -c "CREATE DATABASE owums_bench_users"
    pg_url="$PG_URL/owums_bench_users"
    bench seed "$pg_url" "$USERS"
    for q in \
        "SELECT id FROM owums_users ORDER BY created_at DESC, id DESC LIMIT 20" \
        "SELECT id FROM owums_users WHERE search_key LIKE '%user123457%' OR search_key LIKE '%3300123457%' ORDER BY created_at DESC, id DESC LIMIT 20" \
        "SELECT 1 FROM owums_users WHERE search_key LIKE '%bace%' LIMIT 10001"; do
        echo "-- $q"
        psql -qAt "$pg_url" -c "EXPLAIN (ANALYZE, COSTS OFF) $q" | sed 's/^/   /'
    done
    bench measure "$pg_url" "$USERS"
    psql -qAt "$pg_url" -c "SELECT 'database size: ' || pg_size_pretty(pg_database_size(current_database()))"
fi
