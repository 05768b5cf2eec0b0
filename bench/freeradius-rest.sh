#!/usr/bin/env bash
# freeradius-rest.sh - the FreeRADIUS REST API (what rlm_rest sends) of owums and of
# openwisp-radius 1.3.3, loaded with wrk on this machine in one run.
#
# Usage:
#   bench/freeradius-rest.sh          (from the repository root; ~7-10 min with the defaults)
#
# What it does:
#   owums: `owums serve` (release build) on a free loopback port, once per backend in
#   BACKENDS, on a fresh database (SQLite file / PostgreSQL database created and dropped
#   here) seeded with the `owums` command: group "bench" (the checks of openwisp-radius'
#   default group, Max-Daily-Session and Max-Daily-Session-Traffic, so authorize runs both
#   counters, plus two reply attributes) and USERS verified users bench1..benchN
#   (password benchpass-I; PostgreSQL then gets VACUUM ANALYZE and CHECKPOINT). Then, at
#   each concurrency in CONCURRENCY, DURATION seconds of:
#     authorize warm  POST /api/v1/freeradius/authorize/ going round WARM_USERS users:
#                     after the first request of each, the password check is a cache hit
#                     and the user, profile and usage come from the cache of authorize
#                     reads (default authorize_cache_ms, 1 s)
#     authorize db    the same with that cache off (authorize_cache_ms = 0): every
#                     request reads the user, the RADIUS profile and the usage
#     authorize cold  the same going round all USERS users with the credential cache
#                     turned off (a server restarted with cache size 0): one argon2id
#                     verification per request
#     accounting      POST /api/v1/freeradius/accounting/: sessions with a Start,
#                     INTERIMS Interim-Updates and a Stop, unique session ids
#   openwisp-radius: bench/openwisp-radius/setup.sh installs it from PyPI into a
#   virtualenv under this run's work dir (deleted at the end), serve.sh runs it
#   (gunicorn, OW_WORKERS sync workers, SQLite or OW_DB=postgres), and the same wrk
#   scripts load its authorize (one user: it has no credential cache, every request pays
#   its PBKDF2 hash) and accounting, at OW_CONCURRENCY for OW_DURATION seconds each.
#   Before measuring, each server must accept a valid user with the group's replies,
#   refuse a wrong password and store an accounting Start; every wrk run must end without
#   errors (status >= 400 or socket errors), else the figure is flagged in the table.
#   Prints one table (req/s, p50, p99 per point), the ratios owums/openwisp-radius at the
#   same concurrency, and the goals of issue 5 with "met"/"MISSED".
#
# Environment (all optional):
#   BACKENDS="sqlite postgres"   owums backends to measure (empty: none)
#   CONCURRENCY="1 16 64"        wrk connections per owums point
#   DURATION=5 WARMUP=1          seconds per owums point / of unrecorded load before each
#   COLD_DURATION=10             seconds per cold authorize point (64 argon2id verifications
#                                at once take seconds to come back on a busy machine)
#   USERS=200 WARM_USERS=8       seeded users / users the warm authorize goes round
#   INTERIMS=2                   Interim-Updates per accounting session
#   OW=1                         0: skip openwisp-radius (no ratios)
#   OW_CONCURRENCY="1 16 64" OW_DURATION=15 OW_WORKERS=2 OW_DB=sqlite|postgres
#   OW_KIT=bench/openwisp-radius the openwisp-radius kit (setup.sh, serve.sh)
#   OWUMS_BIN=target/release/owums
#   PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres PGPASSWORD=
#   OWUMS_*                      passed to `owums serve` (e.g. OWUMS_DATABASE__POOL_SIZE)
#   KEEP=1                       keep the work dir (server logs, wrk output)
#
# Requires: wrk, python3 (+ venv, pip access to PyPI for openwisp-radius), curl, sqlite3,
# psql for PostgreSQL. Exits non-zero only when a server cannot be set up or fails its
# checks. Every process and database it starts is stopped or dropped on exit.
set -euo pipefail

BACKENDS=${BACKENDS-sqlite postgres}
CONCURRENCY=${CONCURRENCY:-1 16 64}
DURATION=${DURATION:-5}
COLD_DURATION=${COLD_DURATION:-10}
WARMUP=${WARMUP:-1}
USERS=${USERS:-200}
WARM_USERS=${WARM_USERS:-8}
INTERIMS=${INTERIMS:-2}
OW=${OW:-1}
OW_CONCURRENCY=${OW_CONCURRENCY:-1 16 64}
OW_DURATION=${OW_DURATION:-15}
OW_WORKERS=${OW_WORKERS:-2}
OW_DB=${OW_DB:-sqlite}
OW_KIT=${OW_KIT:-bench/openwisp-radius}
OWUMS_BIN=${OWUMS_BIN:-target/release/owums}
PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres} PGPASSWORD=${PGPASSWORD:-}
export PGPASSWORD

LUA=$(cd "$(dirname "$0")/lua" && pwd)
OWUMS_BIN=$(realpath "$OWUMS_BIN")
# builds from before the password-strength check have no --weak-password-ok (the bench
# passwords are weak on purpose: they are derived from the usernames)
WEAK_OK=()
if "$OWUMS_BIN" user create --help 2>/dev/null | grep -q -- --weak-password-ok; then
	WEAK_OK=(--weak-password-ok)
fi
OW_KIT=$(realpath "$OW_KIT")
WORK=$(mktemp -d /tmp/freeradius-rest-bench.XXXXXX)
RESULTS=$WORK/results.txt
: >"$RESULTS"
TOKEN=bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
OWUMS_PID=
WATCH_PID=
OW_WORK=
DBS_TO_DROP=()

say() { echo "bench: $*" >&2; }

cleanup() {
	local db
	if [ -n "$OWUMS_PID" ]; then stop_owums; fi
	if [ -n "$OW_WORK" ] && [ -d "$OW_WORK" ]; then
		bash "$OW_KIT/serve.sh" "$OW_WORK" stop >/dev/null 2>&1 || true
	fi
	for db in "${DBS_TO_DROP[@]}"; do
		psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true
	done
	if [ -n "${KEEP:-}" ]; then say "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in wrk python3 curl; do
	command -v "$tool" >/dev/null || { say "$tool is required"; exit 2; }
done
[ -x "$OWUMS_BIN" ] || { say "$OWUMS_BIN not found: cargo build --release -p owums-server"; exit 2; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# cpu_ticks PID - user+system CPU clock ticks of PID and its children so far
# machine_ticks - "STEAL TOTAL": ticks the hypervisor took from this machine's CPUs, all ticks
machine_ticks() {
	awk '/^cpu / {t = 0; for (i = 2; i <= NF; i++) t += $i; print $9, t; exit}' /proc/stat
}

cpu_ticks() {
	local p sum=0 t
	for p in "$1" $(ps -o pid= --ppid "$1" 2>/dev/null); do
		t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)
		sum=$((sum + t))
	done
	echo "$sum"
}

# wait_idle PID - waits (up to 120 s) until PID and its children use less than 5 % of a
# CPU: a server still working off requests of a finished wrk run would slow the next one
wait_idle() {
	local a b i hz
	hz=$(getconf CLK_TCK)
	a=$(cpu_ticks "$1")
	for i in $(seq 240); do
		sleep 0.5
		b=$(cpu_ticks "$1")
		if [ $(((b - a) * 40)) -lt "$hz" ]; then return 0; fi
		a=$b
	done
	say "warning: server still busy after 120 s"
}

# ---------------------------------------------------------------- owums

database_url() {
	case "$1" in
	sqlite) echo "sqlite://$WORK/owums.db" ;;
	postgres) echo "postgres://$PGUSER${PGPASSWORD:+:$PGPASSWORD}@$PGHOST:$PGPORT/$2" ;;
	esac
}

owums() { "$OWUMS_BIN" --config /dev/null --plugins /dev/null "$@"; }

# prepare_owums BACKEND - fresh database with the group and USERS users; sets OWUMS_DATABASE__URL
prepare_owums() {
	local db=owums_bench_$$
	case "$1" in
	sqlite) rm -f "$WORK"/owums.db* ;;
	postgres)
		psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -qc "CREATE DATABASE \"$db\"" >/dev/null
		DBS_TO_DROP+=("$db") ;;
	*) say "unknown backend $1 (sqlite, postgres)"; exit 2 ;;
	esac
	export OWUMS_DATABASE__URL
	OWUMS_DATABASE__URL=$(database_url "$1" "$db")
	owums migrate >/dev/null
	owums group create bench \
		--check 'Max-Daily-Session:=10800' --check 'Max-Daily-Session-Traffic:=3000000000' \
		--reply 'Idle-Timeout=240' --reply 'Reply-Message=Welcome to the bench' >/dev/null
	# two at a time: each one hashes its password with argon2id
	seq "$USERS" | xargs -P 2 -I{} "$OWUMS_BIN" --config /dev/null --plugins /dev/null \
		user create --username "bench{}" --password "benchpass-{}" --verified --group bench "${WEAK_OK[@]}" >/dev/null
	# as pgbench does: no autovacuum, analyze or checkpoint of the seeding during the points
	if [ "$1" = postgres ]; then
		psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d "$db" -qc "VACUUM ANALYZE" -c "CHECKPOINT" >/dev/null
	fi
}

# start_owums CACHES - `owums serve` on a free port; CACHES=on: both caches, reads-off: the
# cache of authorize reads off (the credential cache on), off: both off
start_owums() {
	local port i
	port=$(free_port)
	(
		export OWUMS_FREERADIUS__TOKEN=$TOKEN
		export OWUMS_LOG__LEVEL=${OWUMS_LOG__LEVEL:-warn}
		if [ "$1" = off ]; then export OWUMS_FREERADIUS__CREDENTIAL_CACHE_SIZE=0; fi
		if [ "$1" != on ]; then export OWUMS_FREERADIUS__AUTHORIZE_CACHE_MS=0; fi
		exec "$OWUMS_BIN" --config /dev/null --plugins /dev/null serve --listen "127.0.0.1:$port"
	) >>"$WORK/owums.log" 2>&1 &
	OWUMS_PID=$! WATCH_PID=$!
	for i in $(seq 100); do
		if curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; then
			URL=http://127.0.0.1:$port/api/v1/freeradius
			return 0
		fi
		kill -0 "$OWUMS_PID" 2>/dev/null || break
		sleep 0.1
	done
	say "owums serve did not start:"; tail -20 "$WORK/owums.log" >&2
	exit 1
}

stop_owums() {
	kill -TERM "$OWUMS_PID" 2>/dev/null || true
	wait "$OWUMS_PID" 2>/dev/null || true
	OWUMS_PID=
}

# ---------------------------------------------------------------- checks and load

# post PATH JSON - prints "STATUS BODY" of one request to the current server
post() {
	curl -sS -o "$WORK/body" -w '%{http_code}' -H 'Content-Type: application/json' \
		-H "Authorization: $AUTHZ" --data "$2" "$URL/$1/" || true
	printf ' %s\n' "$(head -c 400 "$WORK/body")"
}

authorize_body() {
	printf '{"username": "%s", "password": "%s", "called_station_id": "00-27-22-F3-FA-F1:hostname", "calling_station_id": "5c:7d:c1:72:a7:3b"}' "$1" "$2"
}

# check_server NAME USER PASSWORD REPLY - the server accepts USER with REPLY in the answer,
# refuses a wrong password and stores an accounting Start
check_server() {
	local out sid
	out=$(post authorize "$(authorize_body "$2" "$3")")
	if [[ $out != 200* ]] || [[ $out != *'"Accept"'* ]] || [[ $out != *"$4"* ]]; then
		say "$1: authorize of $2 not accepted with $4: $out"; exit 1
	fi
	out=$(post authorize "$(authorize_body "$2" "wrong-$3")")
	if [[ $out == *'"Accept"'* ]]; then say "$1: a wrong password was accepted: $out"; exit 1; fi
	sid=check$(date +%s%N)
	out=$(post accounting "{\"status_type\": \"Start\", \"session_id\": \"$sid\", \"unique_id\": \"$sid\", \"username\": \"check\", \"realm\": \"\", \"nas_ip_address\": \"10.8.0.1\", \"nas_port_id\": \"1\", \"nas_port_type\": \"Wireless-802.11\", \"session_time\": \"\", \"authentication\": \"RADIUS\", \"input_octets\": \"\", \"output_octets\": \"\", \"called_station_id\": \"00-27-22-F3-FA-F1:hostname\", \"calling_station_id\": \"5c:7d:c1:72:a7:3c\", \"terminate_cause\": \"\", \"service_type\": \"Framed-User\", \"framed_protocol\": \"\", \"framed_ip_address\": \"10.0.0.2\"}")
	if [[ $out != 201* ]]; then say "$1: accounting Start not stored: $out"; exit 1; fi
	say "$1: checks passed"
}

# load SERVER BACKEND SCENARIO SCRIPT ENDPOINT CONNECTIONS SECONDS [record] - one wrk run;
# with "record", appends its figures to RESULTS
load() {
	local server=$1 backend=$2 scenario=$3 script=$4 endpoint=$5 conns=$6 secs=$7
	local threads=2 line c0 c1 m0 m1 steal
	if [ "$conns" -lt 2 ]; then threads=1; fi
	c0=$(cpu_ticks "$WATCH_PID")
	read -r -a m0 <<<"$(machine_ticks)"
	wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 60s -s "$LUA/$script" "$URL/$endpoint/" \
		>"$WORK/wrk.out" 2>&1 || true
	c1=$(cpu_ticks "$WATCH_PID")
	read -r -a m1 <<<"$(machine_ticks)"
	steal=$(((m1[0] - m0[0]) * 100 / (m1[1] - m0[1] + 1)))
	line=$(grep '^RESULT ' "$WORK/wrk.out" || true)
	if [ -z "$line" ]; then
		say "wrk failed:"; cat "$WORK/wrk.out" >&2; exit 1
	fi
	if [ "${8:-}" = record ]; then
		echo "$server $backend $scenario $conns ${line#RESULT } $((c1 - c0)) $(getconf CLK_TCK) $steal" >>"$RESULTS"
		say "$server $backend $scenario c=$conns: ${line#RESULT }"
	fi
}

# scenario SERVER BACKEND NAME SCRIPT ENDPOINT SECONDS WARMUP CONCURRENCIES...
scenario() {
	local server=$1 backend=$2 name=$3 script=$4 endpoint=$5 secs=$6 warm=$7 c
	shift 7
	if [ "$warm" -gt 0 ]; then load "$server" "$backend" "$name" "$script" "$endpoint" 2 "$warm"; fi
	for c in "$@"; do
		wait_idle "$WATCH_PID"
		load "$server" "$backend" "$name" "$script" "$endpoint" "$c" "$secs" record
	done
}

# ---------------------------------------------------------------- runs

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
export BENCH_INTERIMS=$INTERIMS BENCH_USER_PREFIX=bench BENCH_PASSWORD_PREFIX=benchpass-
read -r -a conc <<<"$CONCURRENCY"
read -r -a ow_conc <<<"$OW_CONCURRENCY"

for backend in $BACKENDS; do
	say "owums $backend: seeding $USERS users"
	prepare_owums "$backend"
	AUTHZ="Bearer $TOKEN"
	export BENCH_AUTHORIZATION=$AUTHZ
	start_owums on
	check_server "owums $backend" bench1 benchpass-1 Idle-Timeout
	BENCH_USERS=$WARM_USERS scenario owums "$backend" authorize-warm authorize.lua authorize \
		"$DURATION" "$WARMUP" "${conc[@]}"
	scenario owums "$backend" accounting accounting.lua accounting "$DURATION" "$WARMUP" "${conc[@]}"
	stop_owums
	start_owums reads-off
	BENCH_USERS=$WARM_USERS scenario owums "$backend" authorize-db authorize.lua authorize \
		"$DURATION" "$WARMUP" "${conc[@]}"
	stop_owums
	start_owums off
	BENCH_USERS=$USERS scenario owums "$backend" authorize-cold authorize.lua authorize \
		"$COLD_DURATION" "$WARMUP" "${conc[@]}"
	stop_owums
	unset OWUMS_DATABASE__URL
done

if [ "$OW" != 0 ]; then
	OW_WORK=$WORK/openwisp-radius
	mkdir -p "$OW_WORK"
	ow_db_url=
	if [ "$OW_DB" = postgres ]; then
		db=owums_bench_ow_$$
		psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -qc "CREATE DATABASE \"$db\"" >/dev/null
		DBS_TO_DROP+=("$db")
		ow_db_url="postgresql://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/$db"
	fi
	say "openwisp-radius: installing into a virtualenv in $OW_WORK (pip, a few minutes)"
	OW_DB_URL=$ow_db_url bash "$OW_KIT/setup.sh" "$OW_WORK" >"$WORK/ow-setup.log" 2>&1 ||
		{ say "openwisp-radius setup failed:"; tail -20 "$WORK/ow-setup.log" >&2; exit 1; }
	port=$(free_port)
	bash "$OW_KIT/serve.sh" "$OW_WORK" start "$port" "$OW_WORKERS" >"$WORK/ow-serve.log" 2>&1 ||
		{ say "openwisp-radius did not start:"; tail -20 "$WORK/ow-serve.log" >&2; exit 1; }
	WATCH_PID=$(cat "$OW_WORK/gunicorn.pid")
	URL=http://127.0.0.1:$port/api/v1/freeradius
	# shellcheck disable=SC1091
	. "$OW_WORK/ow.env"
	AUTHZ="Bearer $OW_ORG_UUID $OW_TOKEN"
	export BENCH_AUTHORIZATION=$AUTHZ
	check_server "openwisp-radius $OW_DB" "$OW_USERNAME" "$OW_PASSWORD" Session-Timeout
	BENCH_USERS=0 BENCH_USERNAME=$OW_USERNAME BENCH_PASSWORD=$OW_PASSWORD \
		scenario openwisp-radius "$OW_DB" authorize authorize.lua authorize \
		"$OW_DURATION" 3 "${ow_conc[@]}"
	scenario openwisp-radius "$OW_DB" accounting accounting.lua accounting \
		"$OW_DURATION" 2 "${ow_conc[@]}"
	wait_idle "$WATCH_PID"
	bash "$OW_KIT/serve.sh" "$OW_WORK" stop >/dev/null 2>&1 || true
fi

echo
echo "FreeRADIUS REST API, $(nproc) CPUs, wrk $(wrk -v 2>&1 | awk 'NR == 1 {print $2}'); owums: $DURATION s per point ($COLD_DURATION s cold)," \
	"$USERS users ($WARM_USERS for warm authorize), $INTERIMS Interim-Updates per session;" \
	"openwisp-radius 1.3.3: $OW_DURATION s per point, $OW_WORKERS gunicorn workers"
echo "load average (1/5/15 min) at the start: $LOAD_START, at the end: $(cut -d' ' -f1-3 /proc/loadavg)" \
	"(other processes competing for the CPUs lower every figure)"
python3 "$(dirname "$0")/freeradius-rest-report.py" "$RESULTS"
