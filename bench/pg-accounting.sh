#!/usr/bin/env bash
# pg-accounting.sh - one point of REST accounting on PostgreSQL, with where the CPU went:
# for comparing two builds (run them in turns; single runs on a VM differ by 2x with steal).
#
# Usage:
#   bench/pg-accounting.sh [OWUMS_BIN] [CONNECTIONS] [SECONDS]
#     (defaults: target/release/owums 64 5; from the repository root)
#
# What it does: creates a fresh PostgreSQL database, migrates it, runs VACUUM ANALYZE and
# CHECKPOINT as bench/freeradius-rest.sh does after seeding (VACUUM=0 skips them), starts
# `owums serve` on a free loopback port, loads the accounting API with
# bench/lua/accounting.lua (1 s at 2 connections, then PRELOAD=1: 5 s at 1 and 5 s at 16,
# so radacct is not empty; PRELOAD=0 skips), then measures CONNECTIONS for SECONDS and
# prints one line: req/s, p50/p99, CPU ms per request of owums, of PostgreSQL (every
# process of the user `postgres`: the server must run on this machine) and of the whole
# machine, the hypervisor's steal, and how radacct was read (sequential scans, index
# scans). The database and the server are removed on exit.
#
# Environment: PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres, VACUUM=1, PRELOAD=1.
# Requires wrk, psql, curl, python3.
set -euo pipefail

BIN=$(realpath "${1:-target/release/owums}")
CONNS=${2:-64}
SECS=${3:-5}
PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
LUA=$(cd "$(dirname "$0")/lua" && pwd)/accounting.lua
DB=owums_pg_accounting_$$
PID=
WORK=$(mktemp -d /tmp/pg-accounting.XXXXXX)

sql() { psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -qAt "$@"; }
cleanup() {
	if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
	sql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT

sql -d postgres -c "CREATE DATABASE $DB" >/dev/null
export OWUMS_DATABASE__URL=postgres://$PGUSER@$PGHOST:$PGPORT/$DB
export OWUMS_FREERADIUS__TOKEN=bench-pg-accounting OWUMS_LOG__LEVEL=${OWUMS_LOG__LEVEL:-warn}
export BENCH_AUTHORIZATION="Bearer $OWUMS_FREERADIUS__TOKEN"
"$BIN" --config /dev/null --plugins /dev/null migrate >/dev/null
if [ "${VACUUM:-1}" != 0 ]; then sql -d "$DB" -c "VACUUM ANALYZE" -c "CHECKPOINT" >/dev/null; fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN" --config /dev/null --plugins /dev/null serve --listen "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
PID=$!
for _ in $(seq 100); do
	curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break
	sleep 0.1
done
URL=http://127.0.0.1:$PORT/api/v1/freeradius/accounting/
wrk -t2 -c2 -d1s -s "$LUA" "$URL" >/dev/null
if [ "${PRELOAD:-1}" != 0 ]; then
	wrk -t1 -c1 -d5s -s "$LUA" "$URL" >/dev/null
	wrk -t2 -c16 -d5s -s "$LUA" "$URL" >/dev/null
	sleep 2
fi

# ticks: owums, every postgres process, and the machine's "steal total idle"
owums_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
pg_ticks() {
	local p sum=0
	for p in $(pgrep -u postgres); do
		sum=$((sum + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$sum"
}
machine_ticks() { awk '/^cpu / {t = 0; for (i = 2; i <= NF; i++) t += $i; print $9, t, $5 + $6}' /proc/stat; }

o0=$(owums_ticks) p0=$(pg_ticks) m0=$(machine_ticks)
wrk -t2 -c"$CONNS" -d"${SECS}s" -s "$LUA" "$URL" >"$WORK/wrk.out"
o1=$(owums_ticks) p1=$(pg_ticks) m1=$(machine_ticks)
scans=$(sql -d "$DB" -c "SELECT seq_scan || ' sequential scans (' || seq_tup_read || ' rows), ' || \
	idx_scan || ' index scans' FROM pg_stat_user_tables WHERE relname = 'radacct'")
python3 - "$(grep '^RESULT ' "$WORK/wrk.out")" "$o0 $o1" "$p0 $p1" "$m0 $m1" "$(getconf CLK_TCK)" \
	"$CONNS" "$scans" <<'PY'
import sys
result, owums, pg, machine, hz, conns, scans = sys.argv[1:]
_, requests, seconds, rps, p50, p99, status_errors, socket_errors = result.split()
o0, o1 = map(int, owums.split()); p0, p1 = map(int, pg.split())
s0, t0, i0, s1, t1, i1 = map(int, machine.split())
n, ms = int(requests), 1000 / int(hz)
busy = (t1 - t0) - (i1 - i0) - (s1 - s0)
print(f"c={conns}: {float(rps):,.0f} req/s, p50 {p50} ms, p99 {p99} ms, errors {status_errors}+{socket_errors}; "
      f"CPU ms/request: owums {(o1 - o0) * ms / n:.3f}, PostgreSQL {(p1 - p0) * ms / n:.3f}, "
      f"machine {busy * ms / n:.3f}; steal {(s1 - s0) * 100 // max(t1 - t0, 1)} %; radacct: {scans}")
PY
