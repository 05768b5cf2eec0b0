#!/usr/bin/env bash
# portal.sh - captive-portal logons per second and the subscriber's wait, through owums →
# a CoovaChilli-style controller simulator → a real FreeRADIUS → owums, on loopback.
#
# Usage:
#   bench/portal.sh          (run from the repository root; about 10 minutes of build the
#                            first time, then a minute or two)
#
# What it does: runs the ignored integration test `portal::bench::portal_logons_per_second`
# (tests/it/portal/bench.rs) built with the `loadtest` profile (release optimisation,
# without release's whole-program LTO, which would make the test binary's build very
# long). In one process: owums (on SQLite unless told otherwise), the simulator, and the
# devices; FreeRADIUS 3.2 is the real server, run as in production (its threads, no debug
# log), in REST mode (rlm_rest asks owums; PAP) and in SQL mode (rlm_sql reads owums'
# database, passwords in cleartext; CHAP). Each device has its own 127.0.0.0/8 address
# (the controller knows devices by it) and its own subscriber, and repeats: the
# controller's redirect → owums' login page → submit username and password → owums'
# redirect to the controller's /logon (password encoded with the uamsecret) →
# Access-Request → Accept → Accounting Start → back to owums → status page; then logout
# through the controller (Accounting Stop). The devices take each step together (arrive,
# log on, log off); the wait is from the submit to the status page. `visits_per_s` counts
# whole visits over the run, `logons_per_s` the logons over the time of the logon steps
# alone. A first round of every device (argon2id checks, connections) is printed first.
# Figures are printed as `portal-bench` lines; nothing is asserted about time (every logon
# must end on the status page).
#
# Environment:
#   PORTAL_BENCH_DEVICES="1 8 16 64" devices logging on at once, one run each
#   PORTAL_BENCH_LOGONS=1000         logons per run (split between the devices)
#   PORTAL_BENCH_MODES=              rest | sql | both (default)
#   PORTAL_BENCH_BACKEND=sqlite      owums' database: sqlite | postgres | mysql (these two
#                                    need OWUMS_TEST_POSTGRES_URL / OWUMS_TEST_MYSQL_URL, as
#                                    the tests do; docs/testing.md)
#
# Requires: freeradius (scripts/install-peers), cargo-nextest.
set -euo pipefail
cd "$(dirname "$0")/.."
export PORTAL_BENCH_DEVICES=${PORTAL_BENCH_DEVICES:-"1 8 16 64"}
export PORTAL_BENCH_LOGONS=${PORTAL_BENCH_LOGONS:-1000}
export PORTAL_BENCH_MODES=${PORTAL_BENCH_MODES:-both}
export PORTAL_BENCH_BACKEND=${PORTAL_BENCH_BACKEND:-sqlite}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# owums runs in the test's own process; every logon must end on the status page
status=0
cargo nextest run --cargo-profile loadtest -p owums-tests --run-ignored only --no-capture \
	-E 'test(=portal::bench::portal_logons_per_second)' >"$log" 2>&1 || status=$?
grep '^portal-bench' "$log" || true
if [ "$status" -ne 0 ]; then
	tail -n 40 "$log" >&2
	exit "$status"
fi
