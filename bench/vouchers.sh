#!/usr/bin/env bash
# vouchers.sh - how fast `owums voucher generate` makes a batch: COUNT vouchers in one batch
# on SQLite, PostgreSQL and MariaDB, RUNS times each (a new batch every run), wall time and
# vouchers per second.
#
# Usage:
#   bench/vouchers.sh          (from the repository root; builds the release binary first)
#
# What a voucher costs: a random username and password, the web password's argon2id hash
# (m = 1 MiB, t = 1: docs/vouchers.md), the RADIUS password in `[radius] password_format`
# (SHA-512 crypt by default, 5 000 rounds), and its rows (user, RADIUS password, group
# membership, voucher) — all vouchers of a batch in one transaction. The hashing runs on
# every core (at most 8 threads), so the figures depend on the machine's cores.
#   Not a test: it never fails on a figure.
#
# Environment:
#   COUNT=10000                   vouchers per batch
#   RUNS=3                        batches per backend
#   FORMAT=crypt                  [radius] password_format (crypt, cleartext, …)
#   PG_URL=postgres://postgres@127.0.0.1:5432     PostgreSQL server (empty: skip)
#   MYSQL_URL=mysql://root@127.0.0.1:3306         MariaDB server (empty: skip)
#   OWUMS_BIN=target/release/owums                the binary (built when missing)
set -euo pipefail

COUNT=${COUNT:-10000}
RUNS=${RUNS:-3}
FORMAT=${FORMAT:-crypt}
PG_URL=${PG_URL-postgres://postgres@127.0.0.1:5432}
MYSQL_URL=${MYSQL_URL-mysql://root@127.0.0.1:3306}
OWUMS_BIN=${OWUMS_BIN:-target/release/owums}

if [ ! -x "$OWUMS_BIN" ]; then
	cargo build -q --release -p owums-server --bin owums
fi
OWUMS_BIN=$(realpath "$OWUMS_BIN")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '[radius]\npassword_format = "%s"\n' "$FORMAT" >"$work/owums.toml"
echo "cores: $(nproc); $COUNT vouchers per batch, password_format $FORMAT"

# run BACKEND URL - RUNS batches on a fresh database at URL
run() {
	local name=$1 url=$2
	(cd "$work" && OWUMS_DATABASE__URL=$url "$OWUMS_BIN" migrate >/dev/null)
	for i in $(seq 1 "$RUNS"); do
		local start end
		start=$(date +%s.%N)
		(cd "$work" && OWUMS_DATABASE__URL=$url "$OWUMS_BIN" voucher generate --batch "bench-$i" \
			--count "$COUNT" --prefix "b$i" --valid-days 3 >/dev/null 2>&1)
		end=$(date +%s.%N)
		awk -v n="$COUNT" -v s="$start" -v e="$end" -v b="$name" -v i="$i" \
			'BEGIN { printf "%-10s run %d: %6.2f s  %7.0f vouchers/s\n", b, i, e - s, n / (e - s) }'
	done
}

run sqlite "sqlite://$work/vouchers.db"
if [ -n "$PG_URL" ]; then
	psql -q "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS owums_bench_vouchers" -c "CREATE DATABASE owums_bench_vouchers"
	run postgres "$PG_URL/owums_bench_vouchers"
fi
if [ -n "$MYSQL_URL" ]; then
	mysql -h 127.0.0.1 -u root -e "DROP DATABASE IF EXISTS owums_bench_vouchers; CREATE DATABASE owums_bench_vouchers"
	run mariadb "$MYSQL_URL/owums_bench_vouchers"
fi
