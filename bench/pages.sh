#!/usr/bin/env bash
# pages.sh - the subscriber pages under load: render latency and throughput of the home,
# sign-up and login pages, and logins and registrations per second through the real forms.
#
# Usage:
#   bench/pages.sh                 (from the repository root; ~1-2 min plus the release build)
#
# What it does:
#   - builds the release `owums` (unless OWUMS_BIN points at one), migrates a fresh SQLite
#     database in a temporary directory, creates USERS verified subscribers bench1..benchN,
#     and starts `owums serve` on a free loopback port with the attempt limits switched off
#     (a benchmark from one address would only measure the limiter) and captcha off;
#   - wrk (THREADS threads, CONNECTIONS connections, DURATION s each) against GET /,
#     GET /account/signup and GET /account/login: p50, p99 and requests/s;
#   - wrk with bench/wrk/login.lua: each login is a GET of the login form (CSRF cookie and
#     token) then its POST, as a browser does; logins/s counts the POSTs answered with
#     the redirect to /account (an argon2id verification each);
#   - wrk with bench/wrk/signup.lua: the same for the sign-up form (a new subscriber each:
#     argon2id hash + RADIUS password value + rows in several tables), when the build offers
#     a self-service verification method; otherwise it says so;
#   - the server's memory, from /proc/<pid>/status: VmRSS once started (idle, before any
#     load), VmRSS and VmHWM after the page GETs (before any login), VmHWM (the peak resident
#     size) after all runs, and VmRSS 5 s after the last run
#     (password hashing threads give their memory back after 2 s without work);
#   - the argon2 parameters and the time of one hash
#     (`cargo bench -p owums-core --bench password_hash`, skipped with NO_HASH_BENCH=1).
#   Prints a table. Loopback only; every run is bounded by DURATION; the server is stopped
#   at the end (also on Ctrl-C). Not a test: it never fails on a figure.
#
# Environment:
#   DURATION=10 THREADS=2 CONNECTIONS=16   page GETs
#   FORM_THREADS=8                         form runs (one connection per thread)
#   USERS=20                               bench accounts for the login run
#   OWUMS_BIN=target/release/owums         the server binary
#   PLUGINS_TOML=                          a plugins.toml enabling a self-service method for
#                                          the registration run (default: none)
#   KEEP=1                                 keep the work dir (database, server log)
#
# Requires: wrk, curl, python3 (a free port), cargo for the release build.
set -euo pipefail

DURATION=${DURATION:-10}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
FORM_THREADS=${FORM_THREADS:-8}
USERS=${USERS:-20}
OWUMS_BIN=${OWUMS_BIN:-target/release/owums}
PASSWORD=Tulip-Harbor-93

for tool in wrk curl python3; do
	command -v "$tool" >/dev/null || { echo "pages.sh: $tool is missing (bash scripts/install-peers)" >&2; exit 2; }
done
if [ "$OWUMS_BIN" = target/release/owums ]; then
	echo "building release owums..." >&2
	cargo build --quiet --release -p owums-server --bin owums
fi

WORK=$(mktemp -d /tmp/pages-bench.XXXXXX)
SERVER_PID=""
cleanup() {
	if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
	if [ -n "${KEEP:-}" ]; then echo "work dir kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT INT TERM

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
export OWUMS_DATABASE__URL="sqlite://$WORK/owums.db"
export OWUMS_SERVER__LISTEN="127.0.0.1:$PORT"
export OWUMS_LOG__LEVEL=warn
export OWUMS_WEB__RATE_LIMITS__LOGIN_PER_IP=0 OWUMS_WEB__RATE_LIMITS__LOGIN_PER_ACCOUNT=0
export OWUMS_WEB__RATE_LIMITS__SIGNUP_PER_IP=0
# every login pays its argon2id verification, as the memory figures are about (the cache of
# recent successful checks would answer the same bench users' logins from memory)
export OWUMS_FREERADIUS__CREDENTIAL_CACHE_SIZE=0
PLUGINS_ARG=(--plugins "$WORK/plugins.toml")
if [ -n "${PLUGINS_TOML:-}" ]; then cp "$PLUGINS_TOML" "$WORK/plugins.toml"; else : >"$WORK/plugins.toml"; fi
unset RUST_LOG

owums() { (cd "$WORK" && "$OLDPWD/$OWUMS_BIN" "${PLUGINS_ARG[@]}" "$@"); }
case "$OWUMS_BIN" in /*) owums() { (cd "$WORK" && "$OWUMS_BIN" "${PLUGINS_ARG[@]}" "$@"); } ;; esac

owums migrate >/dev/null
# Runtime setting (no command for settings yet): captcha off, or no script could sign up.
python3 - "$WORK/owums.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("INSERT OR REPLACE INTO owums_settings (name, value, updated_at) "
           "VALUES ('captcha_enabled', 'false', datetime('now'))")
db.commit()
PY
echo "creating $USERS bench users..." >&2
for i in $(seq 1 "$USERS"); do
	echo "$PASSWORD" | owums user create --username "bench$i" --password - --email "bench$i@example.org" \
		--given-name Bench --surname User --verified >/dev/null
done

owums serve --no-migrate >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
	curl -fs "$BASE/healthz" >/dev/null 2>&1 && break
	sleep 0.1
done
curl -fs "$BASE/healthz" >/dev/null || { echo "owums serve did not start:" >&2; cat "$WORK/server.log" >&2; exit 1; }

# The server process itself (`owums` may run as a child of the subshell started above).
OWUMS_PID=$SERVER_PID
for _ in 1 2 3; do
	case "$(readlink "/proc/$OWUMS_PID/exe" 2>/dev/null)" in */owums) break ;; esac
	OWUMS_PID=$(pgrep -P "$OWUMS_PID" | head -n 1 || true)
	[ -n "$OWUMS_PID" ] || { OWUMS_PID=$SERVER_PID; break; }
done
# VmRSS / VmHWM of the server in MiB, one decimal.
mem() { awk -v k="$1:" '$1 == k {printf "%.1f", $2 / 1024}' "/proc/$OWUMS_PID/status" 2>/dev/null || echo "?"; }
sleep 1
RSS_IDLE=$(mem VmRSS)

ROWS=()
# wrk's --latency block: "50%  1.23ms" / "99%  4.56ms"; and "Requests/sec: 1234.56".
page() {
	local path=$1 out
	out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$BASE$path")
	local p50 p99 rps non2xx
	p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
	p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
	rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
	non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
	ROWS+=("$(printf '%-28s %10s %10s %12s %s' "GET $path" "$p50" "$p99" "$rps" "${non2xx:+($non2xx non-2xx!)}")")
}
form() {
	local script=$1 label=$2 out line
	out=$(BENCH_WRK_DIR=bench/wrk BENCH_USERS=$USERS BENCH_PASSWORD=$PASSWORD BENCH_RUN=$$ \
		wrk -t"$FORM_THREADS" -c"$FORM_THREADS" -d"${DURATION}s" --latency -s "bench/wrk/$script" "$BASE" 2>"$WORK/$script.err")
	line=$(grep '^FORM ' <<<"$out" || true)
	local ok failed per
	ok=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$line")
	failed=$(sed -n 's/.* failed=\([0-9]*\).*/\1/p' <<<"$line")
	per=$(sed -n 's/.* per_second=\([0-9.]*\).*/\1/p' <<<"$line")
	ROWS+=("$(printf '%-28s %10s %10s %12s %s' "$label" "-" "-" "${per:-?}" "(ok $ok, failed $failed)")")
	if [ "${failed:-0}" != 0 ]; then sed 's/^/  /' "$WORK/$script.err" >&2; fi
}

echo "measuring (${DURATION}s per row)..." >&2
page /
page /account/signup
page /account/login
RSS_PAGES=$(mem VmRSS) HWM_PAGES=$(mem VmHWM)
form login.lua "POST /account/login /s"
if curl -fs "$BASE/account/signup" | grep -q 'name="verification_method"'; then
	form signup.lua "POST /account/signup /s"
else
	ROWS+=("$(printf '%-28s %s' "POST /account/signup /s" "n/a: no self-service verification method enabled (PLUGINS_TOML)")")
fi

RSS_PEAK=$(mem VmHWM)
sleep 5
RSS_AFTER=$(mem VmRSS)

echo
echo "owums pages on SQLite, $(nproc) cores, wrk ${DURATION}s per row (pages: -t$THREADS -c$CONNECTIONS; forms: -t$FORM_THREADS -c$FORM_THREADS)"
printf '%-28s %10s %10s %12s\n' "request" "p50" "p99" "req/s"
printf '%s\n' "${ROWS[@]}"
echo
echo "server memory (MiB): idle ${RSS_IDLE} (VmRSS); after the page GETs ${RSS_PAGES} (VmRSS, peak so far ${HWM_PAGES}); peak ${RSS_PEAK} (VmHWM); ${RSS_AFTER} 5 s after the load (VmRSS)"
if [ -z "${NO_HASH_BENCH:-}" ]; then
	echo
	cargo bench --quiet -p owums-core --bench password_hash 2>/dev/null
fi
