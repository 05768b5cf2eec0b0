#!/usr/bin/env bash
# radius-sql.sh - Access-Requests per second through FreeRADIUS rlm_sql,
# stock FreeRADIUS schema vs. an owums database, on the same SQL backend.
#
# Usage:
#   bench/radius-sql.sh [sqlite|postgres|mysql]          (default: sqlite)
#
# What it does:
#   (a) "stock": a database with FreeRADIUS' own schema
#       (mods-config/sql/main/<dialect>/schema.sql), N users in radcheck with a
#       SHA-512 Crypt-Password, all in group "bench" (radusergroup) whose
#       radgroupreply gives Session-Timeout and Reply-Message.
#   (b) "owums": a database prepared by prepare_owums (owums migrate + N x
#       owums user create --verified), same users/passwords (benchI / benchpass-I).
#   One private FreeRADIUS per database (config copied from /etc/freeradius/3.0,
#   sql in authorize/accounting/post-auth, loopback listeners on free ports),
#   the same radclient load against each (N distinct users, each sent
#   COUNT times, PARALLEL outstanding), ROUNDS rounds alternating sides.
#   Prints requests/s per side and the ratio owums/stock (median of the rounds'
#   paired ratios; sides alternate going first), the machine's CPU time per
#   request (FreeRADIUS, radclient and the database server: the steadiest
#   figure on a busy or small machine), plus FreeRADIUS'
#   own CPU time per request (less sensitive to other load on the machine;
#   includes SQLite, excludes the PostgreSQL/MariaDB server). Exits 0 (non-zero
#   only when a side cannot be set up or does not accept its first user).
#   Run from the repository root (OWUMS_BIN default is relative). ~1-2 min.
#
# Environment:
#   N=200 COUNT=4 PARALLEL=32 ROUNDS=3    load shape (N*COUNT requests per round)
#   THREADS=2                             FreeRADIUS worker threads (= SQL pool size;
#                                         2 cores here: more only adds SQLite lock
#                                         waits and noise)
#   SKIP_OWUMS=1                          only measure the stock side
#   OWUMS_BIN=target/release/owums        the owums CLI
#   OWUMS_PREPARE="cmd"                   replaces prepare_owums; run with
#                                         OWUMS_DATABASE__URL exported, N and
#                                         BENCH_PASSWORD_PREFIX set
#   PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres PGPASSWORD=
#   MYHOST=127.0.0.1 MYPORT=3306 MYUSER=root MYPASSWORD=
#   SQLITE_JOURNAL=wal                    sqlite: journal mode set on both databases
#                                         so that only the schema differs (set it
#                                         empty to keep each one's own mode);
#                                         rollback-journal SQLite is lock-bound
#                                         (readers vs. radpostauth inserts)
#   KEEP=1                                keep the work dir (configs, logs)
#
# Requires: freeradius, freeradius-utils (radclient), freeradius-{postgresql,
# mysql}, openssl, python3, sqlite3 / psql / mariadb clients. Run as root.
set -euo pipefail

BACKEND=${1:-sqlite}
N=${N:-200}
THREADS=${THREADS:-2}
COUNT=${COUNT:-4}
PARALLEL=${PARALLEL:-32}
ROUNDS=${ROUNDS:-3}
OWUMS_BIN=${OWUMS_BIN:-target/release/owums}
# builds from before the password-strength check have no --weak-password-ok (the bench
# passwords are weak on purpose: they are derived from the usernames)
WEAK_OK=()
if "$OWUMS_BIN" user create --help 2>/dev/null | grep -q -- --weak-password-ok; then
	WEAK_OK=(--weak-password-ok)
fi
PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres} PGPASSWORD=${PGPASSWORD:-}
MYHOST=${MYHOST:-127.0.0.1} MYPORT=${MYPORT:-3306} MYUSER=${MYUSER:-root} MYPASSWORD=${MYPASSWORD:-}
export PGPASSWORD
BENCH_PASSWORD_PREFIX=benchpass-
SRC_RADDB=${SRC_RADDB:-/etc/freeradius/3.0}

case "$BACKEND" in sqlite|postgres|mysql) ;; *) echo "usage: $0 [sqlite|postgres|mysql]" >&2; exit 2 ;; esac

WORK=$(mktemp -d /tmp/radius-sql-bench.XXXXXX)
FR_PIDS=()
DBS_TO_DROP=()

cleanup() {
	local pid db
	for pid in "${FR_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
	for db in "${DBS_TO_DROP[@]}"; do
		case "$BACKEND" in
		postgres) psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true ;;
		mysql) mariadb_cli -e "DROP DATABASE IF EXISTS \`$db\`" >/dev/null 2>&1 || true ;;
		esac
	done
	if [ -n "${KEEP:-}" ]; then echo "work dir kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

mariadb_cli() { mariadb -h "$MYHOST" -P "$MYPORT" -u "$MYUSER" ${MYPASSWORD:+-p"$MYPASSWORD"} "$@"; }

# Prints a free UDP port on 127.0.0.1.
fr_free_port() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Removes every top-level `listen { ... }` block from a site file; the first
# one is replaced by the text in $2 (may be empty).
fr_replace_listen() {
	local file=$1 repl=$2
	awk -v repl="$repl" '
	{
		code = $0; sub(/#.*/, "", code)
		opens = gsub(/\{/, "{", code); closes = gsub(/\}/, "}", code)
		if (!skip && code ~ /^[ \t]*listen[ \t]*\{/) {
			skip = 1; start = depth
			if (!done) { printf "%s", repl; done = 1 }
		}
		depth += opens - closes
		if (skip) { if (depth == start) skip = 0; next }
		print
	}' "$file" >"$file.new" && mv "$file.new" "$file"
}

# fr_prepare_config DIR AUTH_PORT ACCT_PORT SECRET BACKEND DB [THREADS] [LOCAL_CLIENT]
#   Builds a private FreeRADIUS config in DIR (copy of $SRC_RADDB):
#   - runs as the invoking user (no user/group switch), logs/run files in DIR,
#     reject_delay = 0; THREADS (if given) fixes the worker thread count;
#   - default site listens on 127.0.0.1:AUTH_PORT (auth) and :ACCT_PORT (acct),
#     inner-tunnel has no listener; `-sql` becomes `sql` (authorize,
#     accounting, post-auth, Post-Auth-Type REJECT);
#   - mods-enabled/sql: BACKEND sqlite (DB = file path, busy_timeout 5000,
#     no bootstrap) | postgres | mysql (DB = database name, connection from
#     PG* / MY* variables), read_clients = yes, client_table = "nas";
#   - clients.conf: client 127.0.0.1 with SECRET unless LOCAL_CLIENT = no.
fr_prepare_config() {
	local dir=$1 auth_port=$2 acct_port=$3 secret=$4 backend=$5 db=$6
	local threads=${7:-} local_client=${8:-yes}
	mkdir -p "$dir"
	cp -rL "$SRC_RADDB"/. "$dir"/
	mkdir -p "$dir/log/radacct" "$dir/run"
	sed -i -E \
		-e "s|^raddbdir = .*|raddbdir = $dir|" \
		-e "s|^logdir = .*|logdir = $dir/log|" \
		-e "s|^run_dir = .*|run_dir = $dir/run|" \
		-e '/^\s*(user|group) = /d' \
		-e 's|^(\s*)reject_delay = .*|\1reject_delay = 0|' \
		"$dir/radiusd.conf"
	if [ -n "$threads" ]; then
		sed -i -E -e "s/^(\s*)(start_servers|max_servers) = .*/\1\2 = $threads/" \
			-e "s/^(\s*)(min_spare_servers|max_spare_servers) = .*/\1\2 = 1/" "$dir/radiusd.conf"
	fi
	local listen
	listen=$(printf 'listen {\n\ttype = auth\n\tipaddr = 127.0.0.1\n\tport = %s\n}\nlisten {\n\ttype = acct\n\tipaddr = 127.0.0.1\n\tport = %s\n}\n' "$auth_port" "$acct_port")
	fr_replace_listen "$dir/sites-enabled/default" "$listen"
	fr_replace_listen "$dir/sites-enabled/inner-tunnel" ""
	sed -i -E 's/^(\s*)-sql\s*$/\1sql/' "$dir/sites-enabled/default"

	local dialect driver conn
	case "$backend" in
	sqlite)
		dialect=sqlite driver=rlm_sql_sqlite
		conn=$(printf '\tsqlite {\n\t\tfilename = "%s"\n\t\tbusy_timeout = 5000\n\t}\n' "$db") ;;
	postgres)
		dialect=postgresql driver=rlm_sql_postgresql
		conn=$(printf '\tserver = "%s"\n\tport = %s\n\tlogin = "%s"\n\tpassword = "%s"\n\tradius_db = "%s"\n' \
			"$PGHOST" "$PGPORT" "$PGUSER" "$PGPASSWORD" "$db") ;;
	mysql)
		dialect=mysql driver=rlm_sql_mysql
		conn=$(printf '\tmysql {\n\t\twarnings = auto\n\t}\n\tserver = "%s"\n\tport = %s\n\tlogin = "%s"\n\tpassword = "%s"\n\tradius_db = "%s"\n' \
			"$MYHOST" "$MYPORT" "$MYUSER" "$MYPASSWORD" "$db") ;;
	esac
	cat >"$dir/mods-enabled/sql" <<EOF
sql {
	dialect = "$dialect"
	driver = "$driver"
$conn
	acct_table1 = "radacct"
	acct_table2 = "radacct"
	postauth_table = "radpostauth"
	authcheck_table = "radcheck"
	groupcheck_table = "radgroupcheck"
	authreply_table = "radreply"
	groupreply_table = "radgroupreply"
	usergroup_table = "radusergroup"
	delete_stale_sessions = yes
	pool {
		start = 1
		min = 1
		# rlm_sql fails a request at once when the pool is exhausted:
		# one connection per worker thread
		max = \${thread[pool].max_servers}
		spare = 1
		uses = 0
		retry_delay = 1
		lifetime = 0
		idle_timeout = 60
	}
	read_clients = yes
	client_table = "nas"
	group_attribute = "SQL-Group"
	\$INCLUDE \${modconfdir}/\${.:name}/main/\${dialect}/queries.conf
}
EOF
	if [ "$local_client" = yes ]; then
		printf 'client harness {\n\tipaddr = 127.0.0.1\n\tsecret = "%s"\n\tnas_type = other\n}\n' "$secret" >"$dir/clients.conf"
	else
		: >"$dir/clients.conf"
	fi
}

# fr_start DIR  - starts FreeRADIUS (threaded, not debug) on config DIR, waits
# until it is ready; the pid is appended to FR_PIDS and stored in FR_PID.
fr_start() {
	local dir=$1 i
	freeradius -f -l stdout -d "$dir" >"$dir/radiusd.out" 2>&1 &
	FR_PID=$!
	FR_PIDS+=("$FR_PID")
	for i in $(seq 200); do
		grep -q 'Ready to process requests' "$dir/radiusd.out" && return 0
		if ! kill -0 "$FR_PID" 2>/dev/null; then break; fi
		sleep 0.1
	done
	echo "FreeRADIUS ($dir) did not start:" >&2
	tail -30 "$dir/radiusd.out" >&2
	exit 1
}

# ---------------------------------------------------------------- databases

schema_dir() {
	case "$BACKEND" in
	sqlite) echo "$SRC_RADDB/mods-config/sql/main/sqlite" ;;
	postgres) echo "$SRC_RADDB/mods-config/sql/main/postgresql" ;;
	mysql) echo "$SRC_RADDB/mods-config/sql/main/mysql" ;;
	esac
}

# create_db NAME - creates an empty database and sets DB to what
# fr_prepare_config takes (sqlite: file path; others: database name).
create_db() {
	DB="${1}_$$"
	case "$BACKEND" in
	sqlite) DB="$WORK/$1.db" ;;
	postgres)
		psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -qc "CREATE DATABASE \"$DB\"" >/dev/null
		DBS_TO_DROP+=("$DB") ;;
	mysql)
		mariadb_cli -e "CREATE DATABASE \`$DB\`"
		DBS_TO_DROP+=("$DB") ;;
	esac
}

# run_sql DB < statements
run_sql() {
	case "$BACKEND" in
	sqlite) sqlite3 "$1" ;;
	postgres) psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d "$1" -q -v ON_ERROR_STOP=1 >/dev/null ;;
	mysql) mariadb_cli "$1" ;;
	esac
}

database_url() {
	case "$BACKEND" in
	sqlite) echo "sqlite://$1" ;;
	postgres) echo "postgres://$PGUSER${PGPASSWORD:+:$PGPASSWORD}@$PGHOST:$PGPORT/$1" ;;
	mysql) echo "mysql://$MYUSER${MYPASSWORD:+:$MYPASSWORD}@$MYHOST:$MYPORT/$1" ;;
	esac
}

prepare_stock() {
	local db=$1 i
	run_sql "$db" <"$(schema_dir)/schema.sql"
	for i in $(seq "$N"); do echo "$BENCH_PASSWORD_PREFIX$i"; done >"$WORK/passwords.txt"
	{
		echo "BEGIN;"
		i=0
		while read -r hash; do
			i=$((i + 1))
			echo "INSERT INTO radcheck (username, attribute, op, value) VALUES ('bench$i', 'Crypt-Password', ':=', '$hash');"
			echo "INSERT INTO radusergroup (username, groupname, priority) VALUES ('bench$i', 'bench', 1);"
		done < <(openssl passwd -6 -in "$WORK/passwords.txt")
		echo "INSERT INTO radgroupreply (groupname, attribute, op, value) VALUES ('bench', 'Session-Timeout', ':=', '3600');"
		echo "INSERT INTO radgroupreply (groupname, attribute, op, value) VALUES ('bench', 'Reply-Message', ':=', 'welcome');"
		echo "COMMIT;"
	} | run_sql "$db"
}

prepare_owums() {
	local db=$1 i
	OWUMS_DATABASE__URL=$(database_url "$db")
	export OWUMS_DATABASE__URL N BENCH_PASSWORD_PREFIX
	if [ -n "${OWUMS_PREPARE:-}" ]; then
		bash -c "$OWUMS_PREPARE"
		return
	fi
	"$OWUMS_BIN" --config /dev/null migrate >/dev/null
	for i in $(seq "$N"); do
		"$OWUMS_BIN" --config /dev/null user create --username "bench$i" \
			--password "$BENCH_PASSWORD_PREFIX$i" --verified "${WEAK_OK[@]}" >/dev/null
	done
}

# ---------------------------------------------------------------- load

SECRET=bench-secret
REQFILE=$WORK/requests.txt
for i in $(seq "$N"); do
	printf 'User-Name = "bench%s"\nUser-Password = "%s%s"\nNAS-IP-Address = 127.0.0.1\n\n' "$i" "$BENCH_PASSWORD_PREFIX" "$i"
done >"$REQFILE"

# check_side NAME PORT - one request must be accepted with the group reply
check_side() {
	local out
	out=$(printf 'User-Name = "bench1"\nUser-Password = "%s1"\n' "$BENCH_PASSWORD_PREFIX" |
		radclient -x -r 1 -t 3 "127.0.0.1:$2" auth "$SECRET" 2>&1 || true)
	if ! grep -q 'Received Access-Accept' <<<"$out"; then
		echo "$1: sanity request not accepted:" >&2; echo "$out" >&2; exit 1
	fi
	grep -q 'Session-Timeout' <<<"$out" || echo "warning: $1 reply has no Session-Timeout" >&2
}

# cpu_ticks PID - user+system CPU clock ticks used so far by PID
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# busy_ticks - CPU clock ticks the whole machine spent busy so far (FreeRADIUS, radclient
# and the database server alike: the same work on both sides but for the schema)
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }

# measure SIDE - one round against SIDE; prints "REQ_PER_S CPU_MS_PER_REQ BUSY_MS_PER_REQ"
# (CPU = FreeRADIUS process only: includes SQLite, excludes a DB server; BUSY = the machine)
measure() {
	local t0 t1 c0 c1 b0 b1 total=$((N * COUNT)) pid=${PID[$1]}
	c0=$(cpu_ticks "$pid")
	b0=$(busy_ticks)
	t0=$(date +%s.%N)
	radclient -q -s -p "$PARALLEL" -c "$COUNT" -r 3 -t 5 -f "$REQFILE" "127.0.0.1:${PORT[$1]}" auth "$SECRET" \
		>"$WORK/radclient.out" 2>&1 || true
	t1=$(date +%s.%N)
	c1=$(cpu_ticks "$pid")
	b1=$(busy_ticks)
	if grep -qiE 'rejected\s*:\s*[1-9]|lost\s*:\s*[1-9]' "$WORK/radclient.out"; then
		echo "warning: $1: rejects/lost packets: $(tr '\n' ' ' <"$WORK/radclient.out")" >&2
	fi
	python3 -c "hz = $(getconf CLK_TCK); print(f'{$total / ($t1 - $t0):.1f} {($c1 - $c0) * 1000 / hz / $total:.3f} {($b1 - $b0) * 1000 / hz / $total:.3f}')"
}

sides=(stock)
[ -z "${SKIP_OWUMS:-}" ] && sides+=(owums)
declare -A PORT PID
for side in "${sides[@]}"; do
	create_db "owums_bench_$side"; db=$DB
	echo "preparing $side database ($BACKEND, $N users)..." >&2
	"prepare_$side" "$db"
	if [ "$BACKEND" = sqlite ]; then
		if [ -n "${SQLITE_JOURNAL-wal}" ]; then
			sqlite3 "$db" "PRAGMA journal_mode=${SQLITE_JOURNAL-wal}" >/dev/null
		fi
		echo "$side: sqlite journal_mode $(sqlite3 "$db" 'PRAGMA journal_mode')" >&2
	fi
	auth=$(fr_free_port); acct=$(fr_free_port)
	fr_prepare_config "$WORK/raddb-$side" "$auth" "$acct" "$SECRET" "$BACKEND" "$db" "$THREADS"
	fr_start "$WORK/raddb-$side"
	PORT[$side]=$auth PID[$side]=$FR_PID
	check_side "$side" "$auth"
done

# Sides alternate which goes first, so a machine that drifts faster or slower during the run
# does not favour one of them; each round also gives a paired ratio.
for round in $(seq "$ROUNDS"); do
	order=("${sides[@]}")
	if [ $((round % 2)) -eq 0 ] && [ ${#sides[@]} -eq 2 ]; then order=("${sides[1]}" "${sides[0]}"); fi
	for side in "${order[@]}"; do
		read -r rate cpu busy < <(measure "$side")
		echo "$round $side $rate $cpu $busy" >>"$WORK/results.txt"
		echo "round $round $side: $rate req/s, $cpu FreeRADIUS CPU-ms/req, $busy machine CPU-ms/req" >&2
	done
done

echo "backend: $BACKEND, users: $N, requests/round: $((N * COUNT)), parallel: $PARALLEL, threads: $THREADS, rounds: $ROUNDS"
python3 - "$WORK/results.txt" <<'EOF'
import sys, statistics
res, rounds = {}, {}
for line in open(sys.argv[1]):
    rnd, side, rate, cpu, busy = line.split()
    v = (float(rate), float(cpu), float(busy))
    res.setdefault(side, []).append(v)
    rounds.setdefault(rnd, {})[side] = v
for side, v in res.items():
    rate, cpu, busy = (statistics.median(x[i] for x in v) for i in range(3))
    runs = ", ".join(f"{r:.1f}" for r, _, _ in v)
    print(f"{side:>6}: median {rate:8.1f} req/s, {cpu:6.3f} FreeRADIUS CPU-ms/req, {busy:6.3f} machine CPU-ms/req  (req/s runs: {runs})")
if "owums" in res:
    pairs = [r for r in rounds.values() if "owums" in r and "stock" in r]
    rate = statistics.median(p["owums"][0] / p["stock"][0] for p in pairs)
    busy = statistics.median(p["stock"][2] / p["owums"][2] for p in pairs)
    print(f"ratio owums/stock: {rate:.3f} (req/s, median of {len(pairs)} paired rounds), "
          f"{busy:.3f} (requests per machine CPU-second)")
EOF
exit 0
